/*
 * Broken test plugins the loader must refuse, one per build flag:
 *   BROKEN_WRONG_MAJOR      ABI major one above the host's
 *   BROKEN_NEWER_MINOR      ABI minor one above the host's
 *   BROKEN_MISSING_CALLBACK no translate callback
 *   BROKEN_NOT_PLUGIN       no entry function at all
 *   BROKEN_DUPLICATE        a second plugin named "bank"
 *   BROKEN_BAD_DESCRIBE     describe() that is not JSON
 */
#include "alliance/plugin.h"

static int load(const alliance_host *h, const alliance_json *cfg, void **state, alliance_error *err)
{
    (void)h, (void)cfg, (void)err;
    *state = 0;
    return ALLIANCE_OK;
}

__attribute__((unused)) static int translate(const alliance_host *h, const void *state,
                                             const alliance_json *d, alliance_translation *out,
                                             alliance_error *err)
{
    (void)h, (void)state, (void)d, (void)out, (void)err;
    return ALLIANCE_OK;
}

static const char *describe(void)
{
#ifdef BROKEN_BAD_DESCRIBE
    return "not json";
#else
    return "{}";
#endif
}

static void config_free(void *state)
{
    (void)state;
}

#ifdef BROKEN_NOT_PLUGIN
int broken_not_a_plugin(void);
int broken_not_a_plugin(void)
{
    return (int)(long)&load + (int)(long)&translate + (int)(long)&describe +
           (int)(long)&config_free;
}
#else
static const alliance_plugin plugin = {
#ifdef BROKEN_WRONG_MAJOR
    .abi_major = ALLIANCE_PLUGIN_ABI_MAJOR + 1,
#else
    .abi_major = ALLIANCE_PLUGIN_ABI_MAJOR,
#endif
#ifdef BROKEN_NEWER_MINOR
    .abi_minor = ALLIANCE_PLUGIN_ABI_MINOR + 1,
#else
    .abi_minor = ALLIANCE_PLUGIN_ABI_MINOR,
#endif
#ifdef BROKEN_DUPLICATE
    .name = "bank",
#else
    .name = BROKEN_NAME,
#endif
    .version = "0.0.1",
    .config_load = load,
#ifndef BROKEN_MISSING_CALLBACK
    .translate = translate,
#endif
    .describe = describe,
    .config_free = config_free,
};

ALLIANCE_PLUGIN_EXPORT const alliance_plugin *alliance_plugin_entry(void)
{
    return &plugin;
}
#endif
