/*
 * Partners' setups kept in memory, one cache a worker (no lock on the
 * request path): the plugin, its config loaded into the plugin's state once
 * (per config version and plugin generation, not per request), and the
 * tenant's settings and live rules version. An entry is good while the
 * tenant's setup version it was read at is fresh (tenants/versions.h).
 */
#ifndef AL_PARTNER_CACHE_H
#define AL_PARTNER_CACHE_H

#include "partners/partners.h"
#include "plugins/translate.h"

typedef struct al_setup_cache al_setup_cache;

typedef struct al_setup_entry {
    char tenant[AL_ID_MAX + 1], partner[AL_ID_MAX + 1]; /* "": empty */
    al_partner_setup setup;
    uint64_t epoch;
    al_plugin_set *set; /* a reference: the generation state was loaded with */
    const al_plugin *plugin;
    void *state;
    al_tr_status loaded; /* how the config loaded, its error in load_err */
    alliance_error load_err;
} al_setup_entry;

/*
 * The setup of (tenant, partner) through *cache (made on first use); *out
 * stays valid until the next call on this cache. *found false: no partner.
 */
al_db_status al_partner_setup_cached(al_setup_cache **cache, al_db *db, const char *tenant,
                                     const char *partner, al_setup_entry **out, bool *found);

/* Translates data with the entry's plugin, its config loaded once for set. */
al_tr_status al_partner_translate(al_setup_entry *e, al_plugin_set *set, const json_t *data,
                                  al_translation *out, alliance_error *err);

/* Frees what an entry holds (its config's state, its plugin generation, its setup); for one of
 * the caller's own (a batch's), filled by al_partner_setup_load. */
void al_setup_entry_clear(al_setup_entry *e);

void al_setup_cache_free(al_setup_cache *cache);

#endif
