/*
 * Settlement over HTTP, with expectations computed by hand. Bookings are
 * moved into January 2026 with SQL (booked_at is the server's clock), so the
 * period is over and can close.
 *
 * bank: issue 800 per 1000 points, 900 from 2026-01-15; redeem 600.
 * shop: issue 3 per 1000 points (a half-minor line), redeem 700.
 *   Jan 10  t-1  bank  alice  12345 minor, mcc 5411 (x2)  246 points at 800
 *   Jan 12  t-3  shop  bob    50000 minor               500 points at 3 -> 1.5 -> 2
 *   Jan 20  t-2  bank  alice  10000 minor               100 points at 900
 *   Jan 25  r-1  shop  alice  150 points captured: bank's lot, at 700 -> 105
 *   Jan 26  v-1  bank  alice  refund 5000 of t-2: 50 points back at 900
 *   Feb  2  h-1  shop  alice  a hold of 20 placed in January, captured in February
 * bank: issued 346, reversed 50, fee round((246*800 + 100*900 - 50*900)/1000) = 242
 * shop: issued 500, redeemed 150, fee 2, reimbursement 105, net -103
 * totals: fee income 244, reimbursement 105; points issued 846, closing 846-50-150 = 646
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include <criterion/criterion.h>
#include <openssl/evp.h>

#include "harness.h"

static test_server srv;
static char tenant[64], admin[128];
static partner_key bank, shop;

static void stop(void)
{
    server_finish(&srv);
}

TestSuite(settlement, .fini = stop, .timeout = 90);

#define SQL(fmt, ...)                                                                              \
    do {                                                                                           \
        char q_[600], out_[32];                                                                    \
        snprintf(q_, sizeof(q_), fmt, __VA_ARGS__);                                                \
        cr_assert_eq(db_scalar(q_, out_, sizeof(out_)), 0, "%s", q_);                              \
    } while (0)

/* Moves the booking of ref (and its transaction) to when. */
static void at(const char *ref, const char *when)
{
    SQL("UPDATE bookings SET booked_at = '%s' WHERE tenant_id = '%s' AND ref_id = '%s'", when,
        tenant, ref);
}

static void post(const partner_key *k, const char *path, const char *body, int status)
{
    response r = partner_call(&srv, k, "POST", path, body, 0, NULL);
    cr_assert_eq(r.status, status, "%s %s: %s", path, body, r.body);
    response_free(&r);
}

static json_t *line(json_t *doc, const char *partner)
{
    size_t i;
    json_t *l;
    json_array_foreach (json_object_get(doc, "partners"), i, l)
        if (strcmp(json_string_value(json_object_get(l, "partner")), partner) == 0)
            return l;
    return NULL;
}

static json_int_t num(json_t *obj, const char *key)
{
    return json_integer_value(json_object_get(obj, key));
}

static bool verify(const char *pub_hex, const char *data, const char *sig_hex)
{
    unsigned char pub[32], sig[64];
    for (int i = 0; i < 32; i++)
        sscanf(pub_hex + 2 * i, "%2hhx", &pub[i]);
    for (int i = 0; i < 64; i++)
        sscanf(sig_hex + 2 * i, "%2hhx", &sig[i]);
    EVP_PKEY *key = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL, pub, 32);
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    bool ok = key && md && EVP_DigestVerifyInit(md, NULL, NULL, NULL, key) == 1 &&
              EVP_DigestVerify(md, sig, 64, (const unsigned char *)data, strlen(data)) == 1;
    EVP_MD_CTX_free(md);
    EVP_PKEY_free(key);
    return ok;
}

/*
 * A partner reads its own part of the closed January statement (first), signed;
 * the drafts after it and the other partner's figures stay out of sight.
 */
