/* Tenants over HTTP: the operator creates, admins read their own only. */
#include <stdio.h>
#include <string.h>

#include <criterion/criterion.h>

#include "harness.h"

static test_server srv;

static void start(void)
{
    server_start(&srv, NULL, NULL);
}

static void stop(void)
{
    server_finish(&srv);
}

TestSuite(tenants, .init = start, .fini = stop, .timeout = 60);

static void expect_no_tenant(const char *id)
{
    char path[128];
    snprintf(path, sizeof(path), "/v1/tenants/%s", id);
    response r = http(&srv, "GET", path, OPERATOR_TOKEN, NULL);
    expect_error(&r, 404, "not_found");
    response_free(&r);
}

Test(tenants, operator_creates_and_key_reads_it_back)
{
    char id[64], key[128], body[256], path[128];
    unique_id(id, sizeof(id), "t");
    snprintf(body, sizeof(body), "{\"id\":\"%s\",\"name\":\"Ping An Wanlitong\"}", id);
    response r = http(&srv, "POST", "/v1/tenants", OPERATOR_TOKEN, body);
    cr_assert_eq(r.status, 201, "%s", r.body);
    cr_expect_str_eq(json_string_value(json_object_get(r.json, "id")), id);
    cr_expect_str_eq(json_string_value(json_object_get(r.json, "name")), "Ping An Wanlitong");
    snprintf(key, sizeof(key), "%s", json_string_value(json_object_get(r.json, "admin_key")));
    cr_expect_eq(strncmp(key, "ak_", 3), 0);
    cr_expect_eq(strlen(key), 67);
    response_free(&r);

    snprintf(path, sizeof(path), "/v1/tenants/%s", id);
    r = http(&srv, "GET", path, key, NULL);
    cr_expect_eq(r.status, 200, "%s", r.body);
    cr_expect_str_eq(json_string_value(json_object_get(r.json, "id")), id);
    cr_expect(json_object_get(r.json, "admin_key") == NULL, "the key is shown once only");
    cr_expect(json_is_string(json_object_get(r.json, "created_at")));
    response_free(&r);

    r = http(&srv, "GET", path, OPERATOR_TOKEN, NULL);
    cr_expect_eq(r.status, 200);
    response_free(&r);

    static const char *const line[] = {"\"path\":\"/v1/tenants/", "\"status\":200", NULL};
    cr_expect(log_has_line(&srv, line));
}

Test(tenants, only_the_hash_of_the_key_is_stored)
{
    char id[64], key[128], sql[512], out[128];
    unique_id(id, sizeof(id), "h");
    make_tenant(&srv, id, key, sizeof(key));
    snprintf(sql, sizeof(sql),
             "SELECT COUNT(*) FROM tenants WHERE tenant_id='%s' AND admin_key_hash=SHA2('%s',256)",
             id, key);
    cr_assert_eq(db_scalar(sql, out, sizeof(out)), 0);
    cr_expect_str_eq(out, "1");
    snprintf(sql, sizeof(sql),
             "SELECT COUNT(*) FROM tenants WHERE CONCAT_WS(' ',tenant_id,name,admin_key_hash) "
             "LIKE '%%%s%%'",
             key + 3);
    cr_assert_eq(db_scalar(sql, out, sizeof(out)), 0);
    cr_expect_str_eq(out, "0");
}

Test(tenants, bad_or_missing_token_is_401)
{
    char id[64], body[256];
    unique_id(id, sizeof(id), "u");
    snprintf(body, sizeof(body), "{\"id\":\"%s\",\"name\":\"X\"}", id);
    response r = http(&srv, "POST", "/v1/tenants", "wrong-token", body);
    expect_error(&r, 401, "unauthorized");
    response_free(&r);
    r = http(&srv, "POST", "/v1/tenants", NULL, body);
    expect_error(&r, 401, "unauthorized");
    response_free(&r);
    r = http(&srv, "POST", "/v1/tenants",
             "ak_0000000000000000000000000000000000000000000000000000000000000000", body);
    expect_error(&r, 401, "unauthorized");
    response_free(&r);
    expect_no_tenant(id);
}

Test(tenants, admin_key_works_for_its_own_tenant_only)
{
    char a[64], b[64], key_a[128], key_b[128], path[128], body[256];
    unique_id(a, sizeof(a), "a");
    unique_id(b, sizeof(b), "b");
    make_tenant(&srv, a, key_a, sizeof(key_a));
    make_tenant(&srv, b, key_b, sizeof(key_b));

    snprintf(path, sizeof(path), "/v1/tenants/%s", b);
    response r = http(&srv, "GET", path, key_a, NULL);
    expect_error(&r, 403, "wrong_tenant");
    response_free(&r);

    /* Not an operator either. */
    char c[64];
    unique_id(c, sizeof(c), "c");
    snprintf(body, sizeof(body), "{\"id\":\"%s\",\"name\":\"C\"}", c);
    r = http(&srv, "POST", "/v1/tenants", key_a, body);
    expect_error(&r, 403, "forbidden");
    response_free(&r);
    expect_no_tenant(c);
}

