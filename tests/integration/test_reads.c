/*
 * Reading back over HTTP, with one paging convention (?limit= up to 1000,
 * ?cursor= from next_cursor, null on the last page): a partner's own
 * transactions and redemptions, never another's; the admin's member list by
 * prefix, tier, block and lifecycle stage; the operator's tenant list; the
 * trial balance by account class with its accounts paged.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>

#include "harness.h"

static test_server srv;
static char tenant[64], admin[128];
static partner_key bank, shop;

#define CONFIG "{\"currency\":\"CNY\",\"spend_minor_per_point\":100}"

static void start(void)
{
    server_start(&srv, NULL, NULL);
    unique_id(tenant, sizeof(tenant), "rd");
    make_tenant(&srv, tenant, admin, sizeof(admin));
    make_partner(&srv, admin, "bank", "bank", CONFIG, &bank);
    make_partner(&srv, admin, "shop", "bank", CONFIG, &shop);
}

static void stop(void)
{
    server_finish(&srv);
}

TestSuite(reads, .init = start, .fini = stop, .timeout = 90);

static json_int_t num(json_t *obj, const char *key)
{
    return json_integer_value(json_object_get(obj, key));
}

static const char *str(json_t *obj, const char *key)
{
    return json_string_value(json_object_get(obj, key));
}

static void earn(const partner_key *k, const char *id, const char *member, int amount,
                 const char *when)
{
    char body[300];
    snprintf(body, sizeof(body),
             "{\"id\":\"%s\",\"member\":\"%s\",\"occurred_at\":\"%s\",\"data\":{\"type\":"
             "\"purchase\",\"amount_minor\":%d,\"currency\":\"CNY\",\"mcc\":\"5999\"}}",
             id, member, when, amount);
    response r = partner_call(&srv, k, "POST", "/v1/transactions", body, 0, NULL);
    cr_assert_eq(r.status, 201, "%s: %s", body, r.body);
    response_free(&r);
}

/* Every item's field key of a list read page by page (limit each) into ids (joined by ','). */
static int read_all(const partner_key *k, const char *token, const char *path, const char *items,
                    const char *key, int limit, char *ids, size_t size)
{
    char cursor[200] = "", url[400];
    int pages = 0;
    ids[0] = '\0';
    for (;;) {
        snprintf(url, sizeof(url), "%s%slimit=%d%s%s", path, strchr(path, '?') ? "&" : "?", limit,
                 cursor[0] ? "&cursor=" : "", cursor);
        response r = k ? partner_call(&srv, k, "GET", url, NULL, 0, NULL)
                       : http(&srv, "GET", url, token, NULL);
        cr_assert_eq(r.status, 200, "%s: %s", url, r.body);
        pages++;
        size_t i;
        json_t *it;
        json_array_foreach (json_object_get(r.json, items), i, it) {
            size_t len = strlen(ids);
            snprintf(ids + len, size - len, "%s%s", len ? "," : "", str(it, key));
        }
        json_t *next = json_object_get(r.json, "next_cursor");
        cr_assert(next != NULL, "every list answers next_cursor: %s", r.body);
        bool last = json_is_null(next);
        if (!last)
            snprintf(cursor, sizeof(cursor), "%s", json_string_value(next));
        response_free(&r);
        if (last || pages > 50)
            return pages;
    }
}

