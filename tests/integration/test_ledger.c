/*
 * The ledger over HTTP against the real database: earning exactly once,
 * redemptions and holds, reversals, expiry, the 360 view and history, and
 * refusals that book nothing. After each test the tenant's books must
 * balance: accounts sum to 0 and every member's balance matches its lots.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "harness.h"

static test_server srv;
static char tenant[64], admin[128];
static partner_key bank, shop;

#define BANK_CONFIG                                                                                \
    "{\"currency\":\"CNY\",\"spend_minor_per_point\":100,\"mcc_multipliers\":{\"5411\":2},"        \
    "\"excluded_mcc\":[\"6011\"]}"

static bool check_books(void);

static void start(void)
{
    server_start(&srv, NULL, NULL);
    unique_id(tenant, sizeof(tenant), "lg");
    make_tenant(&srv, tenant, admin, sizeof(admin));
    make_partner(&srv, admin, "bank", "bank", BANK_CONFIG, &bank);
    make_partner(&srv, admin, "shop", "bank", BANK_CONFIG, &shop);
}

/* Criterion ignores assertions in .fini: books that do not balance exit the test with 1. */
static void stop(void)
{
    bool balanced = srv.pid <= 0 || check_books();
    server_finish(&srv);
    if (!balanced) {
        fprintf(stderr, "tenant %s: the books do not balance after the test\n", tenant);
        exit(1);
    }
}

TestSuite(ledger, .init = start, .fini = stop, .timeout = 90);

/* The tenant's books balance, and each member's balance matches its lots and its account. */
static bool check_books(void)
{
    response r = http(&srv, "GET", "/v1/ledger/trial-balance", admin, NULL);
    bool ok = r.status == 200 && json_integer_value(json_object_get(r.json, "total")) == 0;
    if (!ok)
        fprintf(stderr, "trial balance: %d %s\n", r.status, r.body ? r.body : "");
    response_free(&r);
    char sql[1024], out[64];
    snprintf(sql, sizeof(sql),
             "SELECT COUNT(*) FROM members m LEFT JOIN account_balances a ON a.tenant_id = "
             "m.tenant_id AND a.account = CONCAT('member:', m.member_id) AND a.shard = 0 "
             "WHERE m.tenant_id = '%s' "
             "AND (m.available + m.held <> IFNULL(a.balance, 0) OR m.available + m.held <> "
             "(SELECT IFNULL(SUM(remaining), 0) FROM lots l WHERE l.tenant_id = m.tenant_id AND "
             "l.member_id = m.member_id) - m.debt OR m.debt < 0 OR m.held < 0)",
             tenant);
    if (db_scalar(sql, out, sizeof(out)) != 0 || strcmp(out, "0") != 0) {
        fprintf(stderr, "members whose balance does not match their lots or account: %s\n", out);
        ok = false;
    }
    return ok;
}

static response earn(const partner_key *k, const char *id, const char *member, long amount,
                     const char *mcc)
{
    char body[512];
    snprintf(body, sizeof(body),
             "{\"id\":\"%s\",\"member\":\"%s\",\"occurred_at\":\"2026-11-23T10:00:00Z\","
             "\"data\":{\"type\":\"purchase\",\"amount_minor\":%ld,\"currency\":\"CNY\","
             "\"mcc\":\"%s\"}}",
             id, member, amount, mcc);
    return partner_call(&srv, k, "POST", "/v1/transactions", body, 0, NULL);
}

static json_int_t num(const response *r, const char *field)
{
    return json_integer_value(json_object_get(r->json, field));
}

static void earn_ok(const partner_key *k, const char *id, const char *member, long amount)
{
    response r = earn(k, id, member, amount, "1000");
    cr_assert_eq(r.status, 201, "earn %s: %s", id, r.body);
    response_free(&r);
}

static response redeem(const partner_key *k, const char *id, const char *member, long points,
                       const char *extra)
{
    char body[512];
    snprintf(body, sizeof(body), "{\"id\":\"%s\",\"member\":\"%s\",\"points\":%ld%s}", id, member,
             points, extra ? extra : "");
    return partner_call(&srv, k, "POST", "/v1/redemptions", body, 0, NULL);
}

static json_int_t available(const char *member)
{
    char path[128];
    snprintf(path, sizeof(path), "/v1/members/%s/balance", member);
    response r = partner_call(&srv, &bank, "GET", path, NULL, 0, NULL);
    cr_assert_eq(r.status, 200, "%s", r.body);
    json_int_t v = num(&r, "available");
    response_free(&r);
    return v;
}

