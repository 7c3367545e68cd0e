/*
 * libFuzzer driver for a plugin's translate, built once per reference plugin
 * (the plugin's source compiled in; FUZZ_PLUGIN_<NAME> picks its config). The input
 * is parsed as JSON the way the server parses a body, then handed to the
 * plugin through the real host services and the server's output checks; any
 * input must give a result or a refusal, never a crash or a sanitizer report.
 * Inputs that are not JSON are also tried as the partner's config.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "alliance/plugin.h"
#include "plugins/host.h"

#if defined(FUZZ_PLUGIN_BANK)
#define FUZZ_PLUGIN_CONFIG                                                                         \
    "{\"currency\":\"CNY\",\"spend_minor_per_point\":100,\"mcc_multipliers\":{\"5411\":2},"        \
    "\"excluded_mcc\":[\"6011\"]}"
#elif defined(FUZZ_PLUGIN_INSURER)
#define FUZZ_PLUGIN_CONFIG                                                                         \
    "{\"currency\":\"CNY\",\"premium_minor_per_point\":1000,\"product_multiplier_pct\":"           \
    "{\"life\":150},\"renewal_bonus_points\":500,\"claim_free_bonus_pct_per_year\":10,"            \
    "\"claim_free_bonus_pct_max\":50}"
#elif defined(FUZZ_PLUGIN_RETAILER)
#define FUZZ_PLUGIN_CONFIG                                                                         \
    "{\"currency\":\"CNY\",\"minor_per_point\":100,\"category_multipliers\":{\"fresh\":2},"        \
    "\"excluded_categories\":[\"tobacco\"]}"
#else
#error "build with -DFUZZ_PLUGIN_BANK, _INSURER or _RETAILER"
#endif

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void *state;
static const alliance_plugin *plugin;

static void setup(void)
{
    plugin = alliance_plugin_entry();
    json_t *cfg = json_loads(FUZZ_PLUGIN_CONFIG, 0, NULL);
    alliance_error err;
    if (cfg == NULL || plugin->config_load(al_plugin_host(), al_json_in(cfg), &state, &err) != 0)
        abort();
    json_decref(cfg);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (plugin == NULL)
        setup();
    json_t *in = json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES, NULL);
    if (in == NULL)
        return 0;
    alliance_points_line lines[64];
    alliance_translation t = {.lines = lines, .max_lines = 64};
    alliance_error err;
    memset(&err, 0, sizeof(err));
    if (plugin->translate(al_plugin_host(), state, al_json_in(in), &t, &err) == ALLIANCE_OK) {
        if (t.nlines > 64 || t.base_amount_minor < 0)
            abort();
        for (size_t i = 0; i < t.nlines; i++)
            if (lines[i].points < 0)
                abort();
    } else if (memchr(err.code, '\0', sizeof(err.code)) == NULL) {
        abort();
    }
    /* The same input as a partner's config. */
    void *other = NULL;
    if (plugin->config_load(al_plugin_host(), al_json_in(in), &other, &err) == ALLIANCE_OK)
        plugin->config_free(other);
    json_decref(in);
    return 0;
}