Test(reads, a_partner_reads_its_own_transactions_and_redemptions)
{
    earn(&bank, "t-1", "ann", 10000, "2026-03-01T10:00:00+08:00");
    earn(&bank, "t-2", "bob", 20000, "2026-03-02T10:00:00Z");
    earn(&bank, "t-3", "ann", 30000, "2026-03-03T10:00:00Z");
    earn(&shop, "t-1", "ann", 5000, "2026-03-01T12:00:00Z"); /* shop's own t-1 */
    response r = partner_call(&srv, &bank, "POST", "/v1/transactions/t-3/reversal",
                              "{\"id\":\"v-1\",\"amount_minor\":10000}", 0, NULL);
    cr_assert_eq(r.status, 201, "%s", r.body);
    response_free(&r);

    /* By id: the transaction, its reversal figures and its breakdown. */
    r = partner_call(&srv, &bank, "GET", "/v1/transactions/t-3", NULL, 0, NULL);
    cr_assert_eq(r.status, 200, "%s", r.body);
    cr_expect_str_eq(str(r.json, "member_id"), "ann");
    cr_expect_eq(num(r.json, "points"), 300);
    cr_expect_eq(num(r.json, "amount_minor"), 30000);
    cr_expect_eq(num(r.json, "reversed_minor"), 10000);
    cr_expect_eq(num(r.json, "reversed_points"), 100);
    cr_expect(json_is_object(json_object_get(r.json, "breakdown")), "%s", r.body);
    response_free(&r);
    r = partner_call(&srv, &bank, "GET", "/v1/transactions/t-1", NULL, 0, NULL);
    cr_expect_str_eq(str(r.json, "occurred_at"), "2026-03-01T02:00:00.000000Z", "kept in UTC");
    cr_expect_eq(num(r.json, "points"), 100, "bank's t-1, not shop's");
    response_free(&r);
    r = partner_call(&srv, &shop, "GET", "/v1/transactions/t-2", NULL, 0, NULL);
    expect_error(&r, 404, "transaction_not_found"); /* bank's, not shop's */
    response_free(&r);

    /* Lists: in booking order, paged, by member, by time; never another partner's. */
    char ids[400];
    cr_expect_eq(
        read_all(&bank, NULL, "/v1/transactions", "transactions", "id", 2, ids, sizeof(ids)), 2);
    cr_expect_str_eq(ids, "t-1,t-2,t-3");
    read_all(&bank, NULL, "/v1/transactions?member_id=ann", "transactions", "id", 1000, ids,
             sizeof(ids));
    cr_expect_str_eq(ids, "t-1,t-3");
    read_all(&bank, NULL, "/v1/transactions?since=2026-03-02T00:00:00Z&until=2026-03-03T10:00:00Z",
             "transactions", "id", 1000, ids, sizeof(ids));
    cr_expect_str_eq(ids, "t-2", "since is in, until is out");
    read_all(&shop, NULL, "/v1/transactions", "transactions", "id", 1000, ids, sizeof(ids));
    cr_expect_str_eq(ids, "t-1");

    /* Redemptions: a capture and a hold, read back by id and as a list. */
    r = partner_call(&srv, &shop, "POST", "/v1/redemptions",
                     "{\"id\":\"r-1\",\"member\":\"ann\",\"points\":50}", 0, NULL);
    cr_assert_eq(r.status, 201, "%s", r.body);
    response_free(&r);
    r = partner_call(&srv, &shop, "POST", "/v1/redemptions",
                     "{\"id\":\"r-2\",\"member\":\"bob\",\"points\":20,\"capture\":false}", 0,
                     NULL);
    cr_assert_eq(r.status, 201, "%s", r.body);
    response_free(&r);
    r = partner_call(&srv, &shop, "GET", "/v1/redemptions/r-2", NULL, 0, NULL);
    cr_assert_eq(r.status, 200, "%s", r.body);
    cr_expect_str_eq(str(r.json, "status"), "held");
    cr_expect_eq(num(r.json, "points"), 20);
    cr_expect(json_is_string(json_object_get(r.json, "hold_expires_at")), "%s", r.body);
    response_free(&r);
    r = partner_call(&srv, &bank, "GET", "/v1/redemptions/r-1", NULL, 0, NULL);
    expect_error(&r, 404, "redemption_not_found");
    response_free(&r);
    read_all(&shop, NULL, "/v1/redemptions", "redemptions", "id", 1, ids, sizeof(ids));
    cr_expect_str_eq(ids, "r-1,r-2");
    read_all(&shop, NULL, "/v1/redemptions?member_id=bob", "redemptions", "id", 1, ids,
             sizeof(ids));
    cr_expect_str_eq(ids, "r-2");
    read_all(&bank, NULL, "/v1/redemptions", "redemptions", "id", 10, ids, sizeof(ids));
    cr_expect_str_eq(ids, "");

    /* Bad parameters are refused with their codes. */
    static const char *const bad[][2] = {
        {"/v1/transactions?limit=0", "invalid_limit"},
        {"/v1/transactions?limit=1001", "invalid_limit"},
        {"/v1/transactions?cursor=abc", "invalid_cursor"},
        {"/v1/transactions?since=yesterday", "invalid_parameter"},
        {"/v1/redemptions?member_id=a%20b", "invalid_parameter"},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        r = partner_call(&srv, &bank, "GET", bad[i][0], NULL, 0, NULL);
        expect_error(&r, 400, bad[i][1]);
        response_free(&r);
    }
    /* An admin key is not a partner's. */
    r = http(&srv, "GET", "/v1/transactions", admin, NULL);
    cr_expect_eq(r.status, 403, "%s", r.body);
    response_free(&r);
}

