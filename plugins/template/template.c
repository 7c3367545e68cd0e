/*
 * template: the smallest useful allianced plugin, to copy for a new kind of
 * partner. Rename the file (the Makefile names the plugin after it), then
 * change config_load and translate. See docs/plugins.md.
 *
 * config {"currency","minor_per_point"}
 * data   {"amount_minor","currency"}
 * points = floor(amount_minor / minor_per_point) x POINTS_MULTIPLIER
 *
 * Build out of tree against the installed header: `make` beside this file
 * (it passes -DPLUGIN_NAME from the file's name).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <alliance/plugin.h>

#ifndef PLUGIN_NAME
#define PLUGIN_NAME "template"
#endif
#ifndef PLUGIN_VERSION
#define PLUGIN_VERSION "1.0.0"
#endif
#ifndef POINTS_MULTIPLIER
#define POINTS_MULTIPLIER 1
#endif

typedef struct {
    char currency[4];
    int64_t minor_per_point;
} template_state;

/* Fills err and returns ALLIANCE_REFUSED: the partner sees code and message. */
static int refuse(alliance_error *err, const char *code, const char *message)
{
    snprintf(err->code, sizeof(err->code), "%s", code);
    snprintf(err->message, sizeof(err->message), "%s", message);
    return ALLIANCE_REFUSED;
}

static int config_load(const alliance_host *h, const alliance_json *cfg, void **state,
                       alliance_error *err)
{
    size_t len = 0;
    const char *currency = h->json_string(h->json_get(cfg, "currency"), &len);
    if (currency == NULL || len != 3)
        return refuse(err, "invalid_currency", "currency must be an ISO 4217 code");
    template_state *s = calloc(1, sizeof(*s));
    if (s == NULL)
        return refuse(err, "out_of_memory", "out of memory");
    if (h->json_int(h->json_get(cfg, "minor_per_point"), &s->minor_per_point) != 0 ||
        s->minor_per_point < 1) {
        free(s);
        return refuse(err, "invalid_minor_per_point", "minor_per_point must be an integer >= 1");
    }
    memcpy(s->currency, currency, 4);
    *state = s;
    return ALLIANCE_OK;
}

static int translate(const alliance_host *h, const void *state, const alliance_json *data,
                     alliance_translation *out, alliance_error *err)
{
    const template_state *s = state;
    int64_t amount;
    const char *currency = h->json_string(h->json_get(data, "currency"), NULL);
    if (h->json_int(h->json_get(data, "amount_minor"), &amount) != 0 || amount < 1)
        return refuse(err, "invalid_amount_minor", "amount_minor must be an integer >= 1");
    if (currency == NULL || strcmp(currency, s->currency) != 0)
        return refuse(err, "currency_mismatch", "currency must be the partner's");

    int64_t points;
    if (__builtin_mul_overflow(amount / s->minor_per_point, POINTS_MULTIPLIER, &points))
        return refuse(err, "amount_minor_overflow", "amount_minor is too large");
    if (out->max_lines < 1)
        return refuse(err, "too_many_lines", "no room for a points line");
    out->lines[0].points = points;
    snprintf(out->lines[0].category, sizeof(out->lines[0].category), "%s", "purchase");
    out->lines[0].qualifying = 1;
    out->nlines = 1;
    out->base_amount_minor = amount;
    memcpy(out->currency, s->currency, 4);
    h->log(ALLIANCE_LOG_DEBUG, PLUGIN_NAME, "translated a transaction");
    return ALLIANCE_OK;
}

static const char *describe(void)
{
    return "{\"summary\":\"" PLUGIN_NAME ": points per money spent\",\"config\":{"
           "\"currency\":{\"type\":\"currency\",\"required\":true,\"description\":\"the partner's "
           "money, ISO 4217\"},"
           "\"minor_per_point\":{\"type\":\"integer\",\"required\":true,\"min\":1,\"description\":"
           "\"minor units of spend for one point\"}"
           "},\"data\":{"
           "\"amount_minor\":{\"type\":\"integer\",\"required\":true,\"min\":1,\"description\":"
           "\"the purchase in minor units\"},"
           "\"currency\":{\"type\":\"currency\",\"required\":true,\"description\":\"must be the "
           "partner's\"}"
           "}}";
}

static void config_free(void *state)
{
    free(state);
}

static const alliance_plugin plugin = {
    .abi_major = ALLIANCE_PLUGIN_ABI_MAJOR, /* version first: it protects the rest */
    .abi_minor = ALLIANCE_PLUGIN_ABI_MINOR,
    .name = PLUGIN_NAME,
    .version = PLUGIN_VERSION,
    .config_load = config_load,
    .translate = translate,
    .describe = describe,
    .config_free = config_free,
};

ALLIANCE_PLUGIN_EXPORT const alliance_plugin *alliance_plugin_entry(void)
{
    return &plugin;
}
