/*
 * Partner keys kept in memory, one cache a worker (no lock on the request
 * path): a signed request reads its key from the database once, then from
 * here while the tenant's setup version it was read at is fresh
 * (tenants/versions.h) and the key has not expired. Unknown keys are not
 * kept. The opened secrets stay in memory for the worker's life and are
 * wiped when dropped.
 */
#ifndef AL_KEY_CACHE_H
#define AL_KEY_CACHE_H

#include "auth/auth.h"

typedef struct al_key_cache al_key_cache;

/* al_partner_key_find through *cache (made on first use). */
al_db_status al_partner_key_cached(al_key_cache **cache, al_db *db, const uint8_t *master_key,
                                   const char *key_id, al_partner_key *out, al_key_state *state);

void al_key_cache_free(al_key_cache *cache);

#endif