Test(ledger, earning_is_booked_once_and_replayed_byte_for_byte)
{
    response r = earn(&bank, "t-1", "alice", 12345, "5411");
    cr_assert_eq(r.status, 201, "%s", r.body);
    cr_expect_str_eq(json_string_value(json_object_get(r.json, "id")), "t-1");
    cr_expect_str_eq(json_string_value(json_object_get(r.json, "member")), "alice");
    cr_expect_eq(num(&r, "points"), 246);
    cr_expect_eq(num(&r, "balance"), 246);
    cr_expect_str_eq(json_string_value(json_object_get(r.json, "tier")), "normal");
    response replay = earn(&bank, "t-1", "alice", 12345, "5411");
    cr_expect_eq(replay.status, 200);
    cr_expect_str_eq(replay.body, r.body, "a replay gets the first answer byte for byte");
    response_free(&replay);
    /* The same id from another partner is another transaction. */
    response other = earn(&shop, "t-1", "alice", 100, "1000");
    cr_expect_eq(other.status, 201, "%s", other.body);
    response_free(&other);
    response conflict = earn(&bank, "t-1", "alice", 99999, "5411");
    expect_error(&conflict, 409, "id_reused");
    response_free(&conflict);
    response_free(&r);
    cr_expect_eq(available("alice"), 247);

    r = http(&srv, "GET", "/v1/ledger/trial-balance", admin, NULL);
    cr_expect(strstr(r.body, "{\"account\":\"member:alice\",\"balance\":247}") != NULL, "%s",
              r.body);
    cr_expect(strstr(r.body, "{\"account\":\"partner:bank:issued\",\"balance\":-246}") != NULL,
              "%s", r.body);
    response_free(&r);
}

Test(ledger, zero_point_transactions_are_recorded)
{
    response r = earn(&bank, "t-zero", "zed", 50000, "6011");
    cr_expect_eq(r.status, 201, "%s", r.body);
    cr_expect_eq(num(&r, "points"), 0);
    response_free(&r);
    r = http(&srv, "GET", "/v1/members/zed/history", admin, NULL);
    cr_expect_eq(r.status, 200, "%s", r.body);
    json_t *entry = json_array_get(json_object_get(r.json, "entries"), 0);
    cr_expect_str_eq(json_string_value(json_object_get(entry, "kind")), "earn");
    cr_expect_eq(json_integer_value(json_object_get(entry, "points")), 0);
    cr_expect_str_eq(json_string_value(json_object_get(entry, "ref")), "t-zero");
    response_free(&r);
}

Test(ledger, redemption_spends_or_is_refused_without_booking)
{
    earn_ok(&bank, "t-r1", "bob", 100000); /* 1000 points */
    response r = redeem(&shop, "r-1", "bob", 300, NULL);
    cr_assert_eq(r.status, 201, "%s", r.body);
    cr_expect_str_eq(json_string_value(json_object_get(r.json, "status")), "captured");
    cr_expect_eq(num(&r, "balance"), 700);
    response_free(&r);
    r = redeem(&shop, "r-2", "bob", 701, NULL);
    expect_error(&r, 422, "insufficient_points");
    response_free(&r);
    cr_expect_eq(available("bob"), 700);
    /* A refused id is not used up: the same id may be tried again. */
    r = redeem(&shop, "r-2", "bob", 700, NULL);
    cr_expect_eq(r.status, 201, "%s", r.body);
    response_free(&r);
    r = redeem(&shop, "r-3", "nobody", 1, NULL);
    expect_error(&r, 404, "member_not_found");
    response_free(&r);
    r = http(&srv, "GET", "/v1/members/nobody", admin, NULL);
    expect_error(&r, 404, "member_not_found");
    response_free(&r);

    /* Provenance: bank's points were spent at shop. */
    char sql[512], out[64];
    snprintf(sql, sizeof(sql),
             "SELECT SUM(points) FROM lot_consumptions WHERE tenant_id='%s' AND "
             "issuer_partner='bank' AND redeemer_partner='shop'",
             tenant);
    cr_assert_eq(db_scalar(sql, out, sizeof(out)), 0);
    cr_expect_str_eq(out, "1000");
}

