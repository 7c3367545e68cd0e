/*
 * The member's own app, over HTTP: a partner or an admin mints a member token;
 * with it the app reads that member's balance, tier, points missing for the
 * next tier, expiring points and history, and nothing else; a token revoked,
 * past its time, tampered with, or whose row was altered is refused.
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
    unique_id(tenant, sizeof(tenant), "ma");
    make_tenant(&srv, tenant, owner, sizeof(owner));
    make_partner(&srv, owner, "bank", "bank", CONFIG, &bank);
    response r = http(&srv, "PUT", "/v1/rules", owner,
                      "{\"tiers\":{\"window_months\":12,\"levels\":[{\"name\":\"normal\","
                      "\"threshold\":0},{\"name\":\"silver\",\"threshold\":500},"
                      "{\"name\":\"gold\",\"threshold\":2000}]}}");
    cr_assert_eq(r.status, 200, "%s", r.body);
    response_free(&r);
}

static void stop(void)
{
    server_finish(&srv);
}

TestSuite(member_app, .init = start, .fini = stop, .timeout = 90);

/* A token for member, minted by the bank: the token into token, its id into id. */
static void mint(const char *member, char token[128], char id[40])
{
    char path[128];
    snprintf(path, sizeof(path), "/v1/members/%s/tokens", member);
    response r = partner_call(&srv, &bank, "POST", path, "{\"ttl_seconds\":600}", 0, NULL);
    cr_assert_eq(r.status, 201, "%s", r.body);
    snprintf(token, 128, "%s", json_string_value(json_object_get(r.json, "token")));
    snprintf(id, 40, "%s", json_string_value(json_object_get(r.json, "token_id")));
    cr_expect_str_eq(json_string_value(json_object_get(r.json, "member")), member);
    response_free(&r);
}

Test(member_app, a_token_reads_its_members_balance_tier_and_history_only)
{
    earn_purchase(&srv, &bank, "m-1", "amy", 34500); /* 345 points */
    earn_purchase(&srv, &bank, "m-2", "amy", 1000);  /* 10 */
    earn_purchase(&srv, &bank, "m-3", "bo", 99900);  /* 999: another member */
    char token[128], id[40];
    mint("amy", token, id);
    cr_expect_eq(strlen(token), 100);

    response r = http(&srv, "GET", "/v1/me", token, NULL);
    cr_assert_eq(r.status, 200, "%s", r.body);
    json_t *me = r.json;
    cr_expect_str_eq(json_string_value(json_object_get(me, "member")), "amy");
    cr_expect_eq(json_integer_value(json_object_get(json_object_get(me, "balance"), "available")),
                 355);
    cr_expect_str_eq(json_string_value(json_object_get(me, "tier")), "normal");
    cr_expect_eq(json_integer_value(json_object_get(me, "qualifying_points")), 355);
    json_t *next = json_object_get(me, "next_tier");
    cr_expect_str_eq(json_string_value(json_object_get(next, "tier")), "silver");
    cr_expect_eq(json_integer_value(json_object_get(next, "points_missing")), 500 - 355);
    json_t *expiring = json_object_get(me, "expiring");
    cr_expect_eq(json_integer_value(json_object_get(json_array_get(expiring, 0), "points")), 355);
    response_free(&r);

    r = http(&srv, "GET", "/v1/me/history?limit=1", token, NULL);
    cr_assert_eq(r.status, 200, "%s", r.body);
    cr_expect_str_eq(json_string_value(json_object_get(r.json, "member")), "amy");
    json_t *first = json_array_get(json_object_get(r.json, "entries"), 0);
    cr_expect_str_eq(json_string_value(json_object_get(first, "ref")), "m-2");
    cr_expect(json_object_get(first, "detail") != NULL, "with its breakdown");
    cr_expect(json_is_string(json_object_get(r.json, "next_cursor")));
    response_free(&r);

    /* Nothing else: not another member, not an admin's or a partner's reads, no changes. */
    const char *refused[][2] = {
        {"GET", "/v1/members/bo"},         {"GET", "/v1/members"},
        {"GET", "/v1/members/bo/history"}, {"GET", "/v1/members/bo/balance"},
        {"GET", "/v1/partners"},           {"GET", "/v1/transactions"},
        {"POST", "/v1/redemptions"},       {"GET", "/v1/analytics/overview"}};
    for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
        r = http(&srv, refused[i][0], refused[i][1], token, "{}");
        cr_expect(r.status == 403 || r.status == 401, "%s %s: %d", refused[i][0], refused[i][1],
                  r.status);
        response_free(&r);
    }
}

