/*
 * People and the console's server side, over HTTP: admin keys with roles
 * (owner, finance, program, viewer) and what each may do; colleagues' keys
 * made, listed and revoked by an owner; console sessions (an HttpOnly,
 * SameSite=Strict cookie; changes carry the CSRF token; signing out and
 * revoking the key end them); the console's files with their
 * Content-Security-Policy; the overview's figures, computed by hand; a
 * partner's contracts with their dates. (The console itself, in a browser:
 * tests/console/journeys.mjs.)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>

#include "harness.h"

static test_server srv;
static char tenant[64], owner[128];
static partner_key bank;

#define CONFIG "{\"currency\":\"CNY\",\"spend_minor_per_point\":100}"

static void start(void)
{
    server_start(&srv, NULL, NULL);
    unique_id(tenant, sizeof(tenant), "cs");
    make_tenant(&srv, tenant, owner, sizeof(owner));
    make_partner(&srv, owner, "bank", "bank", CONFIG, &bank);
}

static void stop(void)
{
    server_finish(&srv);
}

TestSuite(console, .init = start, .fini = stop, .timeout = 90);

/* A request with extra headers ("Name: value\r\n"...). */
static response call(const char *method, const char *path, const char *headers, const char *body)
{
    response r = {0};
    conn c;
    char all[1024];
    snprintf(all, sizeof(all), "Connection: close\r\n%s", headers ? headers : "");
    if (conn_open(&c, &srv) == 0) {
        conn_request(&c, method, path, all, body, body ? strlen(body) : 0, &r);
        conn_close(&c);
    }
    return r;
}

/* A colleague's key with role: the key into key (and its id into id). */
static void make_key(const char *role, char key[80], char id[24])
{
    char body[100];
    snprintf(body, sizeof(body), "{\"name\":\"%s person\",\"role\":\"%s\"}", role, role);
    response r = http(&srv, "POST", "/v1/admin-keys", owner, body);
    cr_assert_eq(r.status, 201, "%s", r.body);
    snprintf(key, 80, "%s", json_string_value(json_object_get(r.json, "key")));
    snprintf(id, 24, "%s", json_string_value(json_object_get(r.json, "id")));
    cr_assert_str_eq(json_string_value(json_object_get(r.json, "role")), role);
    response_free(&r);
}

static int status_of(const char *method, const char *path, const char *key, const char *body)
{
    response r = http(&srv, method, path, key, body);
    int status = r.status;
    response_free(&r);
    return status;
}

Test(console, each_role_does_what_it_may_and_nothing_else)
{
    char viewer[80], finance[80], program[80], id[24];
    make_key("viewer", viewer, id);
    make_key("finance", finance, id);
    make_key("program", program, id);
    const char *rules = "{\"tiers\":{\"levels\":[{\"name\":\"base\",\"threshold\":0}]}}";
    const char *period = "{\"period_start\":\"2020-01-01T00:00:00Z\","
                         "\"period_end\":\"2020-02-01T00:00:00Z\"}";

    /* Everyone reads. */
    const char *readers[] = {viewer, finance, program, owner};
    for (int i = 0; i < 4; i++) {
        cr_expect_eq(status_of("GET", "/v1/members", readers[i], NULL), 200);
        cr_expect_eq(status_of("GET", "/v1/rules", readers[i], NULL), 200);
        cr_expect_eq(status_of("GET", "/v1/analytics/overview", readers[i], NULL), 200);
    }
    /* A viewer changes nothing. */
    response r = http(&srv, "PUT", "/v1/rules", viewer, rules);
    expect_error(&r, 403, "forbidden");
    response_free(&r);
    cr_expect_eq(status_of("POST", "/v1/settlements", viewer, period), 403);
    cr_expect_eq(status_of("POST", "/v1/members", viewer, "{\"id\":\"v-made\"}"), 403);
    cr_expect_eq(status_of("POST", "/v1/admin-keys", viewer, "{\"name\":\"x\",\"role\":\"owner\"}"),
                 403);
    /* Finance settles but sets no rules; program sets rules and members but does not settle. */
    cr_expect_eq(status_of("PUT", "/v1/rules", finance, rules), 403);
    cr_expect_eq(status_of("POST", "/v1/settlements", finance, period), 201);
    cr_expect_eq(status_of("POST", "/v1/settlements", program, period), 403);
    cr_expect_eq(status_of("PUT", "/v1/rules", program, rules), 200);
    cr_expect_eq(status_of("POST", "/v1/members", program, "{\"id\":\"p-made\"}"), 201);
    /* Partners, webhooks and people are the owner's. */
    cr_expect_eq(status_of("POST", "/v1/partners/bank/suspend", program, NULL), 403);
    cr_expect_eq(status_of("POST", "/v1/partners/bank/suspend", finance, NULL), 403);
    cr_expect_eq(status_of("GET", "/v1/admin-keys", finance, NULL), 403);
    /* Nothing a refusal touched exists; the rules are the program's version. */
    cr_expect_eq(status_of("GET", "/v1/members/v-made", owner, NULL), 404);
    r = http(&srv, "GET", "/v1/rules", owner, NULL);
    cr_expect_eq(json_integer_value(json_object_get(r.json, "version")), 1);
    response_free(&r);
    /* The audit log names the key that made each change. */
    r = http(&srv, "GET", "/v1/audit?limit=1000", owner, NULL);
    cr_assert_eq(r.status, 200);
    cr_expect(strstr(r.body, "\"action\":\"rules.publish\"") != NULL);
    response_free(&r);
}

