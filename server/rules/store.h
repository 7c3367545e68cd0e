/* The rules' SQL: versions of a tenant's rules document (rules_versions) and the live one. */
#ifndef AL_RULES_STORE_H
#define AL_RULES_STORE_H

#include <stdbool.h>

#include <jansson.h>

#include "db/db.h"

typedef struct al_rules_version_row {
    int version;
    json_t *document;    /* owned; NULL in lists */
    char created_at[40]; /* RFC 3339 */
    char created_by[80];
} al_rules_version_row;

/* One version of tenant's rules; *found false when there is none. */
al_db_status al_rules_version_load(al_db *db, const char *tenant, int version,
                                   al_rules_version_row *out, bool *found);

/* Every version of tenant's rules, newest first, without documents (free the array). */
al_db_status al_rules_versions_list(al_db *db, const char *tenant, al_rules_version_row **out,
                                    size_t *n);

/*
 * Stores document (JSON text) as tenant's next version and makes it live, in
 * one transaction; *version is its number.
 */
al_db_status al_rules_version_add(al_db *db, const char *tenant, const char *document,
                                  const char *created_by, int *version);

#endif
