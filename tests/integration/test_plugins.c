/*
 * Plugins in the running server: listing, reload by HTTP and by SIGHUP, the
 * template built out of tree against the installed header, and a rebuilt
 * plugin reloaded under load without a failed request.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "harness.h"

static test_server srv;
static char plugin_dir[256], plugin_env[300];

static void sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void sh(const char *fmt, ...)
{
    char cmd[4096];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(cmd, sizeof(cmd), fmt, ap);
    va_end(ap);
    cr_assert_eq(system(cmd), 0, "failed: %s", cmd);
}

/* A server whose plugin folder is a scratch folder holding only bank.so. */
static void start(void)
{
    snprintf(plugin_dir, sizeof(plugin_dir), "%s/var/tmp/plugins-XXXXXX", ALLIANCE_SOURCE_DIR);
    cr_assert(mkdtemp(plugin_dir) != NULL);
    sh("cp %s/bank.so %s/", ALLIANCE_PLUGIN_BUILD_DIR, plugin_dir);
    snprintf(plugin_env, sizeof(plugin_env), "ALLIANCE_PLUGIN_DIR=%s", plugin_dir);
    const char *const env[] = {plugin_env, NULL};
    server_start(&srv, env, NULL);
}

static void stop(void)
{
    server_finish(&srv);
}

TestSuite(plugins, .init = start, .fini = stop, .timeout = 120);

static bool listed(const char *name, const char *token)
{
    response r = http(&srv, "GET", "/v1/plugins", token, NULL);
    bool found = false;
    size_t i;
    json_t *p;
    json_array_foreach (json_object_get(r.json, "plugins"), i, p)
        if (strcmp(json_string_value(json_object_get(p, "name")), name) == 0)
            found = true;
    response_free(&r);
    return found;
}

Test(plugins, list_shows_loaded_plugins_with_their_description)
{
    response r = http(&srv, "GET", "/v1/plugins", OPERATOR_TOKEN, NULL);
    cr_assert_eq(r.status, 200, "%s", r.body);
    json_t *first = json_array_get(json_object_get(r.json, "plugins"), 0);
    cr_expect_str_eq(json_string_value(json_object_get(first, "name")), "bank");
    cr_expect_str_eq(json_string_value(json_object_get(first, "abi")), "1.1");
    cr_expect(json_is_object(json_object_get(json_object_get(first, "description"), "config")));
    response_free(&r);
    char t[64], admin[128];
    unique_id(t, sizeof(t), "pl");
    make_tenant(&srv, t, admin, sizeof(admin));
    cr_expect(listed("bank", admin), "tenant admins see the plugins too");
    r = http(&srv, "POST", "/v1/admin/plugins/reload", admin, NULL);
    expect_error(&r, 403, "forbidden");
    response_free(&r);
}

Test(plugins, reload_by_http_and_by_sighup)
{
    cr_expect(!listed("insurer", OPERATOR_TOKEN));
    sh("cp %s/insurer.so %s/ && cp %s/broken_wrong_major.so %s/", ALLIANCE_PLUGIN_BUILD_DIR,
       plugin_dir, ALLIANCE_TEST_PLUGIN_BUILD_DIR, plugin_dir);
    response r = http(&srv, "POST", "/v1/admin/plugins/reload", OPERATOR_TOKEN, NULL);
    cr_assert_eq(r.status, 200, "%s", r.body);
    cr_expect_eq(json_integer_value(json_object_get(r.json, "generation")), 2);
    json_t *refused = json_array_get(json_object_get(r.json, "refused"), 0);
    cr_expect_str_eq(json_string_value(json_object_get(refused, "file")), "broken_wrong_major.so");
    response_free(&r);
    cr_expect(listed("insurer", OPERATOR_TOKEN));

    sh("cp %s/retailer.so %s/", ALLIANCE_PLUGIN_BUILD_DIR, plugin_dir);
    kill(srv.pid, SIGHUP);
    bool seen = false;
    for (int i = 0; i < 100 && !seen; i++) {
        seen = listed("retailer", OPERATOR_TOKEN);
        if (!seen)
            usleep(50 * 1000);
    }
    cr_expect(seen, "SIGHUP did not load retailer.so");
    static const char *const refusal[] = {"broken_wrong_major.so refused",
                                          "ABI major 2, this server speaks 1", NULL};
    cr_expect(log_has_line(&srv, refusal), "no log line for the refused plugin");
}