Test(console, an_owner_makes_lists_and_revokes_colleagues_keys)
{
    char key[80], id[24];
    response r = http(&srv, "POST", "/v1/admin-keys", owner, "{\"name\":\"x\",\"role\":\"boss\"}");
    expect_error(&r, 400, "invalid_field");
    response_free(&r);
    r = http(&srv, "POST", "/v1/admin-keys", owner, "{\"name\":\"x\"}");
    expect_error(&r, 400, "missing_field");
    response_free(&r);
    make_key("viewer", key, id);
    cr_expect_eq(strlen(key), 67);
    cr_expect_eq(strlen(id), 16);

    r = http(&srv, "GET", "/v1/admin-keys", owner, NULL);
    cr_assert_eq(r.status, 200);
    cr_expect(strstr(r.body, id) != NULL);
    cr_expect(strstr(r.body, key) == NULL, "a key is never shown again");
    response_free(&r);

    cr_expect_eq(status_of("GET", "/v1/members", key, NULL), 200);
    char path[64];
    snprintf(path, sizeof(path), "/v1/admin-keys/%s", id);
    r = http(&srv, "DELETE", path, owner, NULL);
    cr_assert_eq(r.status, 200, "%s", r.body);
    response_free(&r);
    r = http(&srv, "GET", "/v1/members", key, NULL);
    expect_error(&r, 401, "unauthorized");
    response_free(&r);
    cr_expect_eq(status_of("DELETE", path, owner, NULL), 200, "revoking twice changes nothing");
    r = http(&srv, "DELETE", "/v1/admin-keys/0000000000000000", owner, NULL);
    expect_error(&r, 404, "not_found");
    response_free(&r);
    r = http(&srv, "GET", "/v1/admin-keys", owner, NULL);
    size_t i;
    json_t *k;
    bool listed = false;
    json_array_foreach (json_object_get(r.json, "keys"), i, k) {
        if (strcmp(json_string_value(json_object_get(k, "id")), id) == 0) {
            listed = true;
            cr_expect(json_is_string(json_object_get(k, "revoked_at")), "listed as revoked");
        }
    }
    cr_expect(listed);
    response_free(&r);
}

/* Signs in with key: the cookie ("alliance_session=...") and the CSRF token. */
static void sign_in(const char *key, char cookie[128], char csrf[80])
{
    char body[128];
    snprintf(body, sizeof(body), "{\"key\":\"%s\"}", key);
    response r = call("POST", "/v1/console/session", NULL, body);
    cr_assert_eq(r.status, 201, "%s", r.body);
    char set[256];
    cr_assert(response_header(&r, "Set-Cookie", set, sizeof(set)));
    cr_expect(strstr(set, "HttpOnly") != NULL && strstr(set, "SameSite=Strict") != NULL &&
                  strstr(set, "Path=/") != NULL,
              "%s", set);
    snprintf(cookie, 128, "%.*s", (int)strcspn(set, ";"), set);
    snprintf(csrf, 80, "%s", json_string_value(json_object_get(r.json, "csrf_token")));
    response_free(&r);
}

