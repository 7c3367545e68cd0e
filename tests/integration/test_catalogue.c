/*
 * The rewards catalogue over HTTP: items offered by a partner, redeemed by a
 * member's app into vouchers (points held at the partner), verified and used
 * by the partner (captured: reimbursed in settlement, figures by hand) or
 * cancelled (the points back); stock, the limit per member and period, and
 * exactly-once under 200 racing redemptions of the last 10 items; refusals
 * that change nothing.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>

#include "harness.h"

static test_server srv;
static char tenant[64], owner[128];
static partner_key shop, bank;

#define CONFIG "{\"currency\":\"CNY\",\"spend_minor_per_point\":100}"

static void start(void)
{
    server_start(&srv, NULL, NULL);
    unique_id(tenant, sizeof(tenant), "cg");
    make_tenant(&srv, tenant, owner, sizeof(owner));
    make_partner(&srv, owner, "shop", "bank", CONFIG, &shop);
    make_partner(&srv, owner, "bank", "bank", CONFIG, &bank);
}

static void stop(void)
{
    server_finish(&srv);
}

TestSuite(catalogue, .init = start, .fini = stop, .timeout = 120);

static json_int_t num(json_t *o, const char *k)
{
    return json_integer_value(json_object_get(o, k));
}

static const char *str(json_t *o, const char *k)
{
    return json_string_value(json_object_get(o, k));
}

static void offer(const char *body)
{
    response r = http(&srv, "POST", "/v1/catalogue", owner, body);
    cr_assert_eq(r.status, 201, "%s: %s", body, r.body);
    response_free(&r);
}

static void mint(const char *member, char token[128])
{
    char path[128];
    snprintf(path, sizeof(path), "/v1/members/%s/tokens", member);
    response r = partner_call(&srv, &shop, "POST", path, "{}", 0, NULL);
    cr_assert_eq(r.status, 201, "%s", r.body);
    snprintf(token, 128, "%s", str(r.json, "token"));
    response_free(&r);
}

static response redeem(const char *token, const char *id, const char *item)
{
    char body[200];
    snprintf(body, sizeof(body), "{\"id\":\"%s\",\"item\":\"%s\"}", id, item);
    return http(&srv, "POST", "/v1/me/redemptions", token, body);
}

static json_int_t available(const char *token)
{
    response r = http(&srv, "GET", "/v1/me", token, NULL);
    cr_assert_eq(r.status, 200, "%s", r.body);
    json_int_t n = num(json_object_get(r.json, "balance"), "available");
    response_free(&r);
    return n;
}

Test(catalogue, a_voucher_is_issued_used_or_cancelled_and_settled)
{
    earn_purchase(&srv, &bank, "a-1", "amy", 200000); /* 2000 points */
    offer("{\"id\":\"mug\",\"partner\":\"shop\",\"name\":\"Mug 马克杯\",\"points\":500,"
          "\"cash_minor\":990,\"currency\":\"CNY\",\"stock\":5,"
          "\"limit\":{\"count\":2,\"period\":\"month\"},\"voucher_days\":10}");
    char token[128];
    mint("amy", token);

    response r = http(&srv, "GET", "/v1/me/catalogue", token, NULL);
    cr_assert_eq(r.status, 200, "%s", r.body);
    json_t *mug = json_array_get(json_object_get(r.json, "items"), 0);
    cr_expect_str_eq(str(mug, "id"), "mug");
    cr_expect_eq(num(mug, "left"), 5);
    cr_expect_eq(num(mug, "limit_left"), 2);
    response_free(&r);

    r = redeem(token, "r1", "mug");
    cr_assert_eq(r.status, 201, "%s", r.body);
    char code1[16], code2[16];
    snprintf(code1, sizeof(code1), "%s", str(r.json, "code"));
    cr_expect_eq(strlen(code1), 12);
    cr_expect_str_eq(str(r.json, "status"), "issued");
    cr_expect_eq(num(r.json, "cash_minor"), 990);
    response_free(&r);
    cr_expect_eq(available(token), 1500, "500 held for the voucher");
    r = redeem(token, "r1", "mug"); /* again: the same voucher */
    cr_expect_eq(r.status, 200, "%s", r.body);
    cr_expect_str_eq(str(r.json, "code"), code1);
    response_free(&r);
    cr_expect_eq(available(token), 1500, "held once");
    r = redeem(token, "r2", "mug");
    cr_assert_eq(r.status, 201, "%s", r.body);
    snprintf(code2, sizeof(code2), "%s", str(r.json, "code"));
    response_free(&r);
    r = redeem(token, "r3", "mug");
    expect_error(&r, 422, "limit_reached");
    response_free(&r);

    /* The partner verifies and uses the first; another partner does not see it. */
    char path[80];
    snprintf(path, sizeof(path), "/v1/vouchers/%s", code1);
    r = partner_call(&srv, &shop, "GET", path, NULL, 0, NULL);
    cr_assert_eq(r.status, 200, "%s", r.body);
    cr_expect_str_eq(str(r.json, "member"), "amy");
    response_free(&r);
    r = partner_call(&srv, &bank, "GET", path, NULL, 0, NULL);
    expect_error(&r, 404, "voucher_not_found");
    response_free(&r);
    snprintf(path, sizeof(path), "/v1/vouchers/%s/use", code1);
    r = partner_call(&srv, &bank, "POST", path, NULL, 0, NULL);
    expect_error(&r, 404, "voucher_not_found");
    response_free(&r);
    r = partner_call(&srv, &shop, "POST", path, NULL, 0, NULL);
    cr_assert_eq(r.status, 200, "%s", r.body);
    cr_expect_str_eq(str(r.json, "status"), "used");
    response_free(&r);
    r = partner_call(&srv, &shop, "POST", path, NULL, 0, NULL);
    cr_expect_eq(r.status, 200, "using again answers the same");
    response_free(&r);
    snprintf(path, sizeof(path), "/v1/vouchers/%s/cancel", code1);
    r = partner_call(&srv, &shop, "POST", path, NULL, 0, NULL);
    expect_error(&r, 422, "voucher_not_open");
    response_free(&r);

    /* The member cancels the second: its points come back, its stock too. */
    snprintf(path, sizeof(path), "/v1/me/vouchers/%s/cancel", code2);
    r = http(&srv, "POST", path, token, NULL);
    cr_assert_eq(r.status, 200, "%s", r.body);
    cr_expect_str_eq(str(r.json, "status"), "cancelled");
    response_free(&r);
    cr_expect_eq(available(token), 1500, "2000 - 500 used");
    r = http(&srv, "GET", "/v1/catalogue/mug", owner, NULL);
    cr_expect_eq(num(r.json, "taken"), 1);
    cr_expect_eq(num(r.json, "left"), 4);
    response_free(&r);
    r = http(&srv, "GET", "/v1/me/vouchers", token, NULL);
    cr_assert_eq(r.status, 200, "%s", r.body);
    json_t *list = json_object_get(r.json, "vouchers");
    cr_expect_eq(json_array_size(list), 2);
    cr_expect_str_eq(str(json_array_get(list, 0), "status"), "cancelled");
    cr_expect_str_eq(str(json_array_get(list, 1), "status"), "used");
    response_free(&r);

    /* Settlement: 500 points redeemed at the shop, at 600 minor a thousand: 300 reimbursed. */
    r = http(&srv, "POST", "/v1/settlements", owner,
             "{\"period_start\":\"2020-01-01T00:00:00Z\",\"period_end\":\"2099-01-01T00:00:00Z\"}");
    cr_assert_eq(r.status, 201, "%s", r.body);
    size_t i;
    json_t *line;
    bool seen = false;
    json_array_foreach (json_object_get(r.json, "partners"), i, line) {
        if (strcmp(str(line, "partner"), "shop") == 0) {
            seen = true;
            cr_expect_eq(num(line, "points_redeemed"), 500);
            cr_expect_eq(num(line, "reimbursement_minor"), 300);
        }
    }
    cr_expect(seen, "%s", r.body);
    response_free(&r);
}