Test(plugins, template_built_out_of_tree_with_pkg_config_serves_a_partner)
{
    /*
     * The steps of docs/plugins.md, literally: install, copy the template,
     * rename the file, make, deploy the .so, reload.
     */
    char prefix[300], work[300];
    snprintf(prefix, sizeof(prefix), "%s/prefix", plugin_dir);
    snprintf(work, sizeof(work), "%s/my-partner", plugin_dir);
    sh("cmake --install %s --prefix %s >/dev/null", ALLIANCE_BUILD_DIR, prefix);
    sh("cp -r %s/plugins/template %s", ALLIANCE_SOURCE_DIR, work);
    sh("cd %s && mv template.c my_partner.c && PKG_CONFIG_PATH=%s/lib/pkgconfig make -s "
       ">/dev/null && cp my_partner.so %s/",
       work, prefix, plugin_dir);
    response r = http(&srv, "POST", "/v1/admin/plugins/reload", OPERATOR_TOKEN, NULL);
    cr_assert_eq(r.status, 200);
    response_free(&r);
    cr_assert(listed("my_partner", OPERATOR_TOKEN), "the out-of-tree plugin did not load");
    r = http(&srv, "GET", "/v1/plugins", OPERATOR_TOKEN, NULL);
    cr_expect(strstr(r.body, "Template") == NULL && strstr(r.body, "my_partner: points") != NULL,
              "the renamed plugin describes itself by its own name: %s", r.body);
    response_free(&r);
    char alliancectl[400];
    snprintf(alliancectl, sizeof(alliancectl), "%s/bin/alliancectl", prefix);
    cr_expect(access(alliancectl, X_OK) == 0, "make install puts alliancectl in bin/");

    char t[64], admin[128];
    unique_id(t, sizeof(t), "tp");
    make_tenant(&srv, t, admin, sizeof(admin));
    partner_key k;
    make_partner(&srv, admin, "acme-store", "my_partner",
                 "{\"currency\":\"CNY\",\"minor_per_point\":100}", &k);
    r = partner_call(&srv, &k, "POST", "/v1/transactions:simulate",
                     "{\"data\":{\"amount_minor\":1999,\"currency\":\"CNY\"}}", 0, NULL);
    cr_expect_eq(r.status, 200, "%s", r.body);
    cr_expect_eq(json_integer_value(json_object_get(r.json, "points")), 19);
    response_free(&r);
    /*
     * A config the template takes but the ledger could not use (a lowercase
     * currency) is refused when it is set, naming the field; nothing changes.
     */
    r = http(&srv, "PATCH", "/v1/partners/acme-store", admin,
             "{\"config\":{\"currency\":\"cny\",\"minor_per_point\":100}}");
    expect_error(&r, 400, "invalid_field");
    cr_expect(strstr(r.body, "config.currency must be an ISO 4217 code") != NULL, "%s", r.body);
    response_free(&r);
    r = partner_call(&srv, &k, "POST", "/v1/transactions:simulate",
                     "{\"data\":{\"amount_minor\":1999,\"currency\":\"CNY\"}}", 0, NULL);
    cr_expect_eq(r.status, 200, "the partner still works: %s", r.body);
    response_free(&r);
    /* GET /v1/plugins says what each config field is: type, required, range. */
    r = http(&srv, "GET", "/v1/plugins", OPERATOR_TOKEN, NULL);
    cr_expect(strstr(r.body, "\"spend_minor_per_point\":{\"type\":\"integer\",\"required\":true,"
                             "\"min\":1") != NULL,
              "%s", r.body);
    response_free(&r);
}

/* ---- reload under load ---- */

typedef struct {
    const partner_key *key;
    volatile int *stop;
    int ok, failed, saw_v2;
} load_arg;

