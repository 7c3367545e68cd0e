/*
 * The database clusters a server writes to: "main" (the db key) and any of
 * db_clusters ("name=URL name=URL"). Each tenant lives on one of them
 * (tenants/directory.h says which); a thread that may serve any tenant holds
 * one connection a cluster (al_db_set), made lazily like any al_db.
 */
#ifndef AL_CLUSTERS_H
#define AL_CLUSTERS_H

#include "db/db.h"
#include "db/db_url.h"

#define AL_MAX_CLUSTERS 8
#define AL_CLUSTER_NAME_MAX 33 /* [a-z0-9_-]{1,32} */
#define AL_MAIN_CLUSTER "main"

typedef struct al_clusters {
    int n; /* 1 or more; [0] is main */
    char names[AL_MAX_CLUSTERS][AL_CLUSTER_NAME_MAX];
    al_db_url urls[AL_MAX_CLUSTERS];
} al_clusters;

/*
 * main_url, then extra ("name=URL name=URL", may be empty): 0, or -1 with err
 * (a bad name or URL, a name twice, too many).
 */
int al_clusters_parse(const char *main_url, const char *extra, al_clusters *out, char err[256]);

/* The index of the cluster called name, or -1. */
int al_cluster_find(const al_clusters *c, const char *name);

/* One connection to each cluster, owned by one thread. */
typedef struct al_db_set {
    int n;
    al_db db[AL_MAX_CLUSTERS];
} al_db_set;

/* al_db_init for each cluster; lane goes to each connection (see al_db). */
void al_db_set_init(al_db_set *set, const al_clusters *c, unsigned timeout_s, unsigned io_timeout_s,
                    int lane);
void al_db_set_close(al_db_set *set);
void al_db_set_interrupt(al_db_set *set);
void al_db_set_free(al_db_set *set);

#endif
