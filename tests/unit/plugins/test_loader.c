/*
 * The loader: broken plugins are refused one by one with a clear reason while
 * the good ones load; the service-table plugin sees every host service; a
 * reload publishes a new generation while the old one stays usable until its
 * last user lets go.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <criterion/criterion.h>
#include <jansson.h>

#include "plugins/registry.h"
#include "plugins/translate.h"

static char dir[256];

static void setup(void)
{
    snprintf(dir, sizeof(dir), "/tmp/al-loader-XXXXXX");
    cr_assert(mkdtemp(dir) != NULL);
    char cmd[4096];
    snprintf(cmd, sizeof(cmd),
             "cp %s/broken_*.so %s/services.so %s/ && cp %s/bank.so %s/ && echo 'not elf' > "
             "%s/junk.so && "
             "echo 'ignored' > %s/readme.txt",
             ALLIANCE_TEST_PLUGIN_BUILD_DIR, ALLIANCE_TEST_PLUGIN_BUILD_DIR, dir,
             ALLIANCE_PLUGIN_BUILD_DIR, dir, dir, dir);
    cr_assert_eq(system(cmd), 0);
}

static void teardown(void)
{
    char cmd[512];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    system(cmd);
}

TestSuite(loader, .init = setup, .fini = teardown);

static const char *reason_for(const json_t *refused, const char *file)
{
    size_t i;
    json_t *r;
    json_array_foreach (refused, i, r)
        if (strcmp(json_string_value(json_object_get(r, "file")), file) == 0)
            return json_string_value(json_object_get(r, "reason"));
    return NULL;
}

Test(loader, refuses_each_broken_plugin_and_keeps_the_rest)
{
    cr_assert_eq(al_plugins_init(dir), 0);
    al_plugin_set *cache = NULL, *set = al_plugins_acquire(&cache);
    cr_expect_eq(set->n, 2, "bank and services load");
    cr_expect(al_plugins_find(set, "bank") != NULL);
    cr_expect(al_plugins_find(set, "services") != NULL);
    static const char *const expect[][2] = {
        {"broken_wrong_major.so", "ABI major 2, this server speaks 1"},
        {"broken_newer_minor.so", "ABI 1.2 is newer than this server's 1.1"},
        {"broken_missing_callback.so", "has no translate"},
        {"broken_not_plugin.so", "not a plugin"},
        {"broken_duplicate.so", "a plugin named bank is already loaded"},
        {"broken_bad_describe.so", "describe() is not a JSON object"},
        {"junk.so", "not a loadable shared object"},
    };
    cr_expect_eq(json_array_size(set->refused), 7);
    for (size_t i = 0; i < sizeof(expect) / sizeof(expect[0]); i++) {
        const char *reason = reason_for(set->refused, expect[i][0]);
        cr_expect(reason != NULL, "%s was not refused", expect[i][0]);
        if (reason != NULL)
            cr_expect(strstr(reason, expect[i][1]) != NULL, "%s: %s", expect[i][0], reason);
    }
    al_plugins_release(set);
    al_plugins_release(cache);
    al_plugins_shutdown();
}

Test(loader, services_plugin_sees_every_host_service)
{
    cr_assert_eq(al_plugins_init(dir), 0);
    al_plugin_set *cache = NULL, *set = al_plugins_acquire(&cache);
    json_t *data = json_loads("{\"n\":5,\"flag\":true,\"s\":\"abcd\",\"arr\":[1,2,30],"
                              "\"obj\":{\"k\":7,\"j\":1}}",
                              0, NULL);
    al_translation t;
    alliance_error err;
    cr_assert_eq(al_translate(set, "services", "{}", data, &t, &err), AL_TR_OK, "%s", err.message);
    /* n 5 + flag 1 + strlen 4 + size 3 + last 30 + first member 7 + clock 1 + missing 1 + size 2 */
    cr_expect_eq(t.points, 54);
    cr_expect_str_eq(t.lines[0].category, "32567"); /* int, bool, string, array, object */
    cr_expect_str_eq(t.currency, "XTS");
    json_decref(data);
    data = json_loads("{\"n\":\"five\"}", 0, NULL);
    cr_expect_eq(al_translate(set, "services", "{}", data, &t, &err), AL_TR_REFUSED);
    cr_expect_str_eq(err.code, "invalid_data");
    json_decref(data);
    al_plugins_release(set);
    al_plugins_release(cache);
    al_plugins_shutdown();
}

Test(loader, reload_publishes_a_new_generation_and_keeps_the_old_for_its_users)
{
    cr_assert_eq(al_plugins_init(dir), 0);
    al_plugin_set *cache = NULL;
    al_plugin_set *old = al_plugins_acquire(&cache); /* a request in flight */
    cr_expect_eq(old->generation, 1);

    char cmd[512];
    snprintf(cmd, sizeof(cmd), "rm %s/services.so", dir);
    cr_assert_eq(system(cmd), 0);
    json_t *report = NULL;
    cr_assert_eq(al_plugins_reload(&report), 0);
    cr_expect_eq(json_integer_value(json_object_get(report, "generation")), 2);
    json_decref(report);

    al_plugin_set *fresh = al_plugins_acquire(&cache);
    cr_expect_eq(fresh->generation, 2);
    cr_expect(al_plugins_find(fresh, "services") == NULL, "removed from the new generation");
    /* The request that started on generation 1 still has its plugin. */
    json_t *data =
        json_loads("{\"n\":1,\"flag\":false,\"s\":\"\",\"arr\":[0],\"obj\":{\"k\":0}}", 0, NULL);
    al_translation t;
    alliance_error err;
    cr_expect_eq(al_translate(old, "services", "{}", data, &t, &err), AL_TR_OK, "%s", err.message);
    cr_expect_eq(al_translate(fresh, "services", "{}", data, &t, &err), AL_TR_NO_PLUGIN);
    json_decref(data);
    cr_expect_eq(atomic_load(&old->refs), 1, "only the request holds generation 1 now");
    al_plugins_release(old); /* unloads generation 1 */
    al_plugins_release(fresh);
    al_plugins_release(cache);
    al_plugins_shutdown();
}
