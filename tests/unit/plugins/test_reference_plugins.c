/*
 * The reference plugins, table-driven: tests/unit/plugins/cases/<plugin>.json
 * holds a config and cases, each with the expected points, lines and base
 * amount, or the expected error code. The plugins are loaded through the real
 * loader and called through the same code the server uses.
 */
#include <stdio.h>
#include <string.h>

#include <criterion/criterion.h>
#include <jansson.h>

#include "plugins/registry.h"
#include "plugins/translate.h"

#define CASES ALLIANCE_SOURCE_DIR "/tests/unit/plugins/cases"

static void check_case(al_plugin_set *set, const char *plugin, json_t *def_config, json_t *c)
{
    const char *name = json_string_value(json_object_get(c, "name"));
    json_t *config = json_object_get(c, "config");
    if (config == NULL)
        config = def_config;
    alliance_error err;
    const char *config_error = json_string_value(json_object_get(c, "config_error"));
    if (config_error != NULL) {
        al_tr_status st = al_plugin_check_config(set, plugin, config, &err);
        cr_expect_eq(st, AL_TR_REFUSED, "%s/%s: config accepted", plugin, name);
        cr_expect_str_eq(err.code, config_error, "%s/%s: %s", plugin, name, err.message);
        return;
    }
    cr_assert_eq(al_plugin_check_config(set, plugin, config, &err), AL_TR_OK, "%s/%s: %s", plugin,
                 name, err.message);
    char *text = json_dumps(config, JSON_COMPACT);
    al_translation t;
    al_tr_status st = al_translate(set, plugin, text, json_object_get(c, "data"), &t, &err);
    free(text);
    const char *error = json_string_value(json_object_get(c, "error"));
    if (error != NULL) {
        cr_expect_eq(st, AL_TR_REFUSED, "%s/%s: accepted", plugin, name);
        cr_expect_str_eq(err.code, error, "%s/%s: %s", plugin, name, err.message);
        cr_expect_neq(err.message[0], '\0', "%s/%s: no message", plugin, name);
        return;
    }
    cr_assert_eq(st, AL_TR_OK, "%s/%s: refused %s: %s", plugin, name, err.code, err.message);
    cr_expect_eq(t.points, json_integer_value(json_object_get(c, "points")), "%s/%s: points %lld",
                 plugin, name, (long long)t.points);
    cr_expect_eq(t.base_amount_minor, json_integer_value(json_object_get(c, "base")),
                 "%s/%s: base %lld", plugin, name, (long long)t.base_amount_minor);
    json_t *lines = json_object_get(c, "lines");
    cr_assert_eq(t.nlines, json_array_size(lines), "%s/%s: %zu lines", plugin, name, t.nlines);
    for (size_t i = 0; i < t.nlines; i++) {
        json_t *l = json_array_get(lines, i);
        cr_expect_str_eq(t.lines[i].category, json_string_value(json_array_get(l, 0)),
                         "%s/%s: line %zu", plugin, name, i);
        cr_expect_eq(t.lines[i].points, json_integer_value(json_array_get(l, 1)),
                     "%s/%s: line %zu points", plugin, name, i);
        cr_expect_eq(t.lines[i].qualifying, json_is_true(json_array_get(l, 2)),
                     "%s/%s: line %zu qualifying", plugin, name, i);
    }
}

static void run_cases(const char *plugin)
{
    char path[512];
    snprintf(path, sizeof(path), CASES "/%s.json", plugin);
    json_error_t jerr;
    json_t *doc = json_load_file(path, 0, &jerr);
    cr_assert(doc != NULL, "%s: %s", path, jerr.text);
    cr_assert_eq(al_plugins_init(ALLIANCE_PLUGIN_BUILD_DIR), 0);
    al_plugin_set *cache = NULL;
    al_plugin_set *set = al_plugins_acquire(&cache);
    cr_assert(al_plugins_find(set, plugin) != NULL, "%s is not built", plugin);
    json_t *cases = json_object_get(doc, "cases");
    cr_assert_gt(json_array_size(cases), 10);
    size_t i;
    json_t *c;
    json_array_foreach (cases, i, c)
        check_case(set, plugin, json_object_get(doc, "config"), c);
    al_plugins_release(set);
    al_plugins_release(cache);
    al_plugins_shutdown();
    json_decref(doc);
}

Test(plugins, bank)
{
    run_cases("bank");
}

Test(plugins, insurer)
{
    run_cases("insurer");
}

Test(plugins, retailer)
{
    run_cases("retailer");
}
