/* The partner key cache; see key_cache.h. */
#include "auth/key_cache.h"

#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "tenants/versions.h"

#define SLOTS 1024

typedef struct {
    char key_id[AL_ID_MAX + 1]; /* "": empty */
    al_partner_key key;
    uint64_t epoch;
} slot;

struct al_key_cache {
    slot slot[SLOTS];
};

al_db_status al_partner_key_cached(al_key_cache **cache, al_db *db, const uint8_t *master_key,
                                   const char *key_id, al_partner_key *out, al_key_state *state)
{
    if (*cache == NULL && (*cache = calloc(1, sizeof(**cache))) == NULL)
        return al_partner_key_find(db, master_key, key_id, out, state);
    size_t i = al_id_hash(key_id) % SLOTS;
    slot *s = &(*cache)->slot[i];
    if (s->key_id[0] != '\0' && strcmp(s->key_id, key_id) == 0 &&
        (s->key.expires_at == 0 || (int64_t)time(NULL) < s->key.expires_at) &&
        al_setup_fresh(s->key.tenant, s->key.setup_version, s->epoch)) {
        *out = s->key;
        *state = AL_KEY_OK;
        return AL_DB_OK;
    }
    al_db_status st = al_partner_key_find(db, master_key, key_id, out, state);
    if (st != AL_DB_OK || *state != AL_KEY_OK)
        return st;
    OPENSSL_cleanse(&s->key, sizeof(s->key));
    snprintf(s->key_id, sizeof(s->key_id), "%s", key_id);
    s->key = *out;
    s->epoch = al_setup_epoch(out->tenant);
    al_setup_seen(out->tenant, out->setup_version);
    return AL_DB_OK;
}

void al_key_cache_free(al_key_cache *cache)
{
    if (cache != NULL)
        OPENSSL_cleanse(cache, sizeof(*cache));
    free(cache);
}
