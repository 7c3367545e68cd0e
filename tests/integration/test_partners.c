/* Partners over HTTP: creation validated by the plugin, signed requests, the dry run. */
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "harness.h"

static test_server srv;
static char tenant[64], admin[128];

#define BANK_CONFIG                                                                                \
    "{\"currency\":\"CNY\",\"spend_minor_per_point\":100,\"mcc_multipliers\":{\"5411\":2},"        \
    "\"excluded_mcc\":[\"6011\"]}"
#define PURCHASE(amount, currency, mcc)                                                            \
    "{\"id\":\"t1\",\"member\":\"m1\",\"data\":{\"type\":\"purchase\",\"amount_minor\":" amount    \
    ",\"currency\":\"" currency "\",\"mcc\":\"" mcc "\"}}"

static void start(void)
{
    server_start(&srv, NULL, NULL);
    unique_id(tenant, sizeof(tenant), "pt");
    make_tenant(&srv, tenant, admin, sizeof(admin));
}

static void stop(void)
{
    server_finish(&srv);
}

TestSuite(partners, .init = start, .fini = stop, .timeout = 60);

static void expect_no_partner(const char *id)
{
    char path[128];
    snprintf(path, sizeof(path), "/v1/partners/%s", id);
    response r = http(&srv, "GET", path, admin, NULL);
    expect_error(&r, 404, "not_found");
    response_free(&r);
}

Test(partners, create_then_earn_in_a_dry_run)
{
    partner_key k;
    make_partner(&srv, admin, "icbc", "bank", BANK_CONFIG, &k);
    cr_expect_eq(strncmp(k.key_id, "pk_", 3), 0);
    cr_expect_eq(strlen(k.secret), 64);
    response r = partner_call(&srv, &k, "POST", "/v1/transactions:simulate",
                              PURCHASE("12345", "CNY", "5411"), 0, NULL);
    cr_assert_eq(r.status, 200, "%s", r.body);
    cr_expect_eq(json_integer_value(json_object_get(r.json, "points")), 246);
    cr_expect_eq(json_integer_value(json_object_get(r.json, "base_amount_minor")), 12345);
    json_t *line = json_array_get(json_object_get(r.json, "lines"), 0);
    cr_expect_str_eq(json_string_value(json_object_get(line, "category")), "mcc:5411");
    cr_expect_str_eq(json_string_value(json_object_get(json_object_get(r.json, "plugin"), "name")),
                     "bank");
    /* No rules published: the defaults, version 0, a number like everywhere else. */
    json_t *version = json_object_get(r.json, "rules_version");
    cr_expect(json_is_integer(version) && json_integer_value(version) == 0, "%s", r.body);
    response_free(&r);
}

Test(partners, secret_is_stored_sealed)
{
    partner_key k;
    make_partner(&srv, admin, "sealed", "bank", BANK_CONFIG, &k);
    char sql[512], out[256];
    snprintf(sql, sizeof(sql),
             "SELECT COUNT(*) FROM partner_keys WHERE key_id='%s' AND LENGTH(secret_enc)=92 AND "
             "INSTR(secret_enc,'%s')=0 AND INSTR(LOWER(HEX(secret_enc)),'%.16s')=0",
             k.key_id, k.secret, k.secret);
    cr_assert_eq(db_scalar(sql, out, sizeof(out)), 0);
    cr_expect_str_eq(out, "1", "the secret must not be readable in the table");
}