static void partner_statements(const char *first)
{
    response r = partner_call(&srv, &bank, "GET", "/v1/settlements", NULL, 0, NULL);
    cr_assert_eq(r.status, 200, "%s", r.body);
    json_t *list = json_object_get(r.json, "statements");
    cr_expect_eq(json_array_size(list), 1, "a partner lists closed statements only: %s", r.body);
    cr_expect_eq(num(json_array_get(list, 0), "number"), 1);
    cr_expect(json_is_null(json_object_get(r.json, "next_cursor")));
    response_free(&r);
    r = http(&srv, "GET", "/v1/settlements?limit=2", admin, NULL);
    cr_expect_eq(json_array_size(json_object_get(r.json, "statements")), 2, "%s", r.body);
    char next[32];
    snprintf(next, sizeof(next), "%s", json_string_value(json_object_get(r.json, "next_cursor")));
    response_free(&r);
    char page[96];
    snprintf(page, sizeof(page), "/v1/settlements?limit=2&cursor=%s", next);
    r = http(&srv, "GET", page, admin, NULL);
    cr_expect_eq(r.status, 200, "%s", r.body);
    cr_expect(json_array_size(json_object_get(r.json, "statements")) >= 1, "%s", r.body);
    response_free(&r);

    r = partner_call(&srv, &bank, "GET", first, NULL, 0, NULL);
    cr_assert_eq(r.status, 200, "%s", r.body);
    json_t *l = json_object_get(r.json, "line");
    cr_expect_str_eq(json_string_value(json_object_get(l, "partner")), "bank");
    cr_expect_eq(num(l, "fee_minor"), 242);
    cr_expect_eq(num(l, "points_issued"), 346);
    cr_expect(strstr(r.body, "\"shop\"") != NULL, "the provenance row bank->shop stays: %s",
              r.body);
    cr_expect(strstr(r.body, "\"totals\"") == NULL, "no alliance totals in a partner's part");
    char sig[160], *doc = strdup(r.body);
    cr_assert(response_header(&r, "X-Alliance-Signature", sig, sizeof(sig)));
    response_free(&r);
    char csv_path[128];
    snprintf(csv_path, sizeof(csv_path), "%s/statement.csv", first);
    r = partner_call(&srv, &bank, "GET", csv_path, NULL, 0, NULL);
    cr_assert_eq(r.status, 200, "%s", r.body);
    cr_expect(strstr(r.body, "partner,bank,,CNY,346,50,0,242,0,242\r\n") != NULL, "%s", r.body);
    cr_expect(strstr(r.body, "partner,shop") == NULL, "shop's line is not bank's to read");
    char *signed_text = NULL;
    cr_assert(asprintf(&signed_text, "%s\n%s", doc, r.body) > 0);
    response_free(&r);
    r = http(&srv, "GET", "/v1/settlements/public-key", admin, NULL);
    cr_expect(verify(json_string_value(json_object_get(r.json, "public_key")), signed_text, sig),
              "the partner's part verifies with the server's public key");
    response_free(&r);
    free(signed_text);
    /* The same bytes every time. */
    r = partner_call(&srv, &bank, "GET", first, NULL, 0, NULL);
    cr_expect_str_eq(r.body, doc);
    response_free(&r);
    free(doc);
    r = partner_call(&srv, &shop, "GET", first, NULL, 0, NULL);
    cr_expect_eq(num(json_object_get(r.json, "line"), "reimbursement_minor"), 105, "%s", r.body);
    cr_expect(strstr(r.body, "\"fee_minor\":242") == NULL, "bank's fee is not shop's to read");
    response_free(&r);
    /* A draft is not a partner's to read. */
    r = http(&srv, "GET", "/v1/settlements?limit=1000", admin, NULL);
    json_t *all = json_object_get(r.json, "statements");
    json_t *draft = json_array_get(all, json_array_size(all) - 1);
    cr_assert_str_eq(json_string_value(json_object_get(draft, "status")), "draft");
    char draft_path[64];
    snprintf(draft_path, sizeof(draft_path), "/v1/settlements/%lld", (long long)num(draft, "id"));
    response_free(&r);
    r = partner_call(&srv, &bank, "GET", draft_path, NULL, 0, NULL);
    expect_error(&r, 404, "not_found");
    response_free(&r);
}

