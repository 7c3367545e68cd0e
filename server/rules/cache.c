/* The rules cache; see cache.h. */
#include "rules/cache.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/ids.h"
#include "rules/store.h"

#define CACHE_SLOTS 256

struct al_rules_cache {
    al_rules *defaults; /* version 0, made once: a few hundred kilobytes */
    struct {
        char tenant[AL_ID_MAX + 1];
        al_rules *rules; /* a reference */
    } slot[CACHE_SLOTS];
};

al_db_status al_rules_cached(al_rules_cache **cache, al_db *db, const char *tenant, int version,
                             al_rules **out, al_rules_state *state)
{
    *out = NULL;
    *state = AL_RULES_NO_MEMORY;
    if (*cache == NULL && (*cache = calloc(1, sizeof(**cache))) == NULL)
        return AL_DB_OK;
    al_rules_cache *c = *cache;
    if (version == 0) {
        if (c->defaults == NULL && (c->defaults = al_rules_new_defaults()) == NULL)
            return AL_DB_OK;
        *out = al_rules_hold(c->defaults);
        *state = AL_RULES_FOUND;
        return AL_DB_OK;
    }
    size_t i = al_id_hash(tenant) % CACHE_SLOTS;
    al_rules *cached = c->slot[i].rules;
    if (cached != NULL && strcmp(c->slot[i].tenant, tenant) == 0 && cached->version == version) {
        *out = al_rules_hold(cached);
        *state = AL_RULES_FOUND;
        return AL_DB_OK;
    }
    al_rules_version_row row;
    bool found = false;
    al_db_status st = al_rules_version_load(db, tenant, version, &row, &found);
    if (st != AL_DB_OK || !found) {
        *state = AL_RULES_MISSING;
        return st;
    }
    char path[128], msg[256];
    al_rules *r = NULL;
    int rc = al_rules_compile(row.document, &r, path, msg);
    json_decref(row.document);
    if (rc != 0) {
        *state = AL_RULES_INVALID;
        return AL_DB_OK;
    }
    r->version = version;
    al_rules_drop(cached);
    snprintf(c->slot[i].tenant, sizeof(c->slot[i].tenant), "%s", tenant);
    c->slot[i].rules = al_rules_hold(r);
    *out = r;
    *state = AL_RULES_FOUND;
    return AL_DB_OK;
}

void al_rules_cache_free(al_rules_cache *cache)
{
    if (cache != NULL)
        al_rules_drop(cache->defaults);
    for (size_t i = 0; cache != NULL && i < CACHE_SLOTS; i++)
        al_rules_drop(cache->slot[i].rules);
    free(cache);
}