Test(partners, config_is_validated_by_the_plugin)
{
    static const struct {
        const char *body, *code, *in_message;
    } cases[] = {
        {"{\"id\":\"b1\",\"name\":\"B\",\"plugin\":\"bank\",\"config\":{\"currency\":\"CNY\","
         "\"spend_minor_per_point\":0},\"contract\":{\"currency\":\"CNY\",\"issue_minor_per_1000\":"
         "1,"
         "\"redeem_minor_per_1000\":1}}",
         "invalid_spend_minor_per_point", "spend_minor_per_point"},
        {"{\"id\":\"b2\",\"name\":\"B\",\"plugin\":\"bank\",\"config\":{\"currency\":\"CNY\"},"
         "\"contract\":{\"currency\":\"CNY\",\"issue_minor_per_1000\":1,\"redeem_minor_per_1000\":"
         "1}}",
         "missing_spend_minor_per_point", "spend_minor_per_point"},
        {"{\"id\":\"b3\",\"name\":\"B\",\"plugin\":\"insurer\",\"config\":{\"currency\":\"CNY\"},"
         "\"contract\":{\"currency\":\"CNY\",\"issue_minor_per_1000\":1,\"redeem_minor_per_1000\":"
         "1}}",
         "missing_premium_minor_per_point", "premium_minor_per_point"},
        {"{\"id\":\"b4\",\"name\":\"B\",\"plugin\":\"nosuch\",\"config\":{},"
         "\"contract\":{\"currency\":\"CNY\",\"issue_minor_per_1000\":1,\"redeem_minor_per_1000\":"
         "1}}",
         "unknown_plugin", "nosuch"},
        {"{\"id\":\"b5\",\"name\":\"B\",\"plugin\":\"bank\",\"config\":" BANK_CONFIG "}",
         "missing_field", "contract"},
        {"{\"id\":\"b6\",\"name\":\"B\",\"plugin\":\"bank\",\"config\":" BANK_CONFIG
         ",\"contract\":{\"currency\":\"yuan\",\"issue_minor_per_1000\":1,\"redeem_minor_per_"
         "1000\":1}}",
         "invalid_field", "contract.currency"},
        {"{\"id\":\"b7\",\"name\":\"B\",\"plugin\":\"bank\",\"config\":" BANK_CONFIG
         ",\"contract\":{\"currency\":\"CNY\",\"issue_minor_per_1000\":-1,\"redeem_minor_per_"
         "1000\":1}}",
         "invalid_field", "issue_minor_per_1000"},
        {"{\"id\":\"b8\",\"name\":\"B\",\"plugin\":\"bank\",\"config\":\"x\","
         "\"contract\":{\"currency\":\"CNY\",\"issue_minor_per_1000\":1,\"redeem_minor_per_1000\":"
         "1}}",
         "invalid_field", "config"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        response r = http(&srv, "POST", "/v1/partners", admin, cases[i].body);
        expect_error(&r, 400, cases[i].code);
        const char *msg =
            json_string_value(json_object_get(json_object_get(r.json, "error"), "message"));
        cr_expect(msg && strstr(msg, cases[i].in_message), "case %zu: %s", i, r.body);
        response_free(&r);
        char id[8];
        snprintf(id, sizeof(id), "b%zu", i + 1);
        expect_no_partner(id);
    }
}

Test(partners, list_get_patch_and_isolation)
{
    partner_key k;
    make_partner(&srv, admin, "shop", "bank", BANK_CONFIG, &k);
    response r =
        http(&srv, "POST", "/v1/partners", admin,
             "{\"id\":\"shop\",\"name\":\"again\",\"plugin\":\"bank\",\"config\":" BANK_CONFIG
             ",\"contract\":{\"currency\":\"CNY\",\"issue_minor_per_1000\":1,"
             "\"redeem_minor_per_1000\":1}}");
    expect_error(&r, 409, "partner_exists");
    response_free(&r);

    r = http(&srv, "GET", "/v1/partners", admin, NULL);
    cr_expect_eq(r.status, 200);
    cr_expect_geq(json_array_size(json_object_get(r.json, "partners")), 1);
    response_free(&r);
    r = http(&srv, "GET", "/v1/partners/shop", admin, NULL);
    cr_expect_eq(r.status, 200);
    cr_expect_eq(json_integer_value(json_object_get(r.json, "config_version")), 1);
    cr_expect(json_object_get(r.json, "secret") == NULL, "the secret is shown once");
    response_free(&r);

    /* A bad change is refused and changes nothing. */
    r = http(&srv, "PATCH", "/v1/partners/shop", admin,
             "{\"config\":{\"currency\":\"CNY\",\"spend_minor_per_point\":-3}}");
    expect_error(&r, 400, "invalid_spend_minor_per_point");
    response_free(&r);
    /* A good change applies to the next request. */
    r = http(&srv, "PATCH", "/v1/partners/shop", admin,
             "{\"config\":{\"currency\":\"CNY\",\"spend_minor_per_point\":10}}");
    cr_expect_eq(r.status, 200, "%s", r.body);
    cr_expect_eq(json_integer_value(json_object_get(r.json, "config_version")), 2);
    response_free(&r);
    r = partner_call(&srv, &k, "POST", "/v1/transactions:simulate",
                     PURCHASE("12345", "CNY", "5411"), 0, NULL);
    cr_expect_eq(json_integer_value(json_object_get(r.json, "points")), 1234, "%s", r.body);
    response_free(&r);

    /* Another tenant's admin sees nothing of it. */
    char other[64], other_admin[128];
    unique_id(other, sizeof(other), "po");
    make_tenant(&srv, other, other_admin, sizeof(other_admin));
    r = http(&srv, "GET", "/v1/partners/shop", other_admin, NULL);
    expect_error(&r, 404, "not_found");
    response_free(&r);
    /* Partners are the tenant admin's business, not the operator's. */
    r = http(&srv, "GET", "/v1/partners", OPERATOR_TOKEN, NULL);
    expect_error(&r, 403, "forbidden");
    response_free(&r);
}

Test(partners, signatures_are_checked)
{
    partner_key k;
    make_partner(&srv, admin, "signer", "bank", BANK_CONFIG, &k);
    const char *body = PURCHASE("100", "CNY", "1000");
    response r = partner_call(&srv, &k, "POST", "/v1/transactions:simulate", body, 0,
                              "0000000000000000000000000000000000000000000000000000000000000000");
    expect_error(&r, 401, "invalid_signature");
    response_free(&r);
    r = partner_call(&srv, &k, "POST", "/v1/transactions:simulate", body, (long)time(NULL) - 301,
                     NULL);
    expect_error(&r, 401, "stale_timestamp");
    response_free(&r);
    r = partner_call(&srv, &k, "POST", "/v1/transactions:simulate", body, (long)time(NULL) + 400,
                     NULL);
    expect_error(&r, 401, "stale_timestamp");
    response_free(&r);
    partner_key wrong = k;
    wrong.secret[0] = wrong.secret[0] == 'a' ? 'b' : 'a';
    r = partner_call(&srv, &wrong, "POST", "/v1/transactions:simulate", body, 0, NULL);
    expect_error(&r, 401, "invalid_signature");
    response_free(&r);
    partner_key unknown = k;
    snprintf(unknown.key_id, sizeof(unknown.key_id), "pk_nope");
    r = partner_call(&srv, &unknown, "POST", "/v1/transactions:simulate", body, 0, NULL);
    expect_error(&r, 401, "unknown_key");
    response_free(&r);
    /* The signature covers the path with its query. */
    r = partner_call(&srv, &k, "POST", "/v1/transactions:simulate?x=1", body, 0, NULL);
    cr_expect_eq(r.status, 200, "%s", r.body);
    response_free(&r);
    /* No signature at all, or only part of one. */
    r = http(&srv, "POST", "/v1/transactions:simulate", NULL, body);
    expect_error(&r, 401, "unauthorized");
    response_free(&r);
    conn c;
    cr_assert_eq(conn_open(&c, &srv), 0);
    char headers[256];
    snprintf(headers, sizeof(headers), "X-Alliance-Key: %s\r\n", k.key_id);
    cr_assert_eq(
        conn_request(&c, "POST", "/v1/transactions:simulate", headers, body, strlen(body), &r), 0);
    expect_error(&r, 401, "missing_signature");
    response_free(&r);
    conn_close(&c);
    /* A partner key is not an admin key. */
    r = partner_call(&srv, &k, "GET", "/v1/partners", NULL, 0, NULL);
    expect_error(&r, 403, "forbidden");
    response_free(&r);
}

Test(partners, tampered_body_fails_the_signature)
{
    partner_key k;
    make_partner(&srv, admin, "tamper", "bank", BANK_CONFIG, &k);
    /* Sign one body, send another, on one raw connection. */
    const char *signed_body = PURCHASE("100", "CNY", "1000");
    response good =
        partner_call(&srv, &k, "POST", "/v1/transactions:simulate", signed_body, 0, NULL);
    cr_expect_eq(good.status, 200);
    response_free(&good);
    /* The signature of one body sent with another. */
    char sig[65];
    long now = (long)time(NULL);
    partner_sign(&k, "POST", "/v1/transactions:simulate", signed_body, now, sig);
    response r = partner_call(&srv, &k, "POST", "/v1/transactions:simulate",
                              PURCHASE("999999", "CNY", "1000"), now, sig);
    expect_error(&r, 401, "invalid_signature");
    response_free(&r);
    /* And with another method or path. */
    r = partner_call(&srv, &k, "PUT", "/v1/transactions:simulate", signed_body, now, sig);
    cr_expect(r.status == 401 || r.status == 405, "status %d", r.status);
    response_free(&r);
}

Test(partners, plugin_refusals_are_422_and_bad_bodies_400)
{
    partner_key k;
    make_partner(&srv, admin, "refuse", "bank", BANK_CONFIG, &k);
    response r = partner_call(&srv, &k, "POST", "/v1/transactions:simulate",
                              PURCHASE("100", "USD", "1000"), 0, NULL);
    expect_error(&r, 422, "currency_mismatch");
    response_free(&r);
    r = partner_call(&srv, &k, "POST", "/v1/transactions:simulate",
                     "{\"data\":{\"type\":\"purchase\",\"amount_minor\":9223372036854775807,"
                     "\"currency\":\"CNY\",\"mcc\":\"5411\"}}",
                     0, NULL);
    expect_error(&r, 422, "amount_minor_overflow");
    response_free(&r);
    r = partner_call(&srv, &k, "POST", "/v1/transactions:simulate",
                     "{\"data\":{\"type\":\"purchase\",\"amount_minor\":99999999999999999999,"
                     "\"currency\":\"CNY\",\"mcc\":\"5411\"}}",
                     0, NULL);
    expect_error(&r, 400, "invalid_json");
    response_free(&r);
    r = partner_call(&srv, &k, "POST", "/v1/transactions:simulate", "{\"id\":\"x\"}", 0, NULL);
    expect_error(&r, 400, "missing_field");
    response_free(&r);
    r = partner_call(&srv, &k, "POST", "/v1/transactions:simulate",
                     "{\"data\":{},\"tenant\":\"x\"}", 0, NULL);
    expect_error(&r, 400, "unknown_field");
    response_free(&r);
}

Test(partners, rotated_key_keeps_the_old_one_for_a_grace_period)
{
    partner_key old;
    make_partner(&srv, admin, "rotor", "bank", BANK_CONFIG, &old);
    response r = http(&srv, "POST", "/v1/partners/rotor/keys", admin, NULL);
    cr_assert_eq(r.status, 201, "%s", r.body);
    partner_key fresh;
    snprintf(fresh.key_id, sizeof(fresh.key_id), "%s",
             json_string_value(json_object_get(r.json, "key_id")));
    snprintf(fresh.secret, sizeof(fresh.secret), "%s",
             json_string_value(json_object_get(r.json, "secret")));
    cr_expect_eq(json_integer_value(json_object_get(r.json, "previous_keys_valid_hours")), 24);
    response_free(&r);
    const char *body = PURCHASE("1000", "CNY", "1000");
    r = partner_call(&srv, &fresh, "POST", "/v1/transactions:simulate", body, 0, NULL);
    cr_expect_eq(r.status, 200, "new key: %s", r.body);
    response_free(&r);
    r = partner_call(&srv, &old, "POST", "/v1/transactions:simulate", body, 0, NULL);
    cr_expect_eq(r.status, 200, "old key in its grace period: %s", r.body);
    response_free(&r);
    /* Once the grace period is over, the old key is refused. */
    char sql[256], out[16];
    snprintf(sql, sizeof(sql),
             "UPDATE partner_keys k JOIN tenants t ON t.tenant_id = k.tenant_id SET "
             "k.expires_at = NOW(6) - INTERVAL 1 SECOND, t.setup_version = t.setup_version + 1 "
             "WHERE k.key_id='%s'",
             old.key_id);
    db_scalar(sql, out, sizeof(out));
    usleep(1200 * 1000); /* a change behind the servers' back moves the version: seen in 1 s */
    r = partner_call(&srv, &old, "POST", "/v1/transactions:simulate", body, 0, NULL);
    expect_error(&r, 401, "unknown_key");
    response_free(&r);
}