Test(ledger, holds_capture_part_void_and_lapse)
{
    earn_ok(&bank, "t-h1", "carol", 100000); /* 1000 */
    response r = redeem(&shop, "h-1", "carol", 400, ",\"capture\":false");
    cr_assert_eq(r.status, 201, "%s", r.body);
    cr_expect_str_eq(json_string_value(json_object_get(r.json, "status")), "held");
    cr_expect_eq(num(&r, "balance"), 600);
    response_free(&r);
    r = partner_call(&srv, &shop, "GET", "/v1/members/carol/balance", NULL, 0, NULL);
    cr_expect_eq(num(&r, "held"), 400);
    response_free(&r);

    r = partner_call(&srv, &shop, "POST", "/v1/redemptions/h-1/capture", "{\"points\":250}", 0,
                     NULL);
    cr_assert_eq(r.status, 200, "%s", r.body);
    cr_expect_str_eq(json_string_value(json_object_get(r.json, "status")), "captured");
    cr_expect_eq(num(&r, "points"), 250);
    cr_expect_eq(num(&r, "balance"), 750);
    response_free(&r);
    r = partner_call(&srv, &shop, "POST", "/v1/redemptions/h-1/capture", NULL, 0, NULL);
    cr_expect_eq(r.status, 200, "a repeated capture answers the state: %s", r.body);
    cr_expect_eq(num(&r, "points"), 250);
    response_free(&r);
    r = partner_call(&srv, &shop, "POST", "/v1/redemptions/h-1/void", NULL, 0, NULL);
    expect_error(&r, 422, "already_captured");
    response_free(&r);
    /* Another partner cannot touch shop's redemption. */
    r = partner_call(&srv, &bank, "POST", "/v1/redemptions/h-1/void", NULL, 0, NULL);
    expect_error(&r, 404, "redemption_not_found");
    response_free(&r);

    r = redeem(&shop, "h-2", "carol", 100, ",\"capture\":false");
    cr_expect_eq(num(&r, "balance"), 650);
    response_free(&r);
    r = partner_call(&srv, &shop, "POST", "/v1/redemptions/h-2/void", NULL, 0, NULL);
    cr_expect_eq(r.status, 200, "%s", r.body);
    cr_expect_str_eq(json_string_value(json_object_get(r.json, "status")), "voided");
    cr_expect_eq(num(&r, "balance"), 750);
    response_free(&r);

    /* A hold lapses by itself. */
    r = redeem(&shop, "h-3", "carol", 50, ",\"capture\":false,\"hold_seconds\":1");
    cr_expect_eq(num(&r, "balance"), 700);
    response_free(&r);
    r = redeem(&shop, "h-4", "carol", 70, ",\"capture\":false,\"hold_seconds\":1");
    response_free(&r);
    sleep(2);
    r = partner_call(&srv, &shop, "POST", "/v1/redemptions/h-3/capture", NULL, 0, NULL);
    expect_error(&r, 422, "redemption_not_held");
    response_free(&r);
    json_int_t now = available("carol");
    cr_expect_eq(now, 680, "h-3 released, h-4 still held: %lld", (long long)now);
    char body[160];
    snprintf(body, sizeof(body), "{\"tenant\":\"%s\"}", tenant);
    r = http(&srv, "POST", "/v1/ledger/expire", OPERATOR_TOKEN, body);
    cr_expect_eq(r.status, 200, "%s", r.body);
    cr_expect_eq(num(&r, "holds_released"), 1);
    response_free(&r);
    cr_expect_eq(available("carol"), 750);
}

Test(ledger, reversals_take_back_pro_rata_and_add_up_exactly)
{
    earn_ok(&bank, "t-v1", "dave", 100000); /* 1000 points on 100000 */
    const char *path = "/v1/transactions/t-v1/reversal";
    response r =
        partner_call(&srv, &bank, "POST", path, "{\"id\":\"v-1\",\"amount_minor\":33333}", 0, NULL);
    cr_assert_eq(r.status, 201, "%s", r.body);
    cr_expect_eq(num(&r, "points"), 333); /* 333.33 */
    cr_expect_eq(num(&r, "balance"), 667);
    response_free(&r);
    r = partner_call(&srv, &bank, "POST", path, "{\"id\":\"v-2\",\"amount_minor\":33333}", 0, NULL);
    cr_expect_eq(num(&r, "points"), 334, "666.66 rounds to 667 in all: %s", r.body);
    response_free(&r);
    r = partner_call(&srv, &bank, "POST", path, "{\"id\":\"v-3\",\"amount_minor\":40000}", 0, NULL);
    expect_error(&r, 422, "refund_exceeds_amount");
    response_free(&r);
    r = partner_call(&srv, &bank, "POST", path, "{\"id\":\"v-3\"}", 0, NULL);
    cr_expect_eq(r.status, 201, "%s", r.body);
    cr_expect_eq(num(&r, "points"), 333, "the rest: exactly what was earned in all");
    cr_expect_eq(num(&r, "balance"), 0);
    response_free(&r);
    r = partner_call(&srv, &bank, "POST", path, "{\"id\":\"v-4\"}", 0, NULL);
    expect_error(&r, 422, "already_refunded");
    response_free(&r);
    r = partner_call(&srv, &bank, "POST", "/v1/transactions/nope/reversal", "{\"id\":\"v-5\"}", 0,
                     NULL);
    expect_error(&r, 404, "transaction_not_found");
    response_free(&r);
    /* Another partner's transaction is not found either. */
    r = partner_call(&srv, &shop, "POST", path, "{\"id\":\"v-6\"}", 0, NULL);
    expect_error(&r, 404, "transaction_not_found");
    response_free(&r);
}

