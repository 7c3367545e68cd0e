/*
 * Referrals over HTTP: a member's code, a new member enrolled with it, both
 * rewarded by the sweep once the referee's first qualifying transaction is
 * booked in time, never twice, taken back when that transaction is reversed
 * in full; the referrer's limit per period; a referral that lapses; the 360
 * view's referrer and referees; the books still balance and settle.
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
    unique_id(tenant, sizeof(tenant), "rf");
    make_tenant(&srv, tenant, owner, sizeof(owner));
    make_partner(&srv, owner, "bank", "bank", CONFIG, &bank);
    response r = http(&srv, "PUT", "/v1/rules", owner,
                      "{\"referral\":{\"referrer_points\":200,\"referee_points\":100,"
                      "\"within_days\":30,\"limit\":{\"count\":2,\"period\":\"month\"}}}");
    cr_assert_eq(r.status, 200, "%s", r.body);
    response_free(&r);
}

static void stop(void)
{
    server_finish(&srv);
}

TestSuite(referrals, .init = start, .fini = stop, .timeout = 90);

static json_int_t num(json_t *o, const char *k)
{
    return json_integer_value(json_object_get(o, k));
}

static json_int_t available(const char *member)
{
    char path[100];
    snprintf(path, sizeof(path), "/v1/members/%s", member);
    response r = http(&srv, "GET", path, owner, NULL);
    cr_assert_eq(r.status, 200, "%s", r.body);
    json_int_t n = num(json_object_get(r.json, "balance"), "available");
    response_free(&r);
    return n;
}

static void code_of(const char *member, char code[16])
{
    char path[100];
    snprintf(path, sizeof(path), "/v1/members/%s", member);
    response r = http(&srv, "GET", path, owner, NULL);
    cr_assert_eq(r.status, 200, "%s", r.body);
    const char *c = json_string_value(json_object_get(json_object_get(r.json, "referral"), "code"));
    cr_assert(c != NULL && strlen(c) == 8, "%s", r.body);
    snprintf(code, 16, "%s", c);
    response_free(&r);
}

static void enrol(const char *member, const char *code)
{
    char body[200];
    snprintf(body, sizeof(body), "{\"id\":\"%s\",\"referral_code\":\"%s\"}", member, code);
    response r = partner_call(&srv, &bank, "POST", "/v1/members", body, 0, NULL);
    cr_assert_eq(r.status, 201, "%s", r.body);
    response_free(&r);
}

/* The sweep now, for this tenant: its referral counts. */
static void sweep(int *rewarded, int *taken_back, int *lapsed)
{
    char body[200];
    snprintf(body, sizeof(body), "{\"tenant\":\"%s\"}", tenant);
    response r = http(&srv, "POST", "/v1/ledger/expire", OPERATOR_TOKEN, body);
    cr_assert_eq(r.status, 200, "%s", r.body);
    json_t *f = json_object_get(r.json, "referrals");
    *rewarded = (int)num(f, "rewarded");
    *taken_back = (int)num(f, "taken_back");
    *lapsed = (int)num(f, "lapsed");
    response_free(&r);
}