Test(settlement, a_month_priced_rounded_reconciled_closed_and_signed)
{
    server_start(&srv, NULL, NULL);
    unique_id(tenant, sizeof(tenant), "st");
    make_tenant(&srv, tenant, admin, sizeof(admin));
    make_partner(&srv, admin, "bank", "bank",
                 "{\"currency\":\"CNY\",\"spend_minor_per_point\":100,"
                 "\"mcc_multipliers\":{\"5411\":2}}",
                 &bank);
    make_partner(&srv, admin, "shop", "bank",
                 "{\"currency\":\"CNY\",\"spend_minor_per_point\":100}", &shop);
    response r =
        http(&srv, "PATCH", "/v1/partners/shop", admin,
             "{\"contract\":{\"currency\":\"CNY\",\"issue_minor_per_1000\":3,"
             "\"redeem_minor_per_1000\":700,\"effective_from\":\"1970-01-01T00:00:00Z\"}}");
    cr_assert_eq(r.status, 200, "%s", r.body);
    response_free(&r);
    r = http(&srv, "PATCH", "/v1/partners/bank", admin,
             "{\"contract\":{\"currency\":\"CNY\",\"issue_minor_per_1000\":900,"
             "\"redeem_minor_per_1000\":600,\"effective_from\":\"2026-01-15T00:00:00Z\"}}");
    cr_assert_eq(r.status, 200, "%s", r.body);
    response_free(&r);

    post(&bank, "/v1/transactions",
         "{\"id\":\"t-1\",\"member\":\"alice\",\"data\":{\"type\":\"purchase\",\"amount_minor\":"
         "12345,\"currency\":\"CNY\",\"mcc\":\"5411\"}}",
         201);
    post(&shop, "/v1/transactions",
         "{\"id\":\"t-3\",\"member\":\"bob\",\"data\":{\"type\":\"purchase\",\"amount_minor\":"
         "50000,\"currency\":\"CNY\",\"mcc\":\"1000\"}}",
         201);
    post(&bank, "/v1/transactions",
         "{\"id\":\"t-2\",\"member\":\"alice\",\"data\":{\"type\":\"purchase\",\"amount_minor\":"
         "10000,\"currency\":\"CNY\",\"mcc\":\"1000\"}}",
         201);
    post(&shop, "/v1/redemptions", "{\"id\":\"r-1\",\"member\":\"alice\",\"points\":150}", 201);
    post(&bank, "/v1/transactions/t-2/reversal", "{\"id\":\"v-1\",\"amount_minor\":5000}", 201);
    post(&shop, "/v1/redemptions",
         "{\"id\":\"h-1\",\"member\":\"alice\",\"points\":20,\"capture\":false}", 201);
    post(&shop, "/v1/redemptions/h-1/capture", NULL, 200);
    at("t-1", "2026-01-10 10:00:00");
    at("t-3", "2026-01-12 10:00:00");
    at("t-2", "2026-01-20 10:00:00");
    at("r-1", "2026-01-25 10:00:00");
    at("v-1", "2026-01-26 10:00:00");
    at("h-1", "2026-02-02 10:00:00"); /* captured after the month */

    const char *january = "{\"period_start\":\"2026-01-01T00:00:00Z\","
                          "\"period_end\":\"2026-02-01T00:00:00Z\"}";
    r = http(&srv, "POST", "/v1/settlements", admin, january);
    cr_assert_eq(r.status, 201, "%s", r.body);
    cr_expect_str_eq(json_string_value(json_object_get(r.json, "status")), "draft");
    json_t *b = line(r.json, "bank"), *s = line(r.json, "shop");
    cr_assert(b && s, "%s", r.body);
    cr_expect_eq(num(b, "points_issued"), 346);
    cr_expect_eq(num(b, "points_reversed"), 50);
    cr_expect_eq(num(b, "points_redeemed"), 0);
    cr_expect_eq(num(b, "fee_minor"), 242, "a price change in the month: %s", r.body);
    cr_expect_eq(num(b, "net_minor"), 242);
    cr_expect_eq(num(s, "points_issued"), 500);
    cr_expect_eq(num(s, "points_redeemed"), 150, "the hold captured in February is not here");
    cr_expect_eq(num(s, "fee_minor"), 2, "1.5 rounds half up, once a line");
    cr_expect_eq(num(s, "reimbursement_minor"), 105);
    cr_expect_eq(num(s, "net_minor"), -103);
    json_t *p = json_array_get(json_object_get(r.json, "provenance"), 0);
    cr_expect_str_eq(json_string_value(json_object_get(p, "issuer")), "bank");
    cr_expect_str_eq(json_string_value(json_object_get(p, "redeemer")), "shop");
    cr_expect_eq(num(p, "points"), 150);
    cr_expect_eq(num(p, "value_minor"), 105);
    json_t *totals = json_object_get(r.json, "totals");
    json_t *cny = json_object_get(json_object_get(totals, "money"), "CNY");
    cr_expect_eq(num(cny, "fee_income_minor"), 244);
    cr_expect_eq(num(cny, "reimbursement_cost_minor"), 105);
    cr_expect_eq(num(cny, "net_minor"), 139);
    json_t *rec = json_object_get(r.json, "reconciliation");
    cr_expect_eq(num(rec, "opening_outstanding"), 0);
    cr_expect_eq(num(rec, "issued"), 846);
    cr_expect_eq(num(rec, "closing_outstanding"), 646);
    cr_expect(json_is_true(json_object_get(rec, "balanced")));
    char path[96];
    snprintf(path, sizeof(path), "/v1/settlements/%lld/close", (long long)num(r.json, "id"));
    response_free(&r);

    /* Closing: numbered, signed, kept byte for byte. */
    r = http(&srv, "POST", path, admin, NULL);
    cr_assert_eq(r.status, 200, "%s", r.body);
    cr_expect_str_eq(json_string_value(json_object_get(r.json, "status")), "closed");
    cr_expect_eq(num(r.json, "number"), 1);
    char sig[160], *closed = strdup(r.body);
    cr_assert(response_header(&r, "X-Alliance-Signature", sig, sizeof(sig)));
    response_free(&r);
    path[strlen(path) - strlen("/close")] = '\0';
    char path_of_first[96];
    snprintf(path_of_first, sizeof(path_of_first), "%s", path);
    /* A refund and a new earning after the close land in a later period. */
    post(&bank, "/v1/transactions/t-1/reversal", "{\"id\":\"v-late\"}", 201);
    post(&bank, "/v1/transactions",
         "{\"id\":\"t-late\",\"member\":\"alice\",\"data\":{\"type\":\"purchase\","
         "\"amount_minor\":100,\"currency\":\"CNY\",\"mcc\":\"1000\"}}",
         201);
    r = http(&srv, "GET", path, admin, NULL);
    cr_expect_eq(r.status, 200);
    cr_expect_str_eq(r.body, closed, "a closed statement never changes");
    response_free(&r);
    char csv_path[128];
    snprintf(csv_path, sizeof(csv_path), "%s/statement.csv", path);
    r = http(&srv, "GET", csv_path, admin, NULL);
    cr_expect_eq(r.status, 200);
    cr_expect(strstr(r.body, "partner,shop,,CNY,500,0,150,2,105,-103\r\n") != NULL, "%s", r.body);
    char *signed_text = NULL;
    cr_assert(asprintf(&signed_text, "%s\n%s", closed, r.body) > 0);
    response_free(&r);
    r = http(&srv, "GET", "/v1/settlements/public-key", admin, NULL);
    const char *pub = json_string_value(json_object_get(r.json, "public_key"));
    cr_assert(pub != NULL, "%s", r.body);
    cr_expect(verify(pub, signed_text, sig), "the Ed25519 signature does not verify");
    closed[10] ^= 1;
    free(signed_text);
    cr_assert(asprintf(&signed_text, "%s\n%s", closed, "x") > 0);
    cr_expect(!verify(pub, signed_text, sig), "a changed statement must not verify");
    free(signed_text);
    free(closed);
    response_free(&r);

    /* No overlaps with a closed period; a later period can be drafted and includes February. */
    r = http(&srv, "POST", "/v1/settlements", admin,
             "{\"period_start\":\"2026-01-15T00:00:00Z\",\"period_end\":\"2026-02-15T00:00:00Z\"}");
    expect_error(&r, 409, "period_overlaps_closed");
    response_free(&r);
    r = http(&srv, "POST", "/v1/settlements", admin,
             "{\"period_start\":\"2026-02-01T00:00:00Z\",\"period_end\":\"2026-03-01T00:00:00Z\"}");
    cr_assert_eq(r.status, 201, "%s", r.body);
    cr_expect_eq(num(line(r.json, "shop"), "points_redeemed"), 20, "the February capture");
    cr_expect_eq(num(json_object_get(r.json, "reconciliation"), "opening_outstanding"), 646);
    response_free(&r);
    /* No gaps: after January, March cannot close before February. */
    r = http(&srv, "POST", "/v1/settlements", admin,
             "{\"period_start\":\"2026-03-01T00:00:00Z\",\"period_end\":\"2026-04-01T00:00:00Z\"}");
    cr_assert_eq(r.status, 201, "%s", r.body);
    snprintf(path, sizeof(path), "/v1/settlements/%lld/close", (long long)num(r.json, "id"));
    response_free(&r);
    r = http(&srv, "POST", path, admin, NULL);
    expect_error(&r, 409, "period_gap");
    cr_expect(strstr(r.body, "ends at 2026-02-01T00:00:00.000000Z") != NULL, "%s", r.body);
    response_free(&r);
    /* A period not over yet does not close. */
    r = http(&srv, "POST", "/v1/settlements", admin,
             "{\"period_start\":\"2026-04-01T00:00:00Z\",\"period_end\":\"2099-01-01T00:00:00Z\"}");
    cr_assert_eq(r.status, 201, "%s", r.body);
    snprintf(path, sizeof(path), "/v1/settlements/%lld/close", (long long)num(r.json, "id"));
    response_free(&r);
    r = http(&srv, "POST", path, admin, NULL);
    expect_error(&r, 422, "period_not_over");
    response_free(&r);
    r = http(&srv, "POST", "/v1/settlements", admin,
             "{\"period_start\":\"2026-03-01T00:00:00Z\",\"period_end\":\"2026-02-01T00:00:00Z\"}");
    expect_error(&r, 400, "invalid_period");
    response_free(&r);
    partner_statements(path_of_first);
}