Test(ledger, spent_points_reversed_leave_a_negative_balance_until_repaid)
{
    earn_ok(&bank, "t-n1", "erin", 50000); /* 500 */
    response r = redeem(&shop, "n-r1", "erin", 500, NULL);
    cr_assert_eq(r.status, 201);
    response_free(&r);
    r = partner_call(&srv, &bank, "POST", "/v1/transactions/t-n1/reversal", "{\"id\":\"n-v1\"}", 0,
                     NULL);
    cr_expect_eq(r.status, 201, "%s", r.body);
    cr_expect_eq(num(&r, "balance"), -500);
    response_free(&r);
    r = redeem(&shop, "n-r2", "erin", 1, NULL);
    expect_error(&r, 422, "negative_balance");
    response_free(&r);
    earn_ok(&bank, "t-n2", "erin", 70000); /* 700: 500 repay the debt */
    cr_expect_eq(available("erin"), 200);
    r = redeem(&shop, "n-r3", "erin", 200, NULL);
    cr_expect_eq(r.status, 201, "%s", r.body);
    response_free(&r);
}

Test(ledger, points_lapse_at_the_end_of_the_24th_month_to_breakage)
{
    earn_ok(&bank, "t-x1", "fay", 30000); /* 300 */
    response r = http(&srv, "GET", "/v1/members/fay", admin, NULL);
    cr_assert_eq(r.status, 200, "%s", r.body);
    json_t *next =
        json_array_get(json_object_get(json_object_get(r.json, "balance"), "next_expiries"), 0);
    cr_expect_eq(json_integer_value(json_object_get(next, "points")), 300);
    /* Earned in month M: lapse at the start of month M + 25. */
    char sql[256], expected[64];
    snprintf(sql, sizeof(sql),
             "SELECT DATE_FORMAT(DATE_ADD(LAST_DAY(DATE_ADD(UTC_TIMESTAMP(), INTERVAL 24 MONTH)), "
             "INTERVAL 1 DAY), '%%Y-%%m-%%dT00:00:00.000000Z')");
    cr_assert_eq(db_scalar(sql, expected, sizeof(expected)), 0);
    cr_expect_str_eq(json_string_value(json_object_get(next, "expires_at")), expected);
    response_free(&r);

    char body[160];
    snprintf(body, sizeof(body), "{\"as_of\":\"2030-01-01T00:00:00Z\",\"tenant\":\"%s\"}", tenant);
    r = http(&srv, "POST", "/v1/ledger/expire", OPERATOR_TOKEN, body);
    cr_expect_eq(r.status, 200, "%s", r.body);
    cr_expect_eq(num(&r, "points"), 300);
    cr_expect_str_eq(json_string_value(json_object_get(r.json, "as_of")),
                     "2030-01-01T00:00:00.000000Z");
    response_free(&r);
    cr_expect_eq(available("fay"), 0);
    r = http(&srv, "GET", "/v1/members/fay/history", admin, NULL);
    json_t *entry = json_array_get(json_object_get(r.json, "entries"), 0);
    cr_expect_str_eq(json_string_value(json_object_get(entry, "kind")), "expire");
    cr_expect_eq(json_integer_value(json_object_get(entry, "points")), -300);
    response_free(&r);
    r = http(&srv, "GET", "/v1/ledger/trial-balance", admin, NULL);
    cr_expect(strstr(r.body, "\"account\":\"alliance:breakage\"") != NULL, "%s", r.body);
    response_free(&r);
    r = http(&srv, "POST", "/v1/ledger/expire", admin, "{}");
    expect_error(&r, 403, "forbidden");
    response_free(&r);
}