Test(tenants, reused_id_is_409)
{
    char id[64], key[128], body[256];
    unique_id(id, sizeof(id), "d");
    make_tenant(&srv, id, key, sizeof(key));
    snprintf(body, sizeof(body), "{\"id\":\"%s\",\"name\":\"Tenant %s\"}", id, id);
    response r = http(&srv, "POST", "/v1/tenants", OPERATOR_TOKEN, body);
    expect_error(&r, 409, "tenant_exists");
    response_free(&r);
    /* The first key still works. */
    char path[128];
    snprintf(path, sizeof(path), "/v1/tenants/%s", id);
    r = http(&srv, "GET", path, key, NULL);
    cr_expect_eq(r.status, 200);
    response_free(&r);
}

Test(tenants, invalid_bodies_are_400_and_create_nothing)
{
    static const struct {
        const char *body, *code;
    } cases[] = {
        {"{\"name\":\"x\"}", "missing_field"},
        {"{\"id\":\"bad-1\"}", "missing_field"},
        {"{\"id\":\"bad 2\",\"name\":\"x\"}", "invalid_field"},
        {"{\"id\":\"\",\"name\":\"x\"}", "invalid_field"},
        {"{\"id\":42,\"name\":\"x\"}", "invalid_field"},
        {"{\"id\":\"bad-3\",\"name\":\"\"}", "invalid_field"},
        {"{\"id\":\"bad-4\",\"name\":null}", "invalid_field"},
        {"{\"id\":\"bad-5\",\"name\":\"x\",\"admin_key\":\"mine\"}", "unknown_field"},
        {"{\"id\":\"bad-6\",\"name\":\"x\",\"tenant\":\"other\"}", "unknown_field"},
        {"{\"id\":\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\","
         "\"name\":\"x\"}",
         "invalid_field"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        response r = http(&srv, "POST", "/v1/tenants", OPERATOR_TOKEN, cases[i].body);
        expect_error(&r, 400, cases[i].code);
        response_free(&r);
    }
    for (int i = 1; i <= 6; i++) {
        char id[16];
        snprintf(id, sizeof(id), "bad-%d", i);
        if (i != 2)
            expect_no_tenant(id);
    }
}

Test(tenants, unknown_tenant_is_404)
{
    expect_no_tenant("no-such-tenant-anywhere");
    /* Not an id at all: refused before anything is read (issue 14). */
    response r = http(&srv, "GET", "/v1/tenants/has%20space", OPERATOR_TOKEN, NULL);
    expect_error(&r, 400, "invalid_path");
    response_free(&r);
}

Test(tenants, tenants_survive_a_server_restart)
{
    char id[64], key[128], path[128];
    unique_id(id, sizeof(id), "p");
    make_tenant(&srv, id, key, sizeof(key));
    cr_assert_eq(server_stop(&srv), 0);
    server_start(&srv, NULL, NULL);
    snprintf(path, sizeof(path), "/v1/tenants/%s", id);
    response r = http(&srv, "GET", path, key, NULL);
    cr_expect_eq(r.status, 200, "%s", r.body);
    response_free(&r);
}

/* The shape the README's API table gives: {"id","name","created_at","cluster","settings":{...}}. */
Test(tenants, the_tenant_has_the_shape_the_readme_gives)
{
    char id[64], key[128], path[128];
    unique_id(id, sizeof(id), "sh");
    make_tenant(&srv, id, key, sizeof(key));
    snprintf(path, sizeof(path), "/v1/tenants/%s", id);
    response r = http(&srv, "GET", path, key, NULL);
    cr_assert_eq(r.status, 200);
    static const char *const keys[] = {"id", "name", "created_at", "cluster", "settings"};
    cr_expect_eq(json_object_size(r.json), 5, "%s", r.body);
    cr_expect_str_eq(json_string_value(json_object_get(r.json, "cluster")), "main");
    for (size_t i = 0; i < 5; i++)
        cr_expect(json_object_get(r.json, keys[i]) != NULL, "%s: %s", keys[i], r.body);
    json_t *settings = json_object_get(r.json, "settings");
    cr_expect_eq(json_object_size(settings), 6, "%s", r.body);
    cr_expect_str_eq(json_string_value(json_object_get(settings, "time_zone")), "UTC");
    cr_expect(json_is_boolean(json_object_get(settings, "auto_enrol")));
    cr_expect(json_is_integer(json_object_get(settings, "expiry_months")));
    cr_expect_eq(json_integer_value(json_object_get(settings, "expiry_notice_days")), 30);
    for (const char *const *k = (const char *const[]){"partner_rate", "admin_rate", NULL}; *k;
         k++) {
        json_t *rate = json_object_get(settings, *k);
        cr_expect(json_is_integer(json_object_get(rate, "per_second")), "%s: %s", *k, r.body);
        cr_expect(json_is_integer(json_object_get(rate, "burst")), "%s: %s", *k, r.body);
    }
    response_free(&r);
}
