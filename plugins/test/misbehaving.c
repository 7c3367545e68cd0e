/*
 * Test plugin "misbehaving": loads any config, and returns what the host must
 * not book, as data {"fault": ...} asks: "currency" (a lowercase code),
 * "negative" (negative points), else one good line of 1 point in XTS.
 */
#include <stdio.h>
#include <string.h>

#include "alliance/plugin.h"

static int load(const alliance_host *h, const alliance_json *cfg, void **state, alliance_error *err)
{
    (void)h;
    (void)cfg;
    (void)err;
    *state = NULL;
    return ALLIANCE_OK;
}

static int translate(const alliance_host *h, const void *state, const alliance_json *d,
                     alliance_translation *out, alliance_error *err)
{
    (void)state;
    (void)err;
    const char *fault = h->json_string(h->json_get(d, "fault"), NULL);
    out->lines[0].points = fault != NULL && strcmp(fault, "negative") == 0 ? -5 : 1;
    snprintf(out->lines[0].category, sizeof(out->lines[0].category), "test");
    out->nlines = 1;
    out->base_amount_minor = 100;
    memcpy(out->currency, fault != NULL && strcmp(fault, "currency") == 0 ? "xts" : "XTS", 4);
    return ALLIANCE_OK;
}

static const char *describe(void)
{
    return "{\"summary\":\"test plugin whose results the host refuses\",\"config\":{},"
           "\"data\":{\"fault\":{\"type\":\"string\",\"required\":false,"
           "\"description\":\"currency or negative\"}}}";
}

static void config_free(void *state)
{
    (void)state;
}

static const alliance_plugin plugin = {
    .abi_major = ALLIANCE_PLUGIN_ABI_MAJOR,
    .abi_minor = ALLIANCE_PLUGIN_ABI_MINOR,
    .name = "misbehaving",
    .version = "1.0.0",
    .config_load = load,
    .translate = translate,
    .describe = describe,
    .config_free = config_free,
};

ALLIANCE_PLUGIN_EXPORT const alliance_plugin *alliance_plugin_entry(void)
{
    return &plugin;
}