Test(ledger, member_360_view_and_paged_history)
{
    response r = http(&srv, "POST", "/v1/members", admin,
                      "{\"id\":\"gus\",\"profile\":{\"name\":\"Gus\",\"city\":\"Shenzhen\"}}");
    cr_assert_eq(r.status, 201, "%s", r.body);
    response_free(&r);
    r = http(&srv, "POST", "/v1/members", admin, "{\"id\":\"gus\"}");
    expect_error(&r, 409, "member_exists");
    response_free(&r);
    earn_ok(&bank, "t-g1", "gus", 10000);
    earn_ok(&bank, "t-g2", "gus", 20000);
    earn_ok(&shop, "t-g3", "gus", 30000);
    r = redeem(&shop, "g-r1", "gus", 50, NULL);
    response_free(&r);
    r = partner_call(&srv, &bank, "POST", "/v1/transactions/t-g2/reversal", "{\"id\":\"g-v1\"}", 0,
                     NULL);
    response_free(&r);

    r = http(&srv, "GET", "/v1/members/gus", admin, NULL);
    cr_assert_eq(r.status, 200, "%s", r.body);
    json_t *b = json_object_get(r.json, "balance");
    cr_expect_eq(json_integer_value(json_object_get(b, "available")), 350);
    cr_expect_eq(json_integer_value(json_object_get(b, "lifetime_earned")), 600);
    cr_expect_eq(json_integer_value(json_object_get(b, "lifetime_redeemed")), 50);
    cr_expect_str_eq(json_string_value(json_object_get(json_object_get(r.json, "profile"), "city")),
                     "Shenzhen");
    json_t *partners = json_object_get(r.json, "partners");
    cr_assert_eq(json_array_size(partners), 2, "%s", r.body);
    json_t *p0 = json_array_get(partners, 0);
    cr_expect_str_eq(json_string_value(json_object_get(p0, "partner")), "bank");
    cr_expect_eq(json_integer_value(json_object_get(p0, "transactions")), 2);
    cr_expect_eq(json_integer_value(json_object_get(p0, "points_reversed")), 200);
    response_free(&r);

    /* Five entries, two a page, each once, newest first. */
    char path[128] = "/v1/members/gus/history?limit=2";
    long long seen[8];
    int n = 0;
    for (int page = 0; page < 5; page++) {
        r = http(&srv, "GET", path, admin, NULL);
        cr_assert_eq(r.status, 200, "%s", r.body);
        size_t i;
        json_t *e;
        json_array_foreach (json_object_get(r.json, "entries"), i, e) {
            cr_assert_lt(n, 8);
            seen[n++] = json_integer_value(json_object_get(e, "id"));
        }
        const char *next = json_string_value(json_object_get(r.json, "next_cursor"));
        if (next == NULL) {
            response_free(&r);
            break;
        }
        snprintf(path, sizeof(path), "/v1/members/gus/history?limit=2&cursor=%s", next);
        response_free(&r);
    }
    cr_expect_eq(n, 5);
    for (int i = 1; i < n; i++)
        cr_expect_lt(seen[i], seen[i - 1], "newest first, no repeats");
    r = http(&srv, "GET", "/v1/members/gus/history?limit=0", admin, NULL);
    expect_error(&r, 400, "invalid_limit");
    response_free(&r);
    /* Numbers are whole, or refused: no trailing letters, no sign, no blank. */
    static const char *const bad[] = {"limit=1x",    "limit=+2",  "limit=",
                                      "cursor=5abc", "cursor=-1", "cursor=99999999999999999999"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        snprintf(path, sizeof(path), "/v1/members/gus/history?%s", bad[i]);
        r = http(&srv, "GET", path, admin, NULL);
        expect_error(&r, 400, bad[i][0] == 'l' ? "invalid_limit" : "invalid_cursor");
        response_free(&r);
    }
}

static char *trial_balance_text(void)
{
    response r = http(&srv, "GET", "/v1/ledger/trial-balance", admin, NULL);
    char *text = strdup(r.body ? r.body : "");
    response_free(&r);
    return text;
}

