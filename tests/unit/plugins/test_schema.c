/*
 * The plugins' field specs (ABI 1.1, plugins/schema.c): the loader's check of
 * a description, the host's check of a config a plugin took, and what a
 * plugin's unusable result becomes.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>
#include <jansson.h>

#include "plugins/registry.h"
#include "plugins/schema.h"
#include "plugins/translate.h"

Test(schema, descriptions)
{
    char why[200];
    json_t *good = json_loads("{\"summary\":\"s\",\"config\":{\"currency\":{\"type\":\"currency\","
                              "\"required\":true},\"n\":{\"type\":\"integer\",\"required\":false,"
                              "\"min\":1,\"max\":9,\"default\":3}},\"data\":{}}",
                              0, NULL);
    cr_expect(al_schema_valid(good, why, sizeof(why)), "%s", why);
    static const char *const bad[][2] = {
        {"{\"config\":{\"n\":\"int >= 1\"}}", "config.n has no spec"},
        {"{\"config\":{\"n\":{\"type\":\"int\",\"required\":true}}}", "config.n has no spec"},
        {"{\"config\":{\"n\":{\"type\":\"integer\"}}}", "config.n: required must be a boolean"},
        {"{\"data\":{\"n\":{\"type\":\"integer\",\"required\":true,\"min\":\"1\"}}}",
         "data.n: required must be a boolean, min and max integers"},
        {"{\"config\":[]}", "\"config\" is not an object"},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        json_t *d = json_loads(bad[i][0], 0, NULL);
        cr_expect(!al_schema_valid(d, why, sizeof(why)), "%s", bad[i][0]);
        cr_expect(strstr(why, bad[i][1]) != NULL, "%s: %s", bad[i][0], why);
        json_decref(d);
    }
    static const char *const configs[][3] = {
        {"{\"currency\":\"CNY\"}", NULL, NULL},
        {"{\"currency\":\"CNY\",\"n\":9}", NULL, NULL},
        {"{}", "missing_field", "config.currency is required"},
        {"{\"currency\":\"cny\"}", "invalid_field",
         "config.currency must be an ISO 4217 code like CNY"},
        {"{\"currency\":\"CNY\",\"n\":\"5\"}", "invalid_field", "config.n must be integer"},
        {"{\"currency\":\"CNY\",\"n\":10}", "invalid_field", "config.n must be from 1 to 9"},
        {"{\"currency\":\"CNY\",\"n\":0}", "invalid_field", "config.n must be from 1 to 9"},
    };
    for (size_t i = 0; i < sizeof(configs) / sizeof(configs[0]); i++) {
        json_t *c = json_loads(configs[i][0], 0, NULL);
        char code[64] = "", message[256] = "";
        int rc = al_schema_check_config(good, c, code, message, sizeof(message));
        if (configs[i][1] == NULL) {
            cr_expect_eq(rc, 0, "%s: %s", configs[i][0], message);
        } else {
            cr_expect_eq(rc, -1, "%s", configs[i][0]);
            cr_expect_str_eq(code, configs[i][1], "%s", configs[i][0]);
            cr_expect_str_eq(message, configs[i][2], "%s", configs[i][0]);
        }
        json_decref(c);
    }
    json_decref(good);
}

static char dir[256];

static void setup(void)
{
    snprintf(dir, sizeof(dir), "/tmp/al-schema-XXXXXX");
    cr_assert(mkdtemp(dir) != NULL);
    char cmd[2048];
    snprintf(cmd, sizeof(cmd), "cp %s/template.so %s/misbehaving.so %s/ && cp %s/insurer.so %s/",
             ALLIANCE_TEST_PLUGIN_BUILD_DIR, ALLIANCE_TEST_PLUGIN_BUILD_DIR, dir,
             ALLIANCE_PLUGIN_BUILD_DIR, dir);
    cr_assert_eq(system(cmd), 0);
    cr_assert_eq(al_plugins_init(dir), 0);
}

static void teardown(void)
{
    al_plugins_shutdown();
    char cmd[512];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    system(cmd);
}

TestSuite(plugin_specs, .init = setup, .fini = teardown);

Test(plugin_specs, a_config_the_plugin_took_but_the_host_cannot_use_is_refused_at_once)
{
    al_plugin_set *cache = NULL, *set = al_plugins_acquire(&cache);
    alliance_error err;
    json_t *cny = json_loads("{\"currency\":\"cny\",\"minor_per_point\":100}", 0, NULL);
    cr_expect_eq(al_plugin_check_config(set, "template", cny, &err), AL_TR_REFUSED);
    cr_expect_str_eq(err.code, "invalid_field");
    cr_expect_str_eq(err.message, "config.currency must be an ISO 4217 code like CNY");
    json_t *ok = json_loads("{\"currency\":\"CNY\",\"minor_per_point\":100}", 0, NULL);
    cr_expect_eq(al_plugin_check_config(set, "template", ok, &err), AL_TR_OK);
    /* The insurer says what it needs: renewal_bonus_points is required. */
    const al_plugin *insurer = al_plugins_find(set, "insurer");
    cr_assert(insurer != NULL);
    json_t *spec =
        json_object_get(json_object_get(insurer->description, "config"), "renewal_bonus_points");
    cr_expect(json_is_true(json_object_get(spec, "required")));
    cr_expect_str_eq(json_string_value(json_object_get(spec, "type")), "integer");
    cr_expect_eq(json_integer_value(json_object_get(spec, "min")), 0);
    json_decref(cny);
    json_decref(ok);
    al_plugins_release(set);
    al_plugins_release(cache);
}

Test(plugin_specs, a_result_the_host_cannot_use_says_why)
{
    al_plugin_set *cache = NULL, *set = al_plugins_acquire(&cache);
    alliance_error err;
    al_translation t;
    json_t *data = json_loads("{\"fault\":\"currency\"}", 0, NULL);
    cr_expect_eq(al_translate(set, "misbehaving", "{}", data, &t, &err), AL_TR_BAD_OUTPUT);
    cr_expect_str_eq(err.code, "plugin_error");
    cr_expect(strstr(err.message, "currency is not an ISO 4217 code") != NULL, "%s", err.message);
    json_decref(data);
    data = json_loads("{\"fault\":\"negative\"}", 0, NULL);
    cr_expect_eq(al_translate(set, "misbehaving", "{}", data, &t, &err), AL_TR_BAD_OUTPUT);
    cr_expect(strstr(err.message, "negative points") != NULL, "%s", err.message);
    json_decref(data);
    data = json_loads("{}", 0, NULL);
    cr_expect_eq(al_translate(set, "misbehaving", "{}", data, &t, &err), AL_TR_OK);
    cr_expect_eq(t.points, 1);
    json_decref(data);
    al_plugins_release(set);
    al_plugins_release(cache);
}
