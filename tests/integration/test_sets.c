/*
 * Set-based batches against the reference path: one story booked by a
 * server that books earnings and redemptions as sets and by one that books
 * each alone under a savepoint (ledger_sets=0), each into its own tenant,
 * ends in the same ledger, row for row: members, bookings and their details,
 * lots, provenance, transactions, redemptions, promotion counts, tier
 * changes. The story makes runs hold several operations of one member:
 * batch intake lines (in order, one committer), with tiers that move
 * mid-run, capped promotions, the cross-partner bonus, then redemptions
 * (captured, held, refused), reversals that leave debts, and earnings that
 * repay them.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>

#include "harness.h"

#define MEMBERS 20

typedef struct {
    test_server srv;
    char tenant[64], admin[128];
    partner_key bank, card;
} side;

static const char *const rules =
    "{\"tiers\":{\"levels\":[{\"name\":\"normal\",\"threshold\":0},"
    "{\"name\":\"silver\",\"threshold\":60,\"multiplier_pct\":120},"
    "{\"name\":\"gold\",\"threshold\":200,\"multiplier_pct\":150}]},"
    "\"promotions\":[{\"id\":\"groceries\",\"multiplier_pct\":200,\"categories\":[\"mcc:5411\"],"
    "\"cap\":{\"points\":40,\"period\":\"month\"}},"
    "{\"id\":\"welcome\",\"bonus_points\":5,\"cap\":{\"points\":15,\"period\":\"ever\"}},"
    "{\"id\":\"gold-only\",\"bonus_points\":3,\"tiers\":[\"gold\"],"
    "\"cap\":{\"points\":9,\"period\":\"month\"}}],"
    "\"cross_partner_bonus\":{\"points\":25}}";

/* n purchase lines, line i for member i % MEMBERS, as one NDJSON batch. */
static char *lines(const char *prefix, int n, int spend_seed)
{
    size_t cap = (size_t)n * 200 + 1;
    char *out = malloc(cap), *p = out;
    for (int i = 0; i < n; i++)
        p += snprintf(p, cap - (size_t)(p - out),
                      "{\"id\":\"%s-%d\",\"member\":\"s%02d\",\"data\":{\"type\":\"purchase\","
                      "\"amount_minor\":%d,\"currency\":\"CNY\",\"mcc\":\"%s\"}}\n",
                      prefix, i, i % MEMBERS, 800 + (i * spend_seed) % 4000,
                      i % 3 ? "1000" : "5411");
    return out;
}

static void batch(side *s, const partner_key *k, const char *prefix, int n, int seed)
{
    char *body = lines(prefix, n, seed);
    response r = partner_call(&s->srv, k, "POST", "/v1/transactions:batch", body, 0, NULL);
    cr_assert_eq(r.status, 200, "%s", r.body);
    /* Every line booked (201). */
    int booked = 0;
    for (const char *q = r.body; (q = strstr(q, "\"status\":201")) != NULL; q++)
        booked++;
    cr_expect_eq(booked, n, "%d of %d lines booked", booked, n);
    response_free(&r);
    free(body);
}

/* One member's redemptions, in order; the answers' statuses into codes. */
static void redeem_all(side *s, int m, char *codes, size_t size)
{
    char body[4][160];
    snprintf(body[0], sizeof(body[0]), "{\"id\":\"r1-%d\",\"member\":\"s%02d\",\"points\":30}", m,
             m);
    snprintf(body[1], sizeof(body[1]),
             "{\"id\":\"r2-%d\",\"member\":\"s%02d\",\"points\":10,\"capture\":false,"
             "\"hold_seconds\":600}",
             m, m);
    snprintf(body[2], sizeof(body[2]), "{\"id\":\"r3-%d\",\"member\":\"s%02d\",\"points\":100000}",
             m, m);
    snprintf(body[3], sizeof(body[3]), "{\"id\":\"r4-%d\",\"member\":\"s%02d\",\"points\":7}", m,
             m);
    size_t used = strlen(codes);
    for (size_t c = 0; c < 4; c++) {
        response r = partner_call(&s->srv, &s->card, "POST", "/v1/redemptions", body[c], 0, NULL);
        used += (size_t)snprintf(codes + used, size - used, "%d,", r.status);
        response_free(&r);
    }
}