Test(ledger, bad_input_books_nothing)
{
    earn_ok(&bank, "t-b1", "hal", 10000);
    char *before = trial_balance_text();
    static const struct {
        const char *path, *body;
        int status;
        const char *code;
    } cases[] = {
        {"/v1/transactions", "{not json", 400, "invalid_json"},
        {"/v1/transactions", "[]", 400, "invalid_json"},
        {"/v1/transactions", "{\"id\":\"b-1\",\"member\":\"hal\"}", 400, "missing_field"},
        {"/v1/transactions", "{\"id\":7,\"member\":\"hal\",\"data\":{}}", 400, "invalid_field"},
        {"/v1/transactions", "{\"id\":\"b 1\",\"member\":\"hal\",\"data\":{}}", 400,
         "invalid_field"},
        {"/v1/transactions", "{\"id\":\"b-1\",\"member\":\"hal\",\"data\":{},\"points\":5}", 400,
         "unknown_field"},
        {"/v1/transactions",
         "{\"id\":\"b-1\",\"member\":\"hal\",\"occurred_at\":\"yesterday\",\"data\":{}}", 400,
         "invalid_field"},
        {"/v1/transactions",
         "{\"id\":\"b-1\",\"member\":\"hal\",\"data\":{\"type\":\"purchase\",\"amount_minor\":-5,"
         "\"currency\":\"CNY\",\"mcc\":\"1000\"}}",
         422, "invalid_amount_minor"},
        {"/v1/transactions",
         "{\"id\":\"b-1\",\"member\":\"hal\",\"data\":{\"type\":\"purchase\",\"amount_minor\":"
         "99999999999999999999,\"currency\":\"CNY\",\"mcc\":\"1000\"}}",
         400, "invalid_json"},
        {"/v1/transactions",
         "{\"id\":\"b-1\",\"member\":\"hal\",\"data\":{\"type\":\"purchase\",\"amount_minor\":"
         "9223372036854775807,\"currency\":\"CNY\",\"mcc\":\"5411\"}}",
         422, "amount_minor_overflow"},
        {"/v1/redemptions", "{\"id\":\"b-2\",\"member\":\"hal\",\"points\":0}", 400,
         "invalid_field"},
        {"/v1/redemptions", "{\"id\":\"b-2\",\"member\":\"hal\",\"points\":-10}", 400,
         "invalid_field"},
        {"/v1/redemptions", "{\"id\":\"b-2\",\"member\":\"hal\",\"points\":\"10\"}", 400,
         "invalid_field"},
        {"/v1/redemptions", "{\"id\":\"b-2\",\"member\":\"hal\",\"points\":1.5}", 400,
         "invalid_field"},
        {"/v1/redemptions", "{\"id\":\"b-2\",\"member\":\"hal\",\"points\":9223372036854775807}",
         400, "invalid_field"}, /* past the maximum, 10^12 */
        {"/v1/redemptions", "{\"id\":\"b-2\",\"member\":\"hal\",\"points\":1000000000000}", 422,
         "insufficient_points"},
        {"/v1/redemptions", "{\"id\":\"b-2\",\"member\":\"ghost\",\"points\":1}", 404,
         "member_not_found"},
        {"/v1/redemptions", "{\"id\":\"b-2\",\"member\":\"hal\",\"points\":1,\"tenant\":\"x\"}",
         400, "unknown_field"},
        {"/v1/redemptions", "{\"id\":\"b-2\",\"member\":\"hal\",\"points\":1,\"hold_seconds\":10}",
         400, "invalid_field"},
        {"/v1/transactions/t-b1/reversal", "{\"id\":\"b-3\",\"amount_minor\":0}", 400,
         "invalid_field"},
        {"/v1/transactions/t-b1/reversal", "{\"id\":\"b-3\",\"amount_minor\":10001}", 422,
         "refund_exceeds_amount"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        response r = partner_call(&srv, &bank, "POST", cases[i].path, cases[i].body, 0, NULL);
        expect_error(&r, cases[i].status, cases[i].code);
        if (r.status != cases[i].status)
            cr_log_error("case %zu: %s", i, cases[i].body);
        response_free(&r);
    }
    /* Oversized: over the 1 MiB default. */
    size_t big = 1100 * 1024;
    char *body = malloc(big + 64);
    int n = snprintf(body, 64, "{\"id\":\"b-9\",\"member\":\"hal\",\"data\":{\"x\":\"");
    memset(body + n, 'a', big);
    strcpy(body + n + big, "\"}}");
    response r = partner_call(&srv, &bank, "POST", "/v1/transactions", body, 0, NULL);
    expect_error(&r, 413, "body_too_large");
    response_free(&r);
    free(body);
    char *after = trial_balance_text();
    cr_expect_str_eq(after, before, "a refused request changed the books");
    free(before);
    free(after);
    cr_expect_eq(available("hal"), 100);
}

/* ---- a replay racing the original ---- */

typedef struct {
    int status;
    char body[256];
} race_result;

static void *race_earn(void *arg)
{
    race_result *res = arg;
    response r = earn(&bank, "t-race", "ivy", 77700, "1000");
    res->status = r.status;
    snprintf(res->body, sizeof(res->body), "%s", r.body ? r.body : "");
    response_free(&r);
    return NULL;
}

Test(ledger, replays_racing_the_original_book_once)
{
    pthread_t t[8];
    race_result res[8];
    for (int i = 0; i < 8; i++)
        pthread_create(&t[i], NULL, race_earn, &res[i]);
    int created = 0, replayed = 0;
    for (int i = 0; i < 8; i++) {
        pthread_join(t[i], NULL);
        created += res[i].status == 201;
        replayed += res[i].status == 200;
    }
    cr_expect_eq(created, 1, "%d created", created);
    cr_expect_eq(replayed, 7);
    for (int i = 1; i < 8; i++)
        cr_expect_str_eq(res[i].body, res[0].body);
    cr_expect_eq(available("ivy"), 777);
}

Test(ledger, tenant_settings_turn_enrolment_off_and_change_expiry)
{
    char path[128];
    snprintf(path, sizeof(path), "/v1/tenants/%s", tenant);
    response r = http(&srv, "PATCH", path, admin,
                      "{\"settings\":{\"auto_enrol\":false,\"expiry_months\":12}}");
    cr_assert_eq(r.status, 200, "%s", r.body);
    json_t *settings = json_object_get(r.json, "settings");
    cr_expect(json_is_false(json_object_get(settings, "auto_enrol")));
    cr_expect_eq(json_integer_value(json_object_get(settings, "expiry_months")), 12);
    response_free(&r);
    r = earn(&bank, "t-s1", "stranger", 10000, "1000");
    expect_error(&r, 422, "unknown_member");
    response_free(&r);
    r = http(&srv, "POST", "/v1/members", admin, "{\"id\":\"stranger\"}");
    cr_expect_eq(r.status, 201);
    response_free(&r);
    earn_ok(&bank, "t-s1", "stranger", 10000);
    r = http(&srv, "GET", "/v1/members/stranger", admin, NULL);
    json_t *next =
        json_array_get(json_object_get(json_object_get(r.json, "balance"), "next_expiries"), 0);
    char sql[256], expected[64];
    snprintf(sql, sizeof(sql),
             "SELECT DATE_FORMAT(DATE_ADD(LAST_DAY(DATE_ADD(UTC_TIMESTAMP(), INTERVAL 12 MONTH)), "
             "INTERVAL 1 DAY), '%%Y-%%m-%%dT00:00:00.000000Z')");
    cr_assert_eq(db_scalar(sql, expected, sizeof(expected)), 0);
    cr_expect_str_eq(json_string_value(json_object_get(next, "expires_at")), expected);
    response_free(&r);
    r = http(&srv, "PATCH", path, admin, "{\"settings\":{\"expiry_months\":0}}");
    expect_error(&r, 400, "invalid_field");
    response_free(&r);
    r = http(&srv, "PATCH", path, admin, "{\"settings\":{\"auto_enrol\":true}}");
    cr_expect_eq(r.status, 200);
    response_free(&r);
}

Test(ledger, batch_books_each_line_once_and_refuses_only_bad_lines)
{
    const char *batch = "{\"id\":\"bt-1\",\"member\":\"kim\",\"data\":{\"type\":\"purchase\","
                        "\"amount_minor\":1000,\"currency\":\"CNY\",\"mcc\":\"1000\"}}\n"
                        "{not json\n"
                        "\n"
                        "{\"id\":\"bt-2\",\"member\":\"kim\",\"data\":{\"type\":\"purchase\","
                        "\"amount_minor\":2000,\"currency\":\"USD\",\"mcc\":\"1000\"}}\r\n"
                        "{\"id\":\"bt-3\",\"member\":\"kim\",\"data\":{\"type\":\"purchase\","
                        "\"amount_minor\":3000,\"currency\":\"CNY\",\"mcc\":\"1000\"}}";
    response r = partner_call(&srv, &bank, "POST", "/v1/transactions:batch", batch, 0, NULL);
    cr_assert_eq(r.status, 200, "%s", r.body);
    char ct[64];
    cr_expect(response_header(&r, "Content-Type", ct, sizeof(ct)));
    cr_expect_str_eq(ct, "application/x-ndjson");
    /* Lines 1, 2, 4, 5 (3 is blank), in order. */
    static const int lines[] = {1, 2, 4, 5}, statuses[] = {201, 400, 422, 201};
    char *save = NULL, *text = strdup(r.body);
    int i = 0;
    for (char *l = strtok_r(text, "\n", &save); l != NULL; l = strtok_r(NULL, "\n", &save), i++) {
        json_t *j = json_loads(l, 0, NULL);
        cr_assert(j != NULL, "not JSON: %s", l);
        cr_assert_lt(i, 4);
        cr_expect_eq(json_integer_value(json_object_get(j, "line")), lines[i], "%s", l);
        cr_expect_eq(json_integer_value(json_object_get(j, "status")), statuses[i], "%s", l);
        json_decref(j);
    }
    cr_expect_eq(i, 4);
    free(text);
    cr_expect_eq(available("kim"), 40);
    /* The same file again books nothing twice; a single call sees the same record. */
    response again = partner_call(&srv, &bank, "POST", "/v1/transactions:batch", batch, 0, NULL);
    cr_expect(strstr(again.body, "\"line\":1,\"status\":200") != NULL, "%s", again.body);
    cr_expect(strstr(again.body, "\"line\":5,\"status\":200") != NULL, "%s", again.body);
    response_free(&again);
    response_free(&r);
    cr_expect_eq(available("kim"), 40);
    r = partner_call(&srv, &bank, "POST", "/v1/transactions",
                     "{\"id\":\"bt-1\",\"member\":\"kim\",\"data\":{\"type\":\"purchase\","
                     "\"amount_minor\":1000,\"currency\":\"CNY\",\"mcc\":\"1000\"}}",
                     0, NULL);
    cr_expect_eq(r.status, 200, "the batch line and the single call share the id: %s", r.body);
    response_free(&r);
}

Test(ledger, one_tenants_partner_sees_nothing_of_another_tenant)
{
    earn_ok(&bank, "t-iso", "lee", 10000);
    char other[64], other_admin[128];
    unique_id(other, sizeof(other), "iso");
    make_tenant(&srv, other, other_admin, sizeof(other_admin));
    partner_key k;
    make_partner(&srv, other_admin, "bank", "bank", BANK_CONFIG, &k);
    response r = partner_call(&srv, &k, "GET", "/v1/members/lee/balance", NULL, 0, NULL);
    expect_error(&r, 404, "member_not_found");
    response_free(&r);
    r = redeem(&k, "iso-r", "lee", 1, NULL);
    expect_error(&r, 404, "member_not_found");
    response_free(&r);
    r = partner_call(&srv, &k, "POST", "/v1/transactions/t-iso/reversal", "{\"id\":\"iso-v\"}", 0,
                     NULL);
    expect_error(&r, 404, "transaction_not_found");
    response_free(&r);
    r = http(&srv, "GET", "/v1/members/lee", other_admin, NULL);
    expect_error(&r, 404, "member_not_found");
    response_free(&r);
    cr_expect_eq(available("lee"), 100);
}

/*
 * The sweep pages through every member with points due: 1,000 members whose
 * due points are all held lapse nothing now, and the member after them (in key
 * order) still lapses (it waited for ever behind "the first 1000").
 */
Test(ledger, expiry_reaches_every_member_past_a_thousand_whose_points_are_held, .timeout = 240)
{
    char t[64], key[128];
    partner_key p;
    unique_id(t, sizeof(t), "ex");
    make_tenant(&srv, t, key, sizeof(key));
    make_partner(&srv, key, "bank", "bank", BANK_CONFIG, &p);
    enum { HELD = 1000, PER_BATCH = 250 };
    size_t cap = PER_BATCH * 160;
    char *batch = malloc(cap);
    for (int from = 0; from < HELD; from += PER_BATCH) {
        size_t n = 0;
        for (int i = from; i < from + PER_BATCH; i++)
            n += (size_t)snprintf(batch + n, cap - n,
                                  "{\"id\":\"e-%d\",\"member\":\"h%04d\",\"data\":{\"type\":"
                                  "\"purchase\",\"amount_minor\":1000,\"currency\":\"CNY\","
                                  "\"mcc\":\"1000\"}}\n",
                                  i, i);
        response r = partner_call(&srv, &p, "POST", "/v1/transactions:batch", batch, 0, NULL);
        cr_assert_eq(r.status, 200, "%s", r.body);
        cr_assert(strstr(r.body, "\"error\"") == NULL, "%.300s", r.body);
        response_free(&r);
    }
    free(batch);
    for (int i = 0; i < HELD; i++) {
        char body[160];
        snprintf(body, sizeof(body),
                 "{\"id\":\"hold-%d\",\"member\":\"h%04d\",\"points\":10,\"capture\":false,"
                 "\"hold_seconds\":86400}",
                 i, i);
        response r = partner_call(&srv, &p, "POST", "/v1/redemptions", body, 0, NULL);
        cr_assert_eq(r.status, 201, "%s", r.body);
        response_free(&r);
    }
    char body[200];
    snprintf(body, sizeof(body),
             "{\"id\":\"e-last\",\"member\":\"z-last\",\"data\":{\"type\":\"purchase\","
             "\"amount_minor\":3000,\"currency\":\"CNY\",\"mcc\":\"1000\"}}");
    response r = partner_call(&srv, &p, "POST", "/v1/transactions", body, 0, NULL);
    cr_assert_eq(r.status, 201, "%s", r.body);
    response_free(&r);

    snprintf(body, sizeof(body), "{\"as_of\":\"2030-01-01T00:00:00Z\",\"tenant\":\"%s\"}", t);
    r = http(&srv, "POST", "/v1/ledger/expire", OPERATOR_TOKEN, body);
    cr_assert_eq(r.status, 200, "%s", r.body);
    cr_expect_eq(num(&r, "points"), 30, "%s", r.body);
    cr_expect_eq(num(&r, "members"), 1, "%s", r.body);
    response_free(&r);
    r = partner_call(&srv, &p, "GET", "/v1/members/z-last/balance", NULL, 0, NULL);
    cr_expect_eq(num(&r, "available"), 0, "%s", r.body);
    response_free(&r);
    r = partner_call(&srv, &p, "GET", "/v1/members/h0999/balance", NULL, 0, NULL);
    cr_expect_eq(num(&r, "held"), 10, "%s", r.body);
    response_free(&r);
    r = http(&srv, "GET", "/v1/ledger/trial-balance", key, NULL);
    cr_expect_eq(num(&r, "total"), 0, "%s", r.body);
    response_free(&r);
}

/* occurred_at takes any RFC 3339 offset and is kept in UTC; a time without one is refused. */
Test(ledger, occurred_at_with_an_offset_is_kept_in_utc)
{
    response r = partner_call(&srv, &bank, "POST", "/v1/transactions",
                              "{\"id\":\"tz-1\",\"member\":\"tzm\",\"occurred_at\":"
                              "\"2026-03-01T07:30:00+08:00\",\"data\":{\"type\":\"purchase\","
                              "\"amount_minor\":1000,\"currency\":\"CNY\",\"mcc\":\"1000\"}}",
                              0, NULL);
    cr_assert_eq(r.status, 201, "%s", r.body);
    response_free(&r);
    char sql[256], out[64];
    snprintf(sql, sizeof(sql),
             "SELECT occurred_at FROM transactions WHERE tenant_id = '%s' AND transaction_id = "
             "'tz-1'",
             tenant);
    cr_assert_eq(db_scalar(sql, out, sizeof(out)), 0);
    cr_expect_str_eq(out, "2026-02-28 23:30:00.000000", "kept in UTC, the day before");
    r = partner_call(&srv, &bank, "POST", "/v1/transactions",
                     "{\"id\":\"tz-2\",\"member\":\"tzm\",\"occurred_at\":\"2026-03-01T07:30:00\","
                     "\"data\":{\"type\":\"purchase\",\"amount_minor\":1000,\"currency\":\"CNY\","
                     "\"mcc\":\"1000\"}}",
                     0, NULL);
    expect_error(&r, 400, "invalid_field");
    cr_expect(strstr(r.body, "offset") != NULL, "the message says what is missing: %s", r.body);
    response_free(&r);
}
