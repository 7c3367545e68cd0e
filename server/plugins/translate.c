/* Calling plugins; see translate.h. */
#include "plugins/translate.h"

#include <stdio.h>
#include <string.h>

#include "core/limits.h"
#include "core/log.h"
#include "plugins/host.h"
#include "plugins/schema.h"

static al_tr_status refused(alliance_error *err)
{
    al_plugin_error_sanitize(err);
    return AL_TR_REFUSED;
}

al_tr_status al_plugin_check_config(const al_plugin_set *set, const char *plugin,
                                    const json_t *config, alliance_error *err)
{
    const al_plugin *p = al_plugins_find(set, plugin);
    if (p == NULL)
        return AL_TR_NO_PLUGIN;
    void *state = NULL;
    memset(err, 0, sizeof(*err));
    if (p->abi->config_load(al_plugin_host(), al_json_in(config), &state, err) != ALLIANCE_OK) {
        refused(err);
        /* Like the host's own refusals below, the message says it is about the config. */
        char message[sizeof(err->message)];
        snprintf(message, sizeof(message), "config: %.240s", err->message);
        memcpy(err->message, message, sizeof(message));
        return AL_TR_REFUSED;
    }
    p->abi->config_free(state);
    /*
     * What the plugin took but the host would refuse later (a currency "cny"
     * it passes through), refused now against the plugin's own specs.
     */
    if (p->abi->abi_minor >= 1 && al_schema_check_config(p->description, config, err->code,
                                                         err->message, sizeof(err->message)) != 0)
        return AL_TR_REFUSED;
    return AL_TR_OK;
}

static al_tr_status bad_output(alliance_error *err, const char *plugin, const char *what)
{
    al_log(AL_LOG_ERROR, "plugin %s broke the ABI contract: %s", plugin, what);
    snprintf(err->code, sizeof(err->code), "plugin_error");
    snprintf(err->message, sizeof(err->message),
             "the partner's plugin %.31s returned a result the ledger cannot use: %s", plugin,
             what);
    return AL_TR_BAD_OUTPUT;
}

/* A translation past a documented maximum: the partner's request is refused (422). */
static al_tr_status out_of_range(alliance_error *err, const char *code, const char *what,
                                 long long max)
{
    snprintf(err->code, sizeof(err->code), "%s", code);
    snprintf(err->message, sizeof(err->message), "%s is at most %lld", what, max);
    return AL_TR_REFUSED;
}

al_tr_status al_plugin_load(const al_plugin_set *set, const char *plugin, const char *config_text,
                            const al_plugin **p, void **state, alliance_error *err)
{
    *state = NULL;
    memset(err, 0, sizeof(*err));
    if ((*p = al_plugins_find(set, plugin)) == NULL)
        return AL_TR_NO_PLUGIN;
    json_t *config = json_loads(config_text, 0, NULL);
    if (config == NULL)
        return bad_output(err, plugin, "stored config is not JSON");
    int rc = (*p)->abi->config_load(al_plugin_host(), al_json_in(config), state, err);
    json_decref(config);
    if (rc != ALLIANCE_OK) {
        *state = NULL;
        return refused(err); /* a config that no longer loads (plugin changed) */
    }
    return AL_TR_OK;
}

al_tr_status al_translate(const al_plugin_set *set, const char *plugin, const char *config_text,
                          const json_t *data, al_translation *out, alliance_error *err)
{
    const al_plugin *p = NULL;
    void *state = NULL;
    memset(out, 0, sizeof(*out));
    al_tr_status st = al_plugin_load(set, plugin, config_text, &p, &state, err);
    if (st != AL_TR_OK)
        return st;
    st = al_translate_loaded(p, state, data, out, err);
    p->abi->config_free(state);
    return st;
}

al_tr_status al_translate_loaded(const al_plugin *p, const void *state, const json_t *data,
                                 al_translation *out, alliance_error *err)
{
    const char *plugin = p->abi->name;
    memset(out, 0, sizeof(*out));
    memset(err, 0, sizeof(*err));
    alliance_translation t = {.lines = out->lines, .nlines = 0, .max_lines = AL_MAX_LINES};
    int rc = p->abi->translate(al_plugin_host(), state, al_json_in(data), &t, err);
    if (rc != ALLIANCE_OK)
        return refused(err);

    if (t.nlines > AL_MAX_LINES || t.lines != out->lines)
        return bad_output(err, plugin, "lines out of bounds");
    if (t.base_amount_minor < 0)
        return bad_output(err, plugin, "negative base amount");
    if (t.base_amount_minor > AL_MAX_AMOUNT_MINOR)
        return out_of_range(err, "amount_out_of_range", "a transaction's amount",
                            AL_MAX_AMOUNT_MINOR);
    t.currency[3] = '\0';
    for (int i = 0; i < 3; i++)
        if (t.currency[i] < 'A' || t.currency[i] > 'Z')
            return bad_output(err, plugin, "currency is not an ISO 4217 code");
    int64_t sum = 0, qualifying = 0;
    for (size_t i = 0; i < t.nlines; i++) {
        alliance_points_line *l = &out->lines[i];
        l->category[ALLIANCE_CATEGORY_MAX - 1] = '\0';
        l->qualifying = l->qualifying != 0;
        if (l->points < 0)
            return bad_output(err, plugin, "negative points");
        json_t *utf8 = json_string(l->category); /* NULL when not UTF-8 */
        if (utf8 == NULL)
            return bad_output(err, plugin, "a category that is not UTF-8");
        json_decref(utf8);
        /* Each line is at most the maximum, so the sum of two cannot overflow. */
        if (l->points > AL_MAX_POINTS || (sum += l->points) > AL_MAX_POINTS)
            return out_of_range(err, "points_out_of_range", "a transaction's points",
                                AL_MAX_POINTS);
        if (l->qualifying)
            qualifying += l->points; /* a part of sum: it cannot overflow */
    }
    out->nlines = t.nlines;
    out->points = sum;
    out->qualifying_points = qualifying;
    out->base_amount_minor = t.base_amount_minor;
    memcpy(out->currency, t.currency, 4);
    return AL_TR_OK;
}

json_t *al_translation_json(const al_translation *t)
{
    json_t *lines = json_array();
    for (size_t i = 0; i < t->nlines; i++)
        json_array_append_new(lines, json_pack("{s:s,s:I,s:b}", "category", t->lines[i].category,
                                               "points", (json_int_t)t->lines[i].points,
                                               "qualifying", t->lines[i].qualifying));
    return json_pack("{s:I,s:o,s:I,s:s}", "points", (json_int_t)t->points, "lines", lines,
                     "base_amount_minor", (json_int_t)t->base_amount_minor, "currency",
                     t->currency);
}