static void *load_loop(void *p)
{
    load_arg *a = p;
    for (int i = 0; i < 20000 && !*a->stop; i++) {
        response r =
            partner_call(&srv, a->key, "POST", "/v1/transactions:simulate",
                         "{\"data\":{\"amount_minor\":1000,\"currency\":\"CNY\"}}", 0, NULL);
        json_int_t points = json_integer_value(json_object_get(r.json, "points"));
        if (r.status == 200 && (points == 10 || points == 20)) {
            a->ok++;
            a->saw_v2 += points == 20;
        } else {
            a->failed++;
            fprintf(stderr, "failed request: %d %s errno %s\n", r.status, r.body ? r.body : "",
                    strerror(errno));
        }
        response_free(&r);
    }
    return NULL;
}

/* Builds the template as plugin "live" with a multiplier, replacing the file atomically. */
static void build_live(int multiplier)
{
    sh("cc -std=c11 -O1 -fPIC -shared -fvisibility=hidden -I%s/include "
       "-DPLUGIN_NAME='\"live\"' -DPOINTS_MULTIPLIER=%d -DPLUGIN_VERSION='\"%d.0.0\"' "
       "-o %s/.live.tmp %s/plugins/template/template.c && mv %s/.live.tmp %s/live.so",
       ALLIANCE_SOURCE_DIR, multiplier, multiplier, plugin_dir, ALLIANCE_SOURCE_DIR, plugin_dir,
       plugin_dir);
}

Test(plugins, rebuilt_plugin_reloads_under_load_without_a_failed_request)
{
    build_live(1);
    response r = http(&srv, "POST", "/v1/admin/plugins/reload", OPERATOR_TOKEN, NULL);
    cr_assert_eq(r.status, 200);
    response_free(&r);
    char t[64], admin[128];
    unique_id(t, sizeof(t), "lv");
    make_tenant(&srv, t, admin, sizeof(admin));
    partner_key k;
    make_partner(&srv, admin, "live-shop", "live", "{\"currency\":\"CNY\",\"minor_per_point\":100}",
                 &k);

    volatile int stop_flag = 0;
    load_arg args[4];
    pthread_t threads[4];
    for (int i = 0; i < 4; i++) {
        args[i] = (load_arg){.key = &k, .stop = &stop_flag};
        pthread_create(&threads[i], NULL, load_loop, &args[i]);
    }
    for (int round = 0; round < 6; round++) {
        usleep(150 * 1000);
        build_live(round % 2 == 0 ? 2 : 1);
        r = http(&srv, "POST", "/v1/admin/plugins/reload", OPERATOR_TOKEN, NULL);
        cr_expect_eq(r.status, 200, "reload %d: %s", round, r.body);
        response_free(&r);
    }
    build_live(2);
    r = http(&srv, "POST", "/v1/admin/plugins/reload", OPERATOR_TOKEN, NULL);
    response_free(&r);
    usleep(200 * 1000);
    stop_flag = 1;
    int ok = 0, failed = 0, v2 = 0;
    for (int i = 0; i < 4; i++) {
        pthread_join(threads[i], NULL);
        ok += args[i].ok;
        failed += args[i].failed;
        v2 += args[i].saw_v2;
    }
    cr_expect_eq(failed, 0, "%d of %d requests failed during reloads", failed, ok + failed);
    cr_expect_gt(ok, 100, "only %d requests ran", ok);
    cr_expect_gt(v2, 0, "no request saw the rebuilt plugin");
    r = partner_call(&srv, &k, "POST", "/v1/transactions:simulate",
                     "{\"data\":{\"amount_minor\":1000,\"currency\":\"CNY\"}}", 0, NULL);
    cr_expect_eq(json_integer_value(json_object_get(r.json, "points")), 20, "new build serves");
    response_free(&r);
    static const char *const unloaded[] = {"plugin generation", "unloaded", NULL};
    cr_expect(log_has_line(&srv, unloaded), "old generations were never unloaded");
    fprintf(stderr, "reload under load: %d requests, %d failed, 7 reloads\n", ok + failed, failed);
}