static void member(const char *id)
{
    char body[100];
    snprintf(body, sizeof(body), "{\"id\":\"%s\"}", id);
    response r = http(&srv, "POST", "/v1/members", admin, body);
    cr_assert_eq(r.status, 201, "%s", r.body);
    response_free(&r);
}

Test(reads, an_admin_lists_members_by_prefix_tier_block_and_stage)
{
    member("a-1");
    member("a-2");
    member("a-3");
    member("b-1");
    member("b_2");
    earn(&bank, "e-1", "a-1", 10000, "2024-01-10T00:00:00Z"); /* long ago: lapsed */
    earn(&bank, "e-2", "a-2", 10000, "2026-11-01T00:00:00Z"); /* recent first purchase: new */
    response r = http(&srv, "POST", "/v1/members/a-3/block", admin, NULL);
    cr_assert_eq(r.status, 200, "%s", r.body);
    response_free(&r);
    char sql[200], out[16];
    snprintf(sql, sizeof(sql),
             "UPDATE members SET tier = 'gold' WHERE tenant_id = '%s' AND "
             "member_id IN ('a-2', 'b-1')",
             tenant);
    cr_assert_eq(db_scalar(sql, out, sizeof(out)), 0);

    char ids[400];
    cr_expect_eq(read_all(NULL, admin, "/v1/members", "members", "id", 2, ids, sizeof(ids)), 3);
    cr_expect_str_eq(ids, "a-1,a-2,a-3,b-1,b_2");
    read_all(NULL, admin, "/v1/members?prefix=a-", "members", "id", 1000, ids, sizeof(ids));
    cr_expect_str_eq(ids, "a-1,a-2,a-3");
    read_all(NULL, admin, "/v1/members?prefix=b_", "members", "id", 1000, ids, sizeof(ids));
    cr_expect_str_eq(ids, "b_2", "an underscore is no wildcard");
    read_all(NULL, admin, "/v1/members?tier=gold", "members", "id", 1000, ids, sizeof(ids));
    cr_expect_str_eq(ids, "a-2,b-1");
    read_all(NULL, admin, "/v1/members?blocked=true", "members", "id", 1000, ids, sizeof(ids));
    cr_expect_str_eq(ids, "a-3");
    read_all(NULL, admin, "/v1/members?blocked=false&prefix=a", "members", "id", 1000, ids,
             sizeof(ids));
    cr_expect_str_eq(ids, "a-1,a-2");
    read_all(NULL, admin, "/v1/members?stage=lapsed", "members", "id", 1000, ids, sizeof(ids));
    cr_expect_str_eq(ids, "a-1");
    /* A full page has a cursor: the page after the fourth may be empty. */
    cr_expect_geq(
        read_all(NULL, admin, "/v1/members?stage=new", "members", "id", 1, ids, sizeof(ids)), 4);
    cr_expect_str_eq(ids, "a-2,a-3,b-1,b_2");
    read_all(NULL, admin, "/v1/members?stage=new&tier=gold&prefix=a", "members", "id", 1000, ids,
             sizeof(ids));
    cr_expect_str_eq(ids, "a-2");

    r = http(&srv, "GET", "/v1/members?prefix=a-&limit=1", admin, NULL);
    json_t *m = json_array_get(json_object_get(r.json, "members"), 0);
    cr_expect_str_eq(str(m, "id"), "a-1");
    cr_expect_eq(num(m, "available"), 100);
    cr_expect_str_eq(str(m, "status"), "active");
    cr_expect_str_eq(str(m, "tier"), "normal");
    response_free(&r);
    static const char *const bad[] = {"/v1/members?stage=old", "/v1/members?blocked=yes",
                                      "/v1/members?prefix=a%25"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        r = http(&srv, "GET", bad[i], admin, NULL);
        expect_error(&r, 400, "invalid_parameter");
        response_free(&r);
    }
    r = http(&srv, "GET", "/v1/members?cursor=%20", admin, NULL);
    expect_error(&r, 400, "invalid_cursor");
    response_free(&r);
}