Test(member_app, a_token_revoked_expired_tampered_or_altered_is_refused)
{
    earn_purchase(&srv, &bank, "x-1", "cy", 5000);
    char token[128], id[40], sql[256], out[64];
    mint("cy", token, id);
    response r = http(&srv, "GET", "/v1/me", token, NULL);
    cr_assert_eq(r.status, 200, "%s", r.body);
    response_free(&r);

    /* Tampered: one digit of the signature. */
    char bad[128];
    snprintf(bad, sizeof(bad), "%s", token);
    bad[99] = bad[99] == '0' ? '1' : '0';
    r = http(&srv, "GET", "/v1/me", bad, NULL);
    expect_error(&r, 401, "unauthorized");
    response_free(&r);

    /* Its row altered to another member: the signature no longer matches. */
    snprintf(sql, sizeof(sql), "UPDATE member_tokens SET member_id = 'amy' WHERE token_id = '%s'",
             id);
    db_scalar(sql, out, sizeof(out));
    r = http(&srv, "GET", "/v1/me", token, NULL);
    expect_error(&r, 401, "unauthorized");
    response_free(&r);
    snprintf(sql, sizeof(sql), "UPDATE member_tokens SET member_id = 'cy' WHERE token_id = '%s'",
             id);
    db_scalar(sql, out, sizeof(out));
    r = http(&srv, "GET", "/v1/me", token, NULL);
    cr_expect_eq(r.status, 200, "restored: %s", r.body);
    response_free(&r);

    /* Past its time. */
    snprintf(sql, sizeof(sql),
             "UPDATE member_tokens SET expires_at = NOW() - INTERVAL 1 SECOND WHERE token_id = "
             "'%s'",
             id);
    db_scalar(sql, out, sizeof(out));
    r = http(&srv, "GET", "/v1/me", token, NULL);
    expect_error(&r, 401, "unauthorized");
    response_free(&r);

    /* Revoked, by the partner that minted it. */
    mint("cy", token, id);
    char path[80];
    snprintf(path, sizeof(path), "/v1/member-tokens/%s", id);
    r = partner_call(&srv, &bank, "DELETE", path, NULL, 0, NULL);
    cr_assert_eq(r.status, 200, "%s", r.body);
    response_free(&r);
    r = http(&srv, "GET", "/v1/me", token, NULL);
    expect_error(&r, 401, "unauthorized");
    response_free(&r);
}

Test(member_app, who_may_mint_and_revoke)
{
    earn_purchase(&srv, &bank, "w-1", "di", 5000);
    response r = partner_call(&srv, &bank, "POST", "/v1/members/nobody/tokens", "{}", 0, NULL);
    expect_error(&r, 404, "member_not_found");
    response_free(&r);
    r = partner_call(&srv, &bank, "POST", "/v1/members/di/tokens", "{\"ttl_seconds\":5}", 0, NULL);
    expect_error(&r, 400, "invalid_field");
    response_free(&r);
    r = partner_call(&srv, &bank, "POST", "/v1/members/di/tokens", "{\"scope\":\"all\"}", 0, NULL);
    expect_error(&r, 400, "unknown_field");
    response_free(&r);
    /* An owner mints (and the audit log says so); a viewer may not. */
    r = http(&srv, "POST", "/v1/members/di/tokens", owner, "{}");
    cr_assert_eq(r.status, 201, "%s", r.body);
    char id[40];
    snprintf(id, sizeof(id), "%s", json_string_value(json_object_get(r.json, "token_id")));
    response_free(&r);
    r = http(&srv, "POST", "/v1/admin-keys", owner, "{\"name\":\"v\",\"role\":\"viewer\"}");
    char viewer[80];
    snprintf(viewer, sizeof(viewer), "%s", json_string_value(json_object_get(r.json, "key")));
    response_free(&r);
    r = http(&srv, "POST", "/v1/members/di/tokens", viewer, "{}");
    expect_error(&r, 403, "forbidden");
    response_free(&r);
    /* Another tenant's partner does not find this tenant's tokens. */
    char other[64], other_admin[128], path[80];
    unique_id(other, sizeof(other), "mo");
    make_tenant(&srv, other, other_admin, sizeof(other_admin));
    partner_key stranger;
    make_partner(&srv, other_admin, "bank", "bank", CONFIG, &stranger);
    snprintf(path, sizeof(path), "/v1/member-tokens/%s", id);
    r = partner_call(&srv, &stranger, "DELETE", path, NULL, 0, NULL);
    expect_error(&r, 404, "not_found");
    response_free(&r);
    r = http(&srv, "DELETE", path, owner, NULL);
    cr_expect_eq(r.status, 200, "%s", r.body);
    response_free(&r);
}