Test(settlement, a_statement_that_does_not_reconcile_does_not_close)
{
    server_start(&srv, NULL, NULL);
    unique_id(tenant, sizeof(tenant), "sx");
    make_tenant(&srv, tenant, admin, sizeof(admin));
    make_partner(&srv, admin, "bank", "bank",
                 "{\"currency\":\"CNY\",\"spend_minor_per_point\":100}", &bank);
    post(&bank, "/v1/transactions",
         "{\"id\":\"t-1\",\"member\":\"zoe\",\"data\":{\"type\":\"purchase\",\"amount_minor\":"
         "10000,\"currency\":\"CNY\",\"mcc\":\"1000\"}}",
         201);
    at("t-1", "2026-01-10 10:00:00");
    /* A balance the bookings do not explain: the close must refuse. */
    SQL("UPDATE account_balances SET balance = balance + 1 WHERE tenant_id = '%s' AND "
        "account = 'member:zoe'",
        tenant);
    response r = http(&srv, "POST", "/v1/settlements", admin,
                      "{\"period_start\":\"2026-01-01T00:00:00Z\","
                      "\"period_end\":\"2026-02-01T00:00:00Z\"}");
    cr_assert_eq(r.status, 201, "%s", r.body);
    cr_expect(
        json_is_false(json_object_get(json_object_get(r.json, "reconciliation"), "balanced")));
    char path[96];
    snprintf(path, sizeof(path), "/v1/settlements/%lld/close", (long long)num(r.json, "id"));
    response_free(&r);
    r = http(&srv, "POST", path, admin, NULL);
    expect_error(&r, 422, "reconciliation_failed");
    response_free(&r);
    SQL("UPDATE account_balances SET balance = balance - 1 WHERE tenant_id = '%s' AND "
        "account = 'member:zoe'",
        tenant);
    r = http(&srv, "POST", path, admin, NULL);
    cr_expect_eq(r.status, 200, "balanced again, it closes: %s", r.body);
    response_free(&r);
}

