/*
 * The tenant directory: which database cluster (db/clusters.h) each tenant
 * lives on. The directory is a table on the main cluster; every server node
 * keeps what it has read in memory (a tenant does not move while a server
 * runs), so the tenants of a cluster stay served while another cluster, main
 * included, is down, as long as this node has served them before. With one
 * cluster nothing is read: every tenant is on main.
 */
#ifndef AL_TENANT_DIRECTORY_H
#define AL_TENANT_DIRECTORY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/ids.h"
#include "db/clusters.h"

/* Keeps clusters (copied) for the lookups; once, before the workers start. */
void al_directory_start(const al_clusters *clusters);

/* The clusters given to al_directory_start. */
const al_clusters *al_directory_clusters(void);

/*
 * The cluster of tenant: from memory, else from the directory on main (a
 * tenant not listed is on main; that answer is not kept, the tenant may be
 * made later elsewhere). AL_DB_ERROR when the directory names a cluster this
 * server is not configured with (logged).
 */
al_db_status al_directory_lookup(al_db *main, const char *tenant, int *cluster);

/* Lists tenant on cluster (a row on main); *exists when the id is taken anywhere. */
al_db_status al_directory_place(al_db *main, const char *tenant, int cluster, bool *exists);

/* Takes tenant's row away again (its creation on its cluster failed). */
al_db_status al_directory_unplace(al_db *main, const char *tenant);

/* One tenant as the directory lists it. */
typedef struct al_directory_entry {
    char tenant[AL_ID_MAX + 1];
    int cluster; /* -1: a cluster this server is not given */
} al_directory_entry;

/* The tenants by id after the id after ("" from the first), at most limit (free *out). */
al_db_status al_directory_page(al_db *main, const char *after, int64_t limit,
                               al_directory_entry **out, size_t *n);

void al_directory_free(void);

#endif
