/*
 * A worker's cache of tenants' compiled rules, by tenant and version. The
 * request path reads the tenant's live version (with its settings), so a new
 * version is picked up on the next request, in every worker, without a lock
 * or a restart. One cache per thread: no locks.
 */
#ifndef AL_RULES_CACHE_H
#define AL_RULES_CACHE_H

#include "db/db.h"
#include "rules/rules.h"

typedef struct al_rules_cache al_rules_cache;

typedef enum {
    AL_RULES_FOUND,
    AL_RULES_MISSING, /* no such version */
    AL_RULES_INVALID, /* the stored document does not compile (a bug or a hand edit) */
    AL_RULES_NO_MEMORY
} al_rules_state;

/*
 * Tenant's compiled rules of version (0: the defaults) as a reference for the
 * caller (al_rules_drop), from *cache (made on first use) or the database.
 */
al_db_status al_rules_cached(al_rules_cache **cache, al_db *db, const char *tenant, int version,
                             al_rules **out, al_rules_state *state);

void al_rules_cache_free(al_rules_cache *cache);

#endif