typedef struct {
    const char *token, *id, *item;
    int status;
    char code[16];
} race_arg;

static void *race_redeem(void *p)
{
    race_arg *a = p;
    response r = redeem(a->token, a->id, a->item);
    a->status = r.status;
    if (r.json)
        snprintf(a->code, sizeof(a->code), "%s", str(r.json, "code") ? str(r.json, "code") : "");
    response_free(&r);
    return NULL;
}

/* Runs n redemptions at once; counts the answers by status. */
static void race(race_arg *args, int n, int *created, int *again, int *refused)
{
    pthread_t *t = calloc((size_t)n, sizeof(*t));
    for (int i = 0; i < n; i++)
        pthread_create(&t[i], NULL, race_redeem, &args[i]);
    *created = *again = *refused = 0;
    for (int i = 0; i < n; i++) {
        pthread_join(t[i], NULL);
        *created += args[i].status == 201;
        *again += args[i].status == 200;
        *refused += args[i].status == 422;
    }
    free(t);
}

Test(catalogue, two_hundred_members_race_for_the_last_ten)
{
    /* 200 members with points, imported in one call. */
    enum { N = 200 };
    char *lines = malloc(N * 200), (*tokens)[128] = malloc(N * 128);
    size_t len = 0;
    for (int i = 0; i < N; i++)
        len += (size_t)snprintf(lines + len, 200,
                                "{\"id\":\"imp-%d\",\"partner\":\"bank\",\"member\":\"racer%03d\","
                                "\"occurred_at\":\"2026-01-01T10:00:00Z\",\"amount_minor\":100000,"
                                "\"points\":1000}\n",
                                i, i);
    response r = http(&srv, "POST", "/v1/import/transactions", owner, lines);
    cr_assert_eq(r.status, 200, "%s", r.body);
    response_free(&r);
    offer("{\"id\":\"last10\",\"partner\":\"shop\",\"name\":\"The last ten\",\"points\":300,"
          "\"stock\":10}");
    race_arg args[N];
    char member[32];
    for (int i = 0; i < N; i++) {
        snprintf(member, sizeof(member), "racer%03d", i);
        mint(member, tokens[i]);
        args[i] = (race_arg){.token = tokens[i], .id = "take", .item = "last10"};
    }
    int created, again, refused;
    race(args, N, &created, &again, &refused);
    printf("catalogue race: %d redemptions of the last 10: %d vouchers, %d out of stock\n", N,
           created, refused);
    cr_expect_eq(created, 10);
    cr_expect_eq(refused, N - 10);
    int out_of_stock = 0;
    for (int i = 0; i < N; i++)
        out_of_stock += args[i].status == 422;
    cr_expect_eq(out_of_stock, N - 10);
    r = http(&srv, "GET", "/v1/catalogue/last10", owner, NULL);
    cr_expect_eq(num(r.json, "taken"), 10);
    cr_expect_eq(num(r.json, "left"), 0);
    response_free(&r);
    char out[64];
    char sql[300];
    snprintf(sql, sizeof(sql),
             "SELECT SUM(held) FROM members WHERE tenant_id = '%s' AND member_id LIKE 'racer%%'",
             tenant);
    db_scalar(sql, out, sizeof(out));
    cr_expect_str_eq(out, "3000", "10 vouchers of 300 points held, nothing more");

    /* One member, one request id sent 20 times at once: one voucher. */
    offer("{\"id\":\"plenty\",\"partner\":\"shop\",\"name\":\"Plenty\",\"points\":10}");
    race_arg same[20];
    for (int i = 0; i < 20; i++)
        same[i] = (race_arg){.token = tokens[0], .id = "once", .item = "plenty"};
    race(same, 20, &created, &again, &refused);
    cr_expect_eq(created, 1, "one voucher");
    cr_expect_eq(again, 19, "the others answered with it");
    for (int i = 1; i < 20; i++)
        cr_expect_str_eq(same[i].code, same[0].code);
    printf("catalogue race: one request id 20 times: %d created, %d the same voucher again\n",
           created, again);

    /* One member, 20 different ids at once, one allowed a day: one voucher. */
    offer("{\"id\":\"daily\",\"partner\":\"shop\",\"name\":\"Daily\",\"points\":10,"
          "\"limit\":{\"count\":1,\"period\":\"day\"}}");
    race_arg ids[20];
    char names[20][16];
    for (int i = 0; i < 20; i++) {
        snprintf(names[i], sizeof(names[i]), "d-%d", i);
        ids[i] = (race_arg){.token = tokens[1], .id = names[i], .item = "daily"};
    }
    race(ids, 20, &created, &again, &refused);
    cr_expect_eq(created, 1);
    cr_expect_eq(refused, 19);
    printf("catalogue race: a limit of 1 a day, 20 at once: %d created, %d refused\n", created,
           refused);
    free(lines);
    free(tokens);
}