Test(console, a_session_reads_and_changes_only_with_its_csrf_token)
{
    response r = call("POST", "/v1/console/session", NULL, "{\"key\":\"ak_nope\"}");
    expect_error(&r, 401, "unauthorized");
    response_free(&r);

    char cookie[128], csrf[80], headers[400];
    sign_in(owner, cookie, csrf);
    snprintf(headers, sizeof(headers), "Cookie: theme=dark; %s\r\n", cookie);
    r = call("GET", "/v1/console/session", headers, NULL);
    cr_assert_eq(r.status, 200, "%s", r.body);
    cr_expect_str_eq(json_string_value(json_object_get(r.json, "role")), "owner");
    cr_expect_str_eq(json_string_value(json_object_get(r.json, "tenant")), tenant);
    cr_expect_str_eq(json_string_value(json_object_get(r.json, "csrf_token")), csrf);
    response_free(&r);
    r = call("GET", "/v1/members", headers, NULL);
    cr_expect_eq(r.status, 200);
    response_free(&r);

    /* A change without the token (or with another) is refused and makes nothing. */
    r = call("POST", "/v1/members", headers, "{\"id\":\"s-forged\"}");
    expect_error(&r, 403, "csrf_token_mismatch");
    response_free(&r);
    char wrong[500];
    snprintf(wrong, sizeof(wrong), "%sX-CSRF-Token: %064d\r\n", headers, 0);
    r = call("POST", "/v1/members", wrong, "{\"id\":\"s-forged\"}");
    expect_error(&r, 403, "csrf_token_mismatch");
    response_free(&r);
    cr_expect_eq(status_of("GET", "/v1/members/s-forged", owner, NULL), 404);
    char good[500];
    snprintf(good, sizeof(good), "%sX-CSRF-Token: %s\r\n", headers, csrf);
    r = call("POST", "/v1/members", good, "{\"id\":\"s-made\"}");
    cr_expect_eq(r.status, 201, "%s", r.body);
    response_free(&r);

    /* Signing out ends it. */
    r = call("DELETE", "/v1/console/session", good, NULL);
    cr_assert_eq(r.status, 200, "%s", r.body);
    char set[200];
    cr_expect(response_header(&r, "Set-Cookie", set, sizeof(set)) && strstr(set, "Max-Age=0"));
    response_free(&r);
    r = call("GET", "/v1/members", headers, NULL);
    expect_error(&r, 401, "session_expired");
    response_free(&r);
    /* An admin key's bearer has no session to read. */
    r = http(&srv, "GET", "/v1/console/session", owner, NULL);
    expect_error(&r, 401, "session_expired");
    response_free(&r);
}

Test(console, a_session_has_its_keys_role_and_ends_with_the_key)
{
    char key[80], id[24], cookie[128], csrf[80], headers[400];
    make_key("viewer", key, id);
    sign_in(key, cookie, csrf);
    snprintf(headers, sizeof(headers), "Cookie: %s\r\nX-CSRF-Token: %s\r\n", cookie, csrf);
    response r = call("GET", "/v1/rules", headers, NULL);
    cr_expect_eq(r.status, 200);
    response_free(&r);
    r = call("PUT", "/v1/rules", headers, "{}");
    expect_error(&r, 403, "forbidden");
    response_free(&r);
    char path[64];
    snprintf(path, sizeof(path), "/v1/admin-keys/%s", id);
    cr_assert_eq(status_of("DELETE", path, owner, NULL), 200);
    r = call("GET", "/v1/rules", headers, NULL);
    expect_error(&r, 401, "session_expired");
    response_free(&r);
}

Test(console, the_console_is_served_with_a_strict_policy)
{
    response r = call("GET", "/console/", NULL, NULL);
    cr_assert_eq(r.status, 200);
    char h[400];
    cr_assert(response_header(&r, "Content-Security-Policy", h, sizeof(h)));
    cr_expect(strstr(h, "script-src 'self'") && !strstr(h, "unsafe") &&
              strstr(h, "frame-ancestors 'none'"));
    cr_expect(response_header(&r, "Content-Type", h, sizeof(h)) && strstr(h, "text/html"));
    cr_expect(strstr(r.body, "<script type=\"module\" src=\"app.js\"></script>") != NULL);
    cr_expect(strstr(r.body, "<script>") == NULL, "no inline script");
    response_free(&r);
    r = call("GET", "/console/app.js", NULL, NULL);
    cr_expect_eq(r.status, 200);
    cr_expect(response_header(&r, "Content-Type", h, sizeof(h)) && strstr(h, "text/javascript"));
    response_free(&r);
    r = call("GET", "/console", NULL, NULL);
    cr_expect_eq(r.status, 301);
    cr_expect(response_header(&r, "Location", h, sizeof(h)) && strcmp(h, "/console/") == 0);
    response_free(&r);
    r = call("GET", "/console/secret.txt", NULL, NULL);
    expect_error(&r, 404, "not_found");
    response_free(&r);
    r = call("GET", "/console/..%2fsecret", NULL, NULL);
    expect_error(&r, 400, "invalid_path");
    response_free(&r);
}