typedef struct {
    side *s;
    int first;
    char codes[512];
} redeemer;

static void *redeem_some(void *arg)
{
    redeemer *rd = arg;
    for (int m = rd->first; m < MEMBERS; m += 4)
        redeem_all(rd->s, m, rd->codes, sizeof(rd->codes));
    return NULL;
}

static void story(side *s)
{
    make_tenant(&s->srv, s->tenant, s->admin, sizeof(s->admin));
    response r = http(&s->srv, "PUT", "/v1/rules", s->admin, rules);
    cr_assert_eq(r.status, 200, "%s", r.body);
    response_free(&r);
    make_partner(&s->srv, s->admin, "bank", "bank",
                 "{\"currency\":\"CNY\",\"spend_minor_per_point\":100}", &s->bank);
    make_partner(&s->srv, s->admin, "card", "bank",
                 "{\"currency\":\"CNY\",\"spend_minor_per_point\":50}", &s->card);
    batch(s, &s->bank, "b1", 12 * MEMBERS, 137);
    batch(s, &s->card, "c1", 3 * MEMBERS, 211);
    /* Redemptions: members in parallel, each member's in order. */
    pthread_t t[4];
    redeemer rd[4];
    for (int i = 0; i < 4; i++) {
        rd[i] = (redeemer){.s = s, .first = i};
        pthread_create(&t[i], NULL, redeem_some, &rd[i]);
    }
    for (int i = 0; i < 4; i++)
        pthread_join(t[i], NULL);
    /* Refunds in full of two bank purchases a member: what was spent becomes a debt. */
    for (int m = 0; m < MEMBERS; m++)
        for (int j = 0; j < 2; j++) {
            char path[96], body[64];
            snprintf(path, sizeof(path), "/v1/transactions/b1-%d/reversal", m + j * MEMBERS);
            snprintf(body, sizeof(body), "{\"id\":\"v-%d-%d\"}", m, j);
            r = partner_call(&s->srv, &s->bank, "POST", path, body, 0, NULL);
            cr_expect(r.status == 201, "%s %s", path, r.body);
            response_free(&r);
        }
    batch(s, &s->bank, "b2", 2 * MEMBERS, 59);
}

/* A digest of one table's rows of tenant, in a stable order. */
static void digest(const char *tenant, const char *what, const char *from, char out[64])
{
    char sql[1024];
    snprintf(sql, sizeof(sql),
             "SET NAMES ascii COLLATE ascii_bin; SET SESSION group_concat_max_len = 100000000; "
             "SELECT MD5(GROUP_CONCAT(%s "
             "SEPARATOR ';')) FROM %s",
             what, from);
    char *at = strstr(sql, "TENANT");
    cr_assert(at != NULL);
    char rest[1024];
    snprintf(rest, sizeof(rest), "'%s'%s", tenant, at + 6);
    snprintf(at, sizeof(sql) - (size_t)(at - sql), "%s", rest);
    cr_assert_eq(db_scalar(sql, out, 64), 0, "%s", sql);
}

