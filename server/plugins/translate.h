/*
 * Calling a plugin: validate a partner's config, translate one native
 * transaction. Everything a plugin returns is checked here before the rest of
 * the server sees it (points >= 0, lines within bounds, the total exact).
 */
#ifndef AL_TRANSLATE_H
#define AL_TRANSLATE_H

#include <jansson.h>

#include "alliance/plugin.h"
#include "plugins/registry.h"

#define AL_MAX_LINES 64

typedef struct al_translation {
    alliance_points_line lines[AL_MAX_LINES];
    size_t nlines;
    int64_t points;            /* the lines' sum */
    int64_t qualifying_points; /* the sum of the qualifying lines (tier qualification) */
    int64_t base_amount_minor;
    char currency[4];
} al_translation;

typedef enum {
    AL_TR_OK = 0,
    AL_TR_NO_PLUGIN,  /* the partner's plugin is not loaded */
    AL_TR_REFUSED,    /* the plugin refused; err is filled in */
    AL_TR_BAD_OUTPUT, /* the plugin broke the contract; err says how */
} al_tr_status;

/*
 * Runs the plugin's config_load (then config_free) over config, then checks
 * it against the plugin's specs (ABI 1.1). A refusal's message starts with
 * "config" and names the field.
 */
al_tr_status al_plugin_check_config(const al_plugin_set *set, const char *plugin,
                                    const json_t *config, alliance_error *err);

/* Loads config (JSON text) with the plugin, translates data, frees the state. */
al_tr_status al_translate(const al_plugin_set *set, const char *plugin, const char *config_text,
                          const json_t *data, al_translation *out, alliance_error *err);

/* The translation as JSON: {"points","lines":[...],"base_amount_minor","currency"}. */
/*
 * A partner's stored config loaded into its plugin's state (config_load), to
 * translate with many times (al_translate_loaded); the caller frees it with
 * p->abi->config_free while set is alive.
 */
al_tr_status al_plugin_load(const al_plugin_set *set, const char *plugin, const char *config_text,
                            const al_plugin **p, void **state, alliance_error *err);

/* al_translate with a loaded state. */
al_tr_status al_translate_loaded(const al_plugin *p, const void *state, const json_t *data,
                                 al_translation *out, alliance_error *err);

json_t *al_translation_json(const al_translation *t);

#endif