Test(console, the_overview_adds_up)
{
    /* Its own tenant: the other tests' members stay out of the figures. */
    char t[64], key[128];
    unique_id(t, sizeof(t), "ov");
    make_tenant(&srv, t, key, sizeof(key));
    partner_key shop;
    make_partner(&srv, key, "shop", "bank", CONFIG, &shop);
    /* 123.45 and 678.90 CNY at 100 minor a point: 123 and 678 points; then 200 redeemed. */
    const char *tx[] = {"{\"id\":\"o-1\",\"member\":\"ann\",\"data\":{\"type\":\"purchase\","
                        "\"amount_minor\":12345,\"currency\":\"CNY\",\"mcc\":\"5999\"}}",
                        "{\"id\":\"o-2\",\"member\":\"ben\",\"data\":{\"type\":\"purchase\","
                        "\"amount_minor\":67890,\"currency\":\"CNY\",\"mcc\":\"5999\"}}"};
    for (int i = 0; i < 2; i++) {
        response r = partner_call(&srv, &shop, "POST", "/v1/transactions", tx[i], 0, NULL);
        cr_assert_eq(r.status, 201, "%s", r.body);
        response_free(&r);
    }
    response r = partner_call(&srv, &shop, "POST", "/v1/redemptions",
                              "{\"id\":\"o-r\",\"member\":\"ben\",\"points\":200}", 0, NULL);
    cr_assert_eq(r.status, 201, "%s", r.body);
    response_free(&r);

    r = http(&srv, "GET", "/v1/analytics/overview?months=2", key, NULL);
    cr_assert_eq(r.status, 200, "%s", r.body);
    json_t *o = r.json, *totals = json_object_get(o, "totals");
    cr_expect_eq(json_integer_value(json_object_get(o, "members")), 2);
    cr_expect_eq(json_integer_value(json_object_get(o, "points_outstanding")), 123 + 678 - 200);
    cr_expect_eq(json_integer_value(json_object_get(totals, "issued")), 801);
    cr_expect_eq(json_integer_value(json_object_get(totals, "redeemed")), 200);
    cr_expect_eq(json_integer_value(json_object_get(o, "breakage_bp")), 0);
    json_t *months = json_object_get(o, "months");
    cr_assert_eq(json_array_size(months), 2);
    json_t *now = json_array_get(months, 1);
    cr_expect_eq(json_integer_value(json_object_get(now, "issued")), 801, "this month: all of it");
    cr_expect_eq(json_integer_value(json_object_get(json_array_get(months, 0), "issued")), 0);
    /* 601 points at 600 minor a thousand: 360.6, rounded half away from zero: 361. */
    json_t *liability = json_array_get(json_object_get(o, "liability"), 0);
    cr_expect_str_eq(json_string_value(json_object_get(liability, "partner")), "shop");
    cr_expect_eq(json_integer_value(json_object_get(liability, "value_minor")), 361);
    json_t *top = json_array_get(json_object_get(o, "top_partners"), 0);
    cr_expect_eq(json_integer_value(json_object_get(top, "issued")), 801);
    response_free(&r);
    r = http(&srv, "GET", "/v1/analytics/overview?months=99", key, NULL);
    expect_error(&r, 400, "invalid_parameter");
    response_free(&r);
}

Test(console, a_partners_contracts_are_listed_with_their_dates)
{
    earn_purchase(&srv, &bank, "c-1", "cat", 1000);
    response r =
        http(&srv, "PATCH", "/v1/partners/bank", owner,
             "{\"contract\":{\"currency\":\"CNY\",\"issue_minor_per_1000\":900,"
             "\"redeem_minor_per_1000\":700,\"effective_from\":\"2030-01-01T00:00:00Z\"}}");
    cr_assert_eq(r.status, 200, "%s", r.body);
    response_free(&r);
    r = http(&srv, "GET", "/v1/partners/bank/contracts", owner, NULL);
    cr_assert_eq(r.status, 200, "%s", r.body);
    json_t *list = json_object_get(r.json, "contracts");
    cr_assert_geq(json_array_size(list), 2);
    json_t *last = json_array_get(list, json_array_size(list) - 1);
    cr_expect_str_eq(json_string_value(json_object_get(last, "effective_from")),
                     "2030-01-01T00:00:00Z");
    cr_expect_eq(json_integer_value(json_object_get(last, "redeem_minor_per_1000")), 700);
    response_free(&r);
    r = http(&srv, "GET", "/v1/partners/nobody/contracts", owner, NULL);
    cr_expect_eq(r.status, 404);
    response_free(&r);
}
