/*
 * Test plugin "services": calls every host service, so a test can check each
 * one through the points it returns.
 *
 * data {"n":int,"flag":bool,"s":string,"arr":[int...],"obj":{key:int,...}}
 * points = n + flag + strlen(s) + size(arr) + arr[last] + first member of obj
 *          + (now_ms() > 0) + (type(missing) == MISSING) + size(obj)
 * category "<type of n><type of flag><type of s><type of arr><type of obj>"
 */
#include <stdio.h>
#include <string.h>

#include "alliance/plugin.h"

static int load(const alliance_host *h, const alliance_json *cfg, void **state, alliance_error *err)
{
    (void)err;
    h->log(ALLIANCE_LOG_INFO, "services", "config_load called");
    *state = (void *)h->json_get(cfg, "anything"); /* NULL is a fine state */
    return ALLIANCE_OK;
}

static int translate(const alliance_host *h, const void *state, const alliance_json *d,
                     alliance_translation *out, alliance_error *err)
{
    (void)state;
    int64_t n = 0, last = 0, first = 0;
    int flag = 0;
    size_t slen = 0;
    const alliance_json *arr = h->json_get(d, "arr"), *obj = h->json_get(d, "obj"), *member;
    if (h->json_int(h->json_get(d, "n"), &n) != 0 || h->json_bool(h->json_get(d, "flag"), &flag) ||
        h->json_string(h->json_get(d, "s"), &slen) == NULL || h->json_size(arr) == 0 ||
        h->json_int(h->json_at(arr, h->json_size(arr) - 1), &last) != 0 ||
        h->json_member(obj, 0, &member) == NULL || h->json_int(member, &first) != 0) {
        snprintf(err->code, sizeof(err->code), "invalid_data");
        snprintf(err->message, sizeof(err->message), "see the plugin's header comment");
        return ALLIANCE_REFUSED;
    }
    int64_t points = n + flag + (int64_t)slen + (int64_t)h->json_size(arr) + last + first +
                     (h->now_ms() > 0) +
                     (h->json_type(h->json_get(d, "missing")) == ALLIANCE_JSON_MISSING) +
                     (int64_t)h->json_size(obj);
    char msg[64];
    snprintf(msg, sizeof(msg), "translated to %lld points", (long long)points);
    h->log(ALLIANCE_LOG_WARN, "services", msg);
    out->lines[0].points = points;
    snprintf(out->lines[0].category, sizeof(out->lines[0].category), "%d%d%d%d%d",
             h->json_type(h->json_get(d, "n")), h->json_type(h->json_get(d, "flag")),
             h->json_type(h->json_get(d, "s")), h->json_type(arr), h->json_type(obj));
    out->lines[0].qualifying = 1;
    out->nlines = 1;
    out->base_amount_minor = points;
    memcpy(out->currency, "XTS", 4);
    return ALLIANCE_OK;
}

static const char *describe(void)
{
    return "{\"summary\":\"test plugin calling every host service\"}";
}

static void config_free(void *state)
{
    (void)state;
}

static const alliance_plugin plugin = {
    .abi_major = ALLIANCE_PLUGIN_ABI_MAJOR,
    .abi_minor = ALLIANCE_PLUGIN_ABI_MINOR,
    .name = "services",
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