static const struct {
    const char *name, *what, *from;
} tables[] = {
    {"members",
     "CONCAT_WS(',', member_id, available, held, debt, lifetime_earned, lifetime_redeemed, tier, "
     "IFNULL(below_since, '-')) ORDER BY member_id",
     "members WHERE tenant_id = TENANT"},
    {"bookings",
     "CONCAT_WS(',', member_id, kind, from_account, to_account, points, IFNULL(partner_id, '-'), "
     "IFNULL(ref_id, '-'), MD5(IFNULL(detail, ''))) ORDER BY member_id, booking_id",
     "bookings WHERE tenant_id = TENANT"},
    {"lots", "CONCAT_WS(',', member_id, partner_id, points, remaining) ORDER BY member_id, lot_id",
     "lots WHERE tenant_id = TENANT"},
    {"provenance",
     "CONCAT_WS(',', b.member_id, b.ref_id, IFNULL(c.issuer_partner, '-'), "
     "IFNULL(c.redeemer_partner, '-'), c.points, IFNULL(l.partner_id, '-'), IFNULL(l.points, '-')) "
     "ORDER BY b.member_id, b.booking_id, c.consumption_id",
     "lot_consumptions c JOIN bookings b ON b.booking_id = c.booking_id LEFT JOIN lots l ON "
     "l.lot_id = c.lot_id WHERE c.tenant_id = TENANT"},
    {"transactions",
     "CONCAT_WS(',', t.member_id, t.partner_id, t.transaction_id, t.points, t.qualifying_points, "
     "t.base_amount_minor, t.reversed_minor, t.reversed_points, IFNULL(l.points, '-')) "
     "ORDER BY t.member_id, t.transaction_id",
     "transactions t LEFT JOIN lots l ON l.lot_id = t.lot_id WHERE t.tenant_id = TENANT"},
    {"redemptions",
     "CONCAT_WS(',', member_id, partner_id, redemption_id, points, captured_points, status, "
     "hold_expires_at IS NULL) ORDER BY member_id, redemption_id",
     "redemptions WHERE tenant_id = TENANT"},
    {"promotion counts",
     "CONCAT_WS(',', promotion_id, member_id, period_key, points) "
     "ORDER BY promotion_id, member_id, period_key",
     "promotion_usage WHERE tenant_id = TENANT AND points > 0"},
    {"tier changes",
     "CONCAT_WS(',', member_id, from_tier, to_tier, reason) ORDER BY member_id, changed_at, "
     "from_tier, to_tier",
     "tier_history WHERE tenant_id = TENANT"},
    {"balances", "CONCAT_WS(',', account, total) ORDER BY account",
     "(SELECT account, SUM(balance) AS total FROM account_balances WHERE tenant_id = TENANT "
     "GROUP BY account) a"},
};

Test(sets, book_exactly_as_the_one_by_one_path, .timeout = 180)
{
    static side sets, alone;
    const char *const no_sets[] = {"ALLIANCE_LEDGER_SETS=0", NULL};
    server_start(&sets.srv, NULL, NULL);
    server_start(&alone.srv, no_sets, NULL);
    unique_id(sets.tenant, sizeof(sets.tenant), "sets");
    unique_id(alone.tenant, sizeof(alone.tenant), "alone");
    story(&sets);
    story(&alone);
    int differ = 0;
    for (size_t i = 0; i < sizeof(tables) / sizeof(tables[0]); i++) {
        char a[64], b[64];
        digest(sets.tenant, tables[i].what, tables[i].from, a);
        digest(alone.tenant, tables[i].what, tables[i].from, b);
        cr_expect_str_eq(a, b, "%s differ between the set path and the one-by-one path",
                         tables[i].name);
        differ += strcmp(a, b) != 0;
    }
    char tiers[32];
    char sql[256];
    snprintf(sql, sizeof(sql),
             "SELECT COUNT(*) FROM tier_history WHERE tenant_id = '%s' AND to_tier = 'gold'",
             sets.tenant);
    cr_assert_eq(db_scalar(sql, tiers, sizeof(tiers)), 0);
    cr_expect_gt(atoi(tiers), 0, "the story reaches gold: tiers move within runs");
    fprintf(stderr,
            "sets against one by one: %zu tables compared, %d differ; %s members "
            "reached gold\n",
            sizeof(tables) / sizeof(tables[0]), differ, tiers);
    cr_expect_eq(server_stop(&sets.srv), 0, "see %s", sets.srv.log_path);
    cr_expect_eq(server_stop(&alone.srv), 0, "see %s", alone.srv.log_path);
}