Test(referrals, both_rewarded_once_and_taken_back_with_the_transaction)
{
    earn_purchase(&srv, &bank, "t-ref", "ada", 50000); /* 500 points */
    char code[16];
    code_of("ada", code);
    enrol("bea", code);
    char body[200];
    snprintf(body, sizeof(body), "{\"id\":\"bea\",\"referral_code\":\"%s\"}", code);
    response r = partner_call(&srv, &bank, "POST", "/v1/members", body, 0, NULL);
    expect_error(&r, 409, "member_exists");
    response_free(&r);
    r = partner_call(&srv, &bank, "POST", "/v1/members",
                     "{\"id\":\"cy\",\"referral_code\":\"ZZZZZZZZ\"}", 0, NULL);
    expect_error(&r, 422, "unknown_referral_code");
    response_free(&r);
    r = http(&srv, "GET", "/v1/members/cy", owner, NULL);
    cr_expect_eq(r.status, 404, "a refused enrolment enrols nobody");
    response_free(&r);

    int rewarded, taken_back, lapsed;
    sweep(&rewarded, &taken_back, &lapsed);
    cr_expect_eq(rewarded, 0, "no qualifying transaction yet");
    earn_purchase(&srv, &bank, "t-bea", "bea", 30000); /* 300 points */
    sweep(&rewarded, &taken_back, &lapsed);
    cr_expect_eq(rewarded, 1);
    cr_expect_eq(available("bea"), 300 + 100);
    cr_expect_eq(available("ada"), 500 + 200);
    sweep(&rewarded, &taken_back, &lapsed);
    cr_expect_eq(rewarded, 0, "never twice");
    cr_expect_eq(available("ada"), 700);

    /* The 360 views: who referred whom. */
    r = http(&srv, "GET", "/v1/members/ada", owner, NULL);
    json_t *referees = json_object_get(json_object_get(r.json, "referral"), "referees");
    cr_expect_eq(json_array_size(referees), 1);
    cr_expect_str_eq(json_string_value(json_object_get(json_array_get(referees, 0), "status")),
                     "rewarded");
    response_free(&r);
    r = http(&srv, "GET", "/v1/members/bea", owner, NULL);
    json_t *by = json_object_get(json_object_get(r.json, "referral"), "referred_by");
    cr_expect_str_eq(json_string_value(json_object_get(by, "member")), "ada");
    response_free(&r);

    /* The first transaction refunded in full: both rewards come back. */
    r = partner_call(&srv, &bank, "POST", "/v1/transactions/t-bea/reversal", "{\"id\":\"rv-bea\"}",
                     0, NULL);
    cr_assert_eq(r.status, 201, "%s", r.body);
    response_free(&r);
    sweep(&rewarded, &taken_back, &lapsed);
    cr_expect_eq(taken_back, 1);
    cr_expect_eq(available("bea"), 0, "300 refunded, 100 taken back");
    cr_expect_eq(available("ada"), 500);
    sweep(&rewarded, &taken_back, &lapsed);
    cr_expect_eq(taken_back, 0, "once");

    /* The books balance and a statement of the period reconciles. */
    r = http(&srv, "GET", "/v1/ledger/trial-balance", owner, NULL);
    cr_expect_eq(num(r.json, "total"), 0);
    response_free(&r);
    r = http(&srv, "POST", "/v1/settlements", owner,
             "{\"period_start\":\"2020-01-01T00:00:00Z\",\"period_end\":\"2099-01-01T00:00:00Z\"}");
    cr_assert_eq(r.status, 201, "%s", r.body);
    cr_expect(json_is_true(json_object_get(json_object_get(r.json, "reconciliation"), "balanced")),
              "%s", r.body);
    response_free(&r);
}

Test(referrals, the_referrers_limit_and_a_referral_that_lapses)
{
    earn_purchase(&srv, &bank, "t-big", "big", 10000);
    char code[16];
    code_of("big", code);
    const char *referees[] = {"r-1", "r-2", "r-3"};
    for (int i = 0; i < 3; i++) {
        char id[32];
        enrol(referees[i], code);
        snprintf(id, sizeof(id), "t-%s", referees[i]);
        earn_purchase(&srv, &bank, id, referees[i], 1000); /* 10 points */
    }
    int rewarded, taken_back, lapsed;
    sweep(&rewarded, &taken_back, &lapsed);
    cr_expect_eq(rewarded, 3);
    cr_expect_eq(available("big"), 100 + 2 * 200, "the referrer's limit: 2 a month");
    for (int i = 0; i < 3; i++)
        cr_expect_eq(available(referees[i]), 10 + 100, "each referee rewarded");

    /* Enrolled 40 days ago, no qualifying transaction since: it lapses. */
    enrol("late", code);
    char sql[300], out[64];
    snprintf(sql, sizeof(sql),
             "UPDATE referrals SET enrolled_at = NOW(6) - INTERVAL 40 DAY "
             "WHERE tenant_id = '%s' AND referee_id = 'late'",
             tenant);
    db_scalar(sql, out, sizeof(out));
    sweep(&rewarded, &taken_back, &lapsed);
    cr_expect_eq(lapsed, 1);
    earn_purchase(&srv, &bank, "t-late", "late", 1000);
    sweep(&rewarded, &taken_back, &lapsed);
    cr_expect_eq(rewarded, 0, "too late");
    cr_expect_eq(available("late"), 10);
}