/* Runs alliancectl with the server's URL and a key; its exit code, stdout in out. */
static int ctl(const char *key, const char *args, char *out, size_t size)
{
    char cmd[1024];
    snprintf(cmd, sizeof(cmd),
             "ALLIANCE_URL=http://127.0.0.1:%d ALLIANCE_ADMIN_KEY='%s' %s %s 2>&1", srv.port, key,
             ALLIANCECTL_BIN, args);
    FILE *p = popen(cmd, "r");
    size_t n = p ? fread(out, 1, size - 1, p) : 0;
    out[n] = '\0';
    int status = p ? pclose(p) : -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

Test(settlement, alliancectl_runs_shows_closes_and_prints_csv)
{
    server_start(&srv, NULL, NULL);
    unique_id(tenant, sizeof(tenant), "ctl");
    make_tenant(&srv, tenant, admin, sizeof(admin));
    make_partner(&srv, admin, "bank", "bank",
                 "{\"currency\":\"CNY\",\"spend_minor_per_point\":100}", &bank);
    post(&bank, "/v1/transactions",
         "{\"id\":\"t-1\",\"member\":\"kai\",\"data\":{\"type\":\"purchase\",\"amount_minor\":"
         "20000,\"currency\":\"CNY\",\"mcc\":\"1000\"}}",
         201);
    at("t-1", "2026-01-10 10:00:00");
    char out[8192];
    cr_expect_eq(ctl(admin, "ledger trial-balance", out, sizeof(out)), 0, "%s", out);
    cr_expect(strstr(out, "\"total\":0") != NULL, "%s", out);
    cr_expect_eq(
        ctl(admin, "settlement run 2026-01-01T00:00:00Z 2026-02-01T00:00:00Z", out, sizeof(out)), 0,
        "%s", out);
    json_t *draft = json_loads(out, 0, NULL);
    cr_assert(draft != NULL, "%s", out);
    char args[64];
    snprintf(args, sizeof(args), "settlement close %lld", (long long)num(draft, "id"));
    json_decref(draft);
    cr_expect_eq(ctl(admin, args, out, sizeof(out)), 0, "%s", out);
    cr_expect(strstr(out, "signature: ") != NULL && strstr(out, "\"status\":\"closed\""), "%s",
              out);
    snprintf(args, sizeof(args), "settlement csv %s", strrchr(args, ' ') + 1);
    cr_expect_eq(ctl(admin, args, out, sizeof(out)), 0, "%s", out);
    cr_expect(strstr(out, "partner,bank,,CNY,200,0,0,160,0,160") != NULL, "%s", out);
    cr_expect_eq(ctl("ak_wrong", "ledger trial-balance", out, sizeof(out)), 1, "%s", out);
    cr_expect(strstr(out, "unauthorized") != NULL, "%s", out);
    cr_expect_eq(ctl(admin, "settlement fly 1", out, sizeof(out)), 2);
    /* Asked for, the usage is an answer: exit 0, every command named. */
    cr_expect_eq(ctl(admin, "--help", out, sizeof(out)), 0, "%s", out);
    cr_expect(strstr(out, "usage: alliancectl") != NULL && strstr(out, "settlement close ID"), "%s",
              out);
}

/*
 * A statement's times are RFC 3339 UTC like every other answer's, and its
 * CSV totals row counts what the JSON totals count: imported points and the
 * alliance's own events are issued points too.
 */
Test(settlement, times_are_rfc3339_and_the_csv_totals_count_imports_and_events)
{
    server_start(&srv, NULL, NULL);
    unique_id(tenant, sizeof(tenant), "sr");
    make_tenant(&srv, tenant, admin, sizeof(admin));
    make_partner(&srv, admin, "bank", "bank",
                 "{\"currency\":\"CNY\",\"spend_minor_per_point\":100}", &bank);
    response r = http(&srv, "PUT", "/v1/rules", admin, "{\"events\":{\"survey\":{\"points\":7}}}");
    cr_assert_eq(r.status, 200, "%s", r.body);
    response_free(&r);
    post(&bank, "/v1/transactions",
         "{\"id\":\"t-1\",\"member\":\"ann\",\"data\":{\"type\":\"purchase\",\"amount_minor\":"
         "10000,\"currency\":\"CNY\",\"mcc\":\"1000\"}}",
         201); /* 100 */
    r = http(&srv, "POST", "/v1/import/transactions", admin,
             "{\"id\":\"h-1\",\"partner\":\"bank\",\"member\":\"ann\",\"occurred_at\":"
             "\"2026-01-05T00:00:00Z\",\"amount_minor\":5000,\"points\":50}\n");
    cr_assert_eq(r.status, 200, "%s", r.body);
    response_free(&r);
    r = http(&srv, "POST", "/v1/events", admin,
             "{\"id\":\"e-1\",\"member\":\"ann\",\"event\":\"survey\"}");
    cr_assert_eq(r.status, 201, "%s", r.body);
    response_free(&r);
    at("t-1", "2026-01-10 10:00:00");
    at("h-1", "2026-01-05 00:00:00");
    at("e-1", "2026-01-12 10:00:00");

    r = http(&srv, "POST", "/v1/settlements", admin,
             "{\"period_start\":\"2026-01-01T00:00:00Z\",\"period_end\":\"2026-02-01T00:00:00Z\"}");
    cr_assert_eq(r.status, 201, "%s", r.body);
    cr_expect_str_eq(json_string_value(json_object_get(r.json, "period_start")),
                     "2026-01-01T00:00:00.000000Z");
    cr_expect_str_eq(json_string_value(json_object_get(r.json, "period_end")),
                     "2026-02-01T00:00:00.000000Z");
    json_t *totals = json_object_get(r.json, "totals");
    cr_expect_eq(num(totals, "points_issued"), 157, "%s", r.body);
    char csv_path[128];
    snprintf(csv_path, sizeof(csv_path), "/v1/settlements/%lld/statement.csv",
             (long long)num(r.json, "id"));
    response_free(&r);
    r = http(&srv, "GET", csv_path, admin, NULL);
    cr_assert_eq(r.status, 200, "%s", r.body);
    cr_expect(strstr(r.body, "\r\ntotals,,,,157,0,0,,,\r\n") != NULL, "%s", r.body);
    response_free(&r);
}

/*
 * A refund is credited at the price its earning was billed at: the bank's
 * issue price rises from 800 to 900 between an earning and its refund, and
 * the refund takes back 100 points at 800 (fee 80 - 80 = 0), not at 900
 * (which would refund 90 for 80 paid).
 */
Test(settlement, a_refund_is_credited_at_its_earnings_price)
{
    server_start(&srv, NULL, NULL);
    unique_id(tenant, sizeof(tenant), "sp");
    make_tenant(&srv, tenant, admin, sizeof(admin));
    make_partner(&srv, admin, "bank", "bank",
                 "{\"currency\":\"CNY\",\"spend_minor_per_point\":100}", &bank);
    const char *contracts[] = {
        "{\"contract\":{\"currency\":\"CNY\",\"issue_minor_per_1000\":800,"
        "\"redeem_minor_per_1000\":600,\"effective_from\":\"1970-01-01T00:00:00Z\"}}",
        "{\"contract\":{\"currency\":\"CNY\",\"issue_minor_per_1000\":900,"
        "\"redeem_minor_per_1000\":600,\"effective_from\":\"2026-01-15T00:00:00Z\"}}"};
    for (int i = 0; i < 2; i++) {
        response r = http(&srv, "PATCH", "/v1/partners/bank", admin, contracts[i]);
        cr_assert_eq(r.status, 200, "%s", r.body);
        response_free(&r);
    }
    post(&bank, "/v1/transactions",
         "{\"id\":\"t-1\",\"member\":\"max\",\"data\":{\"type\":\"purchase\",\"amount_minor\":"
         "10000,\"currency\":\"CNY\",\"mcc\":\"1000\"}}",
         201);
    post(&bank, "/v1/transactions",
         "{\"id\":\"t-2\",\"member\":\"max\",\"data\":{\"type\":\"purchase\",\"amount_minor\":"
         "20000,\"currency\":\"CNY\",\"mcc\":\"1000\"}}",
         201);
    post(&bank, "/v1/transactions/t-1/reversal", "{\"id\":\"v-1\"}", 201);
    at("t-1", "2026-01-10 10:00:00"); /* 100 points at 800 */
    at("t-2", "2026-01-16 10:00:00"); /* 200 points at 900 */
    at("v-1", "2026-01-20 10:00:00"); /* after the rise: still 800 */

    response r =
        http(&srv, "POST", "/v1/settlements", admin,
             "{\"period_start\":\"2026-01-01T00:00:00Z\",\"period_end\":\"2026-02-01T00:00:00Z\"}");
    cr_assert_eq(r.status, 201, "%s", r.body);
    json_t *b = line(r.json, "bank");
    cr_assert(b != NULL, "%s", r.body);
    cr_expect_eq(num(b, "points_issued"), 300);
    cr_expect_eq(num(b, "points_reversed"), 100);
    /* 100 x 800 + 200 x 900 - 100 x 800 = 180,000 per mille: 180. */
    cr_expect_eq(num(b, "fee_minor"), 180, "%s", r.body);
    response_free(&r);
}