Test(reads, the_operator_lists_tenants_and_the_trial_balance_is_by_class)
{
    char other[64], other_admin[128];
    unique_id(other, sizeof(other), "rd");
    make_tenant(&srv, other, other_admin, sizeof(other_admin));
    static char ids[200000]; /* every tenant the suites made so far */
    int pages =
        read_all(NULL, OPERATOR_TOKEN, "/v1/tenants", "tenants", "id", 1000, ids, sizeof(ids));
    cr_expect(pages >= 1);
    cr_expect(strstr(ids, tenant) != NULL && strstr(ids, other) != NULL, "%s", ids);
    response r = http(&srv, "GET", "/v1/tenants", admin, NULL);
    cr_expect_eq(r.status, 403, "an admin does not list tenants: %s", r.body);
    response_free(&r);

    earn(&bank, "x-1", "ann", 10000, "2026-03-01T00:00:00Z");
    earn(&shop, "x-2", "bob", 20000, "2026-03-01T00:00:00Z");
    earn(&shop, "x-3", "cat", 30000, "2026-03-01T00:00:00Z");
    r = http(&srv, "GET", "/v1/ledger/trial-balance?limit=2", admin, NULL);
    cr_assert_eq(r.status, 200, "%s", r.body);
    cr_expect_eq(num(r.json, "total"), 0);
    size_t i;
    json_t *c;
    json_int_t members = 0, member_points = 0, issued = 0;
    json_array_foreach (json_object_get(r.json, "classes"), i, c) {
        if (strcmp(str(c, "class"), "member") == 0) {
            members = num(c, "accounts");
            member_points = num(c, "balance");
        }
        if (strcmp(str(c, "class"), "partner_issued") == 0)
            issued = num(c, "balance");
    }
    cr_expect_eq(members, 3);
    cr_expect_eq(member_points, 600);
    cr_expect_eq(issued, -600);
    cr_expect_eq(json_array_size(json_object_get(r.json, "accounts")), 2);
    cr_expect(json_is_string(json_object_get(r.json, "next_cursor")), "%s", r.body);
    response_free(&r);
    read_all(NULL, admin, "/v1/ledger/trial-balance?class=member", "accounts", "account", 2, ids,
             sizeof(ids));
    cr_expect_str_eq(ids, "member:ann,member:bob,member:cat");
    read_all(NULL, admin, "/v1/ledger/trial-balance?class=partner_issued", "accounts", "account",
             1000, ids, sizeof(ids));
    cr_expect_str_eq(ids, "partner:bank:issued,partner:shop:issued");
}

Test(reads, the_contract_is_served_as_openapi)
{
    response r = http(&srv, "GET", "/v1/openapi.json", NULL, NULL);
    cr_assert_eq(r.status, 200, "%s", r.body ? r.body : "");
    cr_expect_str_eq(str(r.json, "openapi"), "3.1.0");
    json_t *paths = json_object_get(r.json, "paths");
    cr_expect(json_object_size(paths) >= 50, "%zu paths", json_object_size(paths));
    json_t *earn = json_object_get(json_object_get(paths, "/v1/transactions"), "post");
    cr_expect(json_is_object(json_object_get(earn, "requestBody")), "the earning's body");
    json_t *schemes = json_object_get(json_object_get(r.json, "components"), "securitySchemes");
    cr_expect(strstr(json_string_value(json_object_get(json_object_get(schemes, "partnerSignature"),
                                                       "description")),
                     "HMAC-SHA256") != NULL,
              "the signing scheme is described");
    char ct[64];
    cr_expect(response_header(&r, "Content-Type", ct, sizeof(ct)) &&
              strncmp(ct, "application/json", 16) == 0);
    response_free(&r);
}