Test(catalogue, refusals_change_nothing)
{
    earn_purchase(&srv, &bank, "f-1", "fay", 50000); /* 500 points */
    char token[128];
    mint("fay", token);
    offer("{\"id\":\"dear\",\"partner\":\"shop\",\"name\":\"Dear\",\"points\":900,\"stock\":3}");
    response r = redeem(token, "f1", "dear");
    expect_error(&r, 422, "insufficient_points");
    response_free(&r);
    r = http(&srv, "GET", "/v1/catalogue/dear", owner, NULL);
    cr_expect_eq(num(r.json, "taken"), 0);
    response_free(&r);
    cr_expect_eq(available(token), 500);

    offer("{\"id\":\"gold-only\",\"partner\":\"shop\",\"name\":\"Gold\",\"points\":10,"
          "\"tiers\":[\"gold\"]}");
    r = redeem(token, "f2", "gold-only");
    expect_error(&r, 422, "tier_not_allowed");
    response_free(&r);
    r = http(&srv, "GET", "/v1/me/catalogue", token, NULL);
    cr_expect(strstr(r.body, "gold-only") == NULL, "not offered to this tier: %s", r.body);
    response_free(&r);

    offer("{\"id\":\"later\",\"partner\":\"shop\",\"name\":\"Later\",\"points\":10,"
          "\"valid_from\":\"2099-01-01T00:00:00Z\"}");
    r = redeem(token, "f3", "later");
    expect_error(&r, 422, "item_unavailable");
    response_free(&r);
    r = http(&srv, "PATCH", "/v1/catalogue/later", owner,
             "{\"valid_from\":null,\"status\":\"withdrawn\"}");
    cr_assert_eq(r.status, 200, "%s", r.body);
    response_free(&r);
    r = redeem(token, "f4", "later");
    expect_error(&r, 422, "item_unavailable");
    response_free(&r);
    r = redeem(token, "f5", "nothing");
    expect_error(&r, 404, "item_not_found");
    response_free(&r);
    cr_expect_eq(available(token), 500);

    /* An admin's refusals. */
    r = http(&srv, "POST", "/v1/catalogue", owner,
             "{\"id\":\"x\",\"partner\":\"nobody\",\"name\":\"X\",\"points\":1}");
    expect_error(&r, 422, "unknown_partner");
    response_free(&r);
    r = http(&srv, "POST", "/v1/catalogue", owner,
             "{\"id\":\"x\",\"partner\":\"shop\",\"name\":\"X\",\"points\":1,"
             "\"limit\":{\"count\":1,\"period\":\"fortnight\"}}");
    expect_error(&r, 400, "invalid_field");
    response_free(&r);
    r = http(&srv, "POST", "/v1/catalogue", owner,
             "{\"id\":\"x\",\"partner\":\"shop\",\"name\":\"X\",\"points\":1,\"cash_minor\":5}");
    expect_error(&r, 400, "invalid_field");
    response_free(&r);
    r = http(&srv, "POST", "/v1/catalogue", owner,
             "{\"id\":\"dear\",\"partner\":\"shop\",\"name\":\"X\",\"points\":1}");
    expect_error(&r, 409, "item_exists");
    response_free(&r);
    r = http(&srv, "POST", "/v1/admin-keys", owner, "{\"name\":\"v\",\"role\":\"viewer\"}");
    char viewer[80];
    snprintf(viewer, sizeof(viewer), "%s", str(r.json, "key"));
    response_free(&r);
    r = http(&srv, "POST", "/v1/catalogue", viewer,
             "{\"id\":\"y\",\"partner\":\"shop\",\"name\":\"Y\",\"points\":1}");
    expect_error(&r, 403, "forbidden");
    response_free(&r);
    r = http(&srv, "GET", "/v1/catalogue?limit=2", viewer, NULL);
    cr_expect_eq(r.status, 200);
    cr_expect_eq(json_array_size(json_object_get(r.json, "items")), 2);
    cr_expect(json_is_string(json_object_get(r.json, "next_cursor")));
    response_free(&r);
}
