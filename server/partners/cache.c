/* The partner setup cache; see cache.h. */
#include "partners/cache.h"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tenants/versions.h"

#define SLOTS 1024

struct al_setup_cache {
    al_setup_entry slot[SLOTS];
};

static void unload(al_setup_entry *e)
{
    if (e->state != NULL)
        e->plugin->abi->config_free(e->state);
    al_plugins_release(e->set);
    e->state = NULL;
    e->set = NULL;
    e->plugin = NULL;
}

void al_setup_entry_clear(al_setup_entry *e)
{
    unload(e);
    al_partner_setup_clear(&e->setup);
    memset(e, 0, sizeof(*e));
}

al_db_status al_partner_setup_cached(al_setup_cache **cache, al_db *db, const char *tenant,
                                     const char *partner, al_setup_entry **out, bool *found)
{
    *out = NULL;
    *found = false;
    if (*cache == NULL && (*cache = calloc(1, sizeof(**cache))) == NULL)
        return AL_DB_ERROR;
    size_t i = (al_id_hash(tenant) * 31 + al_id_hash(partner)) % SLOTS;
    al_setup_entry *e = &(*cache)->slot[i];
    if (e->tenant[0] != '\0' && strcmp(e->tenant, tenant) == 0 &&
        strcmp(e->partner, partner) == 0 &&
        al_setup_fresh(tenant, e->setup.setup_version, e->epoch)) {
        *out = e;
        *found = true;
        return AL_DB_OK;
    }
    al_setup_entry_clear(e);
    al_db_status st = al_partner_setup_load(db, tenant, partner, &e->setup, found);
    if (st != AL_DB_OK || !*found) {
        al_setup_entry_clear(e);
        return st;
    }
    snprintf(e->tenant, sizeof(e->tenant), "%s", tenant);
    snprintf(e->partner, sizeof(e->partner), "%s", partner);
    e->epoch = al_setup_epoch(tenant);
    al_setup_seen(tenant, e->setup.setup_version);
    *out = e;
    return AL_DB_OK;
}

al_tr_status al_partner_translate(al_setup_entry *e, al_plugin_set *set, const json_t *data,
                                  al_translation *out, alliance_error *err)
{
    if (e->set != set) { /* first use, or a reload published another generation */
        unload(e);
        e->set = set;
        atomic_fetch_add(&set->refs, 1);
        e->loaded = al_plugin_load(set, e->setup.plugin, e->setup.config, &e->plugin, &e->state,
                                   &e->load_err);
    }
    if (e->loaded != AL_TR_OK) {
        *err = e->load_err;
        return e->loaded;
    }
    return al_translate_loaded(e->plugin, e->state, data, out, err);
}

void al_setup_cache_free(al_setup_cache *cache)
{
    for (size_t i = 0; cache != NULL && i < SLOTS; i++)
        al_setup_entry_clear(&cache->slot[i]);
    free(cache);
}
