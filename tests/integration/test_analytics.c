/*
 * History import and the value analytics over HTTP, on histories whose
 * answers are worked out by hand in each test, and the CDNOW sample through
 * the import against Fader, Hardie & Lee's published fits.
 */
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <criterion/criterion.h>

#include "harness.h"

static test_server srv;

static void stop(void)
{
    server_finish(&srv);
}

TestSuite(analytics, .fini = stop, .timeout = 120);

#define RETAILER "{\"currency\":\"CNY\",\"minor_per_point\":100}"

/* A tenant with partners (NULL-ended); its admin key in admin; env as server_start's. */
static void setup_env(char *tenant, size_t tsize, char *admin, size_t asize,
                      const char *const *partners, const char *const *env)
{
    server_start(&srv, env, NULL);
    unique_id(tenant, tsize, "an");
    make_tenant(&srv, tenant, admin, asize);
    for (; *partners != NULL; partners++) {
        partner_key k;
        make_partner(&srv, admin, *partners, "retailer", RETAILER, &k);
    }
}

static void setup(char *tenant, size_t tsize, char *admin, size_t asize,
                  const char *const *partners)
{
    setup_env(tenant, tsize, admin, asize, partners, NULL);
}

/* "YYYY-MM-DDT12:00:00Z" of days before today (UTC). */
static void days_ago(int days, char out[32])
{
    time_t t = time(NULL) - (time_t)days * 86400;
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, 32, "%Y-%m-%dT12:00:00Z", &tm);
}

static void today(char out[11])
{
    time_t t = time(NULL);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, 11, "%Y-%m-%d", &tm);
}

/* Appends one import line to buf. */
static void add_line(char *buf, size_t size, const char *id, const char *partner,
                     const char *member, const char *when, long amount, long points)
{
    size_t len = strlen(buf);
    snprintf(buf + len, size - len,
             "{\"id\":\"%s\",\"partner\":\"%s\",\"member\":\"%s\",\"occurred_at\":\"%s\","
             "\"amount_minor\":%ld,\"points\":%ld}\n",
             id, partner, member, when, amount, points);
}

static response import(const char *admin, const char *body)
{
    return http(&srv, "POST", "/v1/import/transactions", admin, body);
}

static json_int_t num(json_t *obj, const char *key)
{
    return json_integer_value(json_object_get(obj, key));
}

static double real(json_t *obj, const char *key)
{
    return json_number_value(json_object_get(obj, key));
}

__attribute__((format(printf, 1, 2))) static long scalar(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char q[400], out[32];
    vsnprintf(q, sizeof(q), fmt, ap);
    va_end(ap);
    cr_assert_eq(db_scalar(q, out, sizeof(out)), 0, "%s", q);
    return atol(out);
}

static json_t *get(const char *admin, const char *path)
{
    response r = http(&srv, "GET", path, admin, NULL);
    cr_assert_eq(r.status, 200, "GET %s: %d %s", path, r.status, r.body);
    json_t *j = json_incref(r.json);
    response_free(&r);
    return j;
}

Test(analytics, import_checks_the_whole_body_then_books_each_line_once)
{
    char tenant[64], admin[128], body[4096] = "", when[32];
    setup(tenant, sizeof(tenant), admin, sizeof(admin), (const char *[]){"shop", "bank", NULL});
    days_ago(400, when);

    /* A bad line anywhere refuses the whole body: nothing is booked. */
    add_line(body, sizeof(body), "h1", "shop", "ann", when, 5000, 50);
    add_line(body, sizeof(body), "h2", "shop", "ann", "yesterday", 5000, 50);
    response r = import(admin, body);
    expect_error(&r, 400, "invalid_field");
    cr_expect(strstr(r.body, "line 2") != NULL, "%s", r.body);
    response_free(&r);
    body[0] = '\0';
    add_line(body, sizeof(body), "h1", "shop", "ann", when, 5000, 50);
    add_line(body, sizeof(body), "h2", "nosuch", "ann", when, 5000, 50);
    r = import(admin, body);
    expect_error(&r, 422, "unknown_partner");
    response_free(&r);
    r = import(admin, "{\"id\":\"h1\",\"partner\":\"shop\",\"member\":\"ann\",\"occurred_at\":"
                      "\"2025-01-01T00:00:00Z\",\"amount_minor\":-1,\"points\":1}\n");
    expect_error(&r, 400, "invalid_field");
    response_free(&r);
    r = import(admin, "{\"id\":\"h1\",\"extra\":1}\n");
    expect_error(&r, 400, "unknown_field");
    response_free(&r);
    r = import(admin, "not json\n");
    expect_error(&r, 400, "invalid_json");
    response_free(&r);
    r = import(admin, "\n\n");
    expect_error(&r, 400, "empty_import");
    response_free(&r);
    cr_assert_eq(scalar("SELECT COUNT(*) FROM transactions WHERE tenant_id = '%s'", tenant), 0);
    cr_assert_eq(scalar("SELECT COUNT(*) FROM members WHERE tenant_id = '%s'", tenant), 0);

    /* A real-time earning first: its id is taken for that partner. */
    partner_key shop;
    make_partner(&srv, admin, "live", "retailer", RETAILER, &shop);
    r = partner_call(&srv, &shop, "POST", "/v1/transactions",
                     "{\"id\":\"h9\",\"member\":\"bob\",\"data\":{\"type\":\"purchase\","
                     "\"currency\":\"CNY\",\"lines\":[{\"sku\":\"a\",\"category\":\"x\",\"qty\":1,"
                     "\"unit_minor\":1000}]}}",
                     0, NULL);
    cr_assert_eq(r.status, 201, "%s", r.body);
    response_free(&r);

    body[0] = '\0';
    add_line(body, sizeof(body), "h1", "shop", "ann", when, 5000, 50);
    add_line(body, sizeof(body), "h2", "bank", "ann", when, 7000, 70);
    add_line(body, sizeof(body), "h1", "shop", "ann", when, 5000, 50); /* again in the body */
    add_line(body, sizeof(body), "h1", "bank", "cy", when, 100, 0);    /* bank's own h1 */
    add_line(body, sizeof(body), "h9", "live", "bob", when, 100, 1);   /* booked in real time */
    r = import(admin, body);
    cr_assert_eq(r.status, 200, "%s", r.body);
    cr_expect_eq(num(r.json, "lines"), 5);
    cr_expect_eq(num(r.json, "imported"), 3, "%s", r.body);
    cr_expect_eq(num(r.json, "duplicates"), 2, "%s", r.body);
    cr_expect_eq(num(r.json, "members_created"), 2, "%s", r.body);
    cr_expect_eq(num(r.json, "points"), 120);
    cr_expect_eq(num(r.json, "amount_minor"), 12100);
    response_free(&r);
    r = import(admin, body); /* the same file again books nothing */
    cr_assert_eq(r.status, 200, "%s", r.body);
    cr_expect_eq(num(r.json, "imported"), 0, "%s", r.body);
    cr_expect_eq(num(r.json, "duplicates"), 5, "%s", r.body);
    response_free(&r);

    /* The ledger holds: balances, lots with the history's dates, trial balance 0. */
    json_t *ann = get(admin, "/v1/members/ann");
    json_t *bal = json_object_get(ann, "balance");
    cr_expect_eq(num(bal, "available"), 120);
    cr_expect_eq(num(bal, "lifetime_earned"), 120);
    cr_expect_str_eq(json_string_value(json_object_get(ann, "lifecycle_stage")), "lapsed");
    json_decref(ann);
    json_t *tb = get(admin, "/v1/ledger/trial-balance");
    cr_expect_eq(num(tb, "total"), 0);
    json_decref(tb);
    cr_expect_eq(scalar("SELECT COUNT(*) FROM lots WHERE tenant_id = '%s' AND member_id = 'ann' "
                        "AND earned_at < NOW() - INTERVAL 399 DAY",
                        tenant),
                 2);
    cr_expect_eq(scalar("SELECT SUM(balance) FROM account_balances WHERE tenant_id = '%s' "
                        "AND account = 'partner:shop:issued'",
                        tenant),
                 -50);

    /* A statement over the import: its points are issued (and reconcile) but billed to no one. */
    char period[160], from[32], to[32];
    days_ago(1, from);
    days_ago(-1, to);
    snprintf(period, sizeof(period), "{\"period_start\":\"%s\",\"period_end\":\"%s\"}", from, to);
    r = http(&srv, "POST", "/v1/settlements", admin, period);
    cr_assert_eq(r.status, 201, "%s", r.body);
    json_t *totals = json_object_get(r.json, "totals");
    cr_expect_eq(num(totals, "points_issued"), 120 + 10, "the import's 120 and h9's 10");
    cr_expect(json_is_true(json_object_get(json_object_get(r.json, "reconciliation"), "balanced")),
              "%s", r.body);
    size_t i;
    json_t *line;
    cr_expect_eq(json_array_size(json_object_get(r.json, "partners")), 1, "%s", r.body);
    json_array_foreach (json_object_get(r.json, "partners"), i, line)
        cr_expect_str_eq(json_string_value(json_object_get(line, "partner")), "live", "%s", r.body);
    response_free(&r);

    /* Only a tenant admin imports. */
    r = partner_call(&srv, &shop, "POST", "/v1/import/transactions", body, 0, NULL);
    cr_expect(r.status == 401 || r.status == 403, "%d %s", r.status, r.body);
    response_free(&r);
}

typedef struct {
    const char *admin, *body;
    int status;
    long imported, duplicates;
} import_race;

static void *race_import(void *arg)
{
    import_race *r = arg;
    response res = import(r->admin, r->body);
    r->status = res.status;
    r->imported = res.json ? (long)num(res.json, "imported") : -1;
    r->duplicates = res.json ? (long)num(res.json, "duplicates") : -1;
    response_free(&res);
    return NULL;
}

/* Four copies of one file sent at once: each line booked once, the ledger whole. */
Test(analytics, racing_imports_of_one_file_book_each_line_once)
{
    char tenant[64], admin[128], when[32], id[16], member[16];
    setup(tenant, sizeof(tenant), admin, sizeof(admin), (const char *[]){"shop", "bank", NULL});
    size_t size = 2000 * 200;
    char *body = calloc(1, size);
    for (int i = 0; i < 2000; i++) {
        snprintf(id, sizeof(id), "r%d", i);
        snprintf(member, sizeof(member), "m%d", (i * 7) % 200);
        days_ago(1 + i % 300, when);
        add_line(body, size, id, i % 3 ? "shop" : "bank", member, when, 100 + i, 1 + i % 10);
    }
    pthread_t t[4];
    import_race r[4];
    for (int i = 0; i < 4; i++) {
        r[i] = (import_race){.admin = admin, .body = body};
        pthread_create(&t[i], NULL, race_import, &r[i]);
    }
    long imported = 0, duplicates = 0;
    for (int i = 0; i < 4; i++) {
        pthread_join(t[i], NULL);
        cr_expect_eq(r[i].status, 200);
        imported += r[i].imported;
        duplicates += r[i].duplicates;
    }
    free(body);
    cr_expect_eq(imported, 2000);
    cr_expect_eq(duplicates, 3 * 2000);
    cr_expect_eq(scalar("SELECT COUNT(*) FROM transactions WHERE tenant_id = '%s'", tenant), 2000);
    /* 1 + i % 10 over 2000 lines: 200 times 1..10. */
    cr_expect_eq(scalar("SELECT SUM(available) FROM members WHERE tenant_id = '%s'", tenant),
                 200 * 55);
    cr_expect_eq(scalar("SELECT COUNT(*) FROM members m WHERE tenant_id = '%s' AND available <> "
                        "(SELECT SUM(remaining) FROM lots l WHERE l.tenant_id = m.tenant_id "
                        "AND l.member_id = m.member_id)",
                        tenant),
                 0);
    cr_expect_eq(scalar("SELECT SUM(balance) FROM account_balances WHERE tenant_id = '%s'", tenant),
                 0);
    cr_expect_eq(scalar("SELECT SUM(balance) FROM account_balances WHERE tenant_id = '%s' "
                        "AND account LIKE 'member:%%'",
                        tenant),
                 200 * 55);
}

/*
 * Ten buyers a0..a9 (and one member who never bought): ai buys i + 1 times,
 * 1000 minor each, the last 10 * (9 - i) days before as_of, weekly before
 * that. Ranked worst to best, each pair (a0 a1), (a2 a3), ... scores 1, 2, ...
 * 5 on recency, frequency and monetary value alike, so the segments are lost,
 * hibernating, need attention, loyal and champions, two members each.
 * Spend 1000..10000 and a 0: top 1% (1 member) 10/55, 10% (2) 19/55, 20%
 * (3) 27/55, 50% (6) 45/55; Gini 2 * 440000 / (11 * 55000) - 12/11 = 4/11.
 */
Test(analytics, rfm_segments_and_pareto_shares_of_a_known_history)
{
    char tenant[64], admin[128], body[8192] = "", id[16], member[16], when[32];
    setup(tenant, sizeof(tenant), admin, sizeof(admin), (const char *[]){"shop", NULL});
    int n = 0;
    for (int i = 0; i < 10; i++)
        for (int k = 0; k <= i; k++) {
            snprintf(id, sizeof(id), "t%d", n++);
            snprintf(member, sizeof(member), "a%d", i);
            int day = 30 - 10 * (9 - i) - 7 * k; /* as_of is 2026-06-30 */
            struct tm tm = {.tm_year = 126, .tm_mon = 5, .tm_mday = day, .tm_hour = 9};
            time_t t = timegm(&tm);
            gmtime_r(&t, &tm);
            strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
            add_line(body, sizeof(body), id, "shop", member, when, 1000, 10);
        }
    response r = import(admin, body);
    cr_assert_eq(r.status, 200, "%s", r.body);
    cr_assert_eq(num(r.json, "imported"), 55);
    response_free(&r);
    r = http(&srv, "POST", "/v1/members", admin, "{\"id\":\"z-never\"}");
    cr_assert_eq(r.status, 201, "%s", r.body);
    response_free(&r);

    json_t *rfm = get(admin, "/v1/analytics/rfm?as_of=2026-06-30&limit=3");
    cr_expect_eq(num(rfm, "members"), 10);
    static const char *const expected[][2] = {{"champions", "2"},      {"loyal", "2"},
                                              {"need_attention", "2"}, {"hibernating", "2"},
                                              {"lost", "2"},           {"at_risk", "0"}};
    size_t i;
    json_t *s;
    for (size_t e = 0; e < sizeof(expected) / sizeof(expected[0]); e++) {
        bool found = false;
        json_array_foreach (json_object_get(rfm, "segments"), i, s)
            if (strcmp(json_string_value(json_object_get(s, "segment")), expected[e][0]) == 0) {
                found = true;
                cr_expect_eq(num(s, "members"), atoi(expected[e][1]), "%s", expected[e][0]);
            }
        cr_expect(found, "segment %s missing", expected[e][0]);
    }
    json_t *items = json_object_get(rfm, "items");
    cr_assert_eq(json_array_size(items), 3);
    json_t *a0 = json_array_get(items, 0);
    cr_expect_str_eq(json_string_value(json_object_get(a0, "member")), "a0");
    cr_expect_eq(num(a0, "recency_days"), 90);
    cr_expect_eq(num(a0, "frequency"), 1);
    cr_expect_eq(num(a0, "monetary_minor"), 1000);
    cr_expect_str_eq(json_string_value(json_object_get(a0, "segment")), "lost");
    cr_expect_str_eq(json_string_value(json_object_get(rfm, "next_cursor")), "3");
    json_decref(rfm);

    rfm = get(admin, "/v1/analytics/rfm?as_of=2026-06-30&segment=champions");
    items = json_object_get(rfm, "items");
    cr_assert_eq(json_array_size(items), 2);
    cr_expect_str_eq(json_string_value(json_object_get(json_array_get(items, 0), "member")), "a8");
    json_t *a9 = json_array_get(items, 1);
    cr_expect_eq(num(a9, "r"), 5);
    cr_expect_eq(num(a9, "f"), 5);
    cr_expect_eq(num(a9, "frequency"), 10);
    cr_expect(json_is_null(json_object_get(rfm, "next_cursor")));
    json_decref(rfm);
    rfm = get(admin, "/v1/analytics/rfm?as_of=2026-06-30&limit=3&cursor=9");
    cr_expect_eq(json_array_size(json_object_get(rfm, "items")), 1);
    json_decref(rfm);

    json_t *p = get(admin, "/v1/analytics/pareto?as_of=2026-06-30");
    cr_expect_eq(num(p, "members"), 11);
    json_t *spend = json_object_get(p, "spend");
    cr_expect_eq(num(spend, "total"), 55000);
    static const double shares[] = {10 / 55.0, 0, 19 / 55.0, 27 / 55.0, 45 / 55.0};
    json_array_foreach (json_object_get(spend, "top"), i, s)
        if (i != 1)
            cr_expect(fabs(real(s, "share") - shares[i]) < 1e-6, "top %d%%: %f",
                      (int)num(s, "percent"), real(s, "share"));
    cr_expect(fabs(real(spend, "gini") - 4 / 11.0) < 1e-6, "gini %f", real(spend, "gini"));
    json_t *lorenz = json_object_get(spend, "lorenz");
    cr_expect_eq(json_array_size(lorenz), 21);
    cr_expect(real(json_array_get(lorenz, 20), "share") == 1.0);
    json_t *held = json_object_get(p, "points_held");
    cr_expect_eq(num(held, "total"), 550);
    cr_expect(fabs(real(held, "gini") - 4 / 11.0) < 1e-6, "gini %f", real(held, "gini"));
    json_decref(p);

    /* The last 30 days (after May 31): a7 twice (June 10, 3), a8 3 times, a9 5 times. */
    p = get(admin, "/v1/analytics/pareto?as_of=2026-06-30&window_days=30");
    cr_expect_eq(num(json_object_get(p, "spend"), "total"), 1000 * (2 + 3 + 5));
    json_decref(p);

    static const char *const refused[][2] = {
        {"/v1/analytics/rfm?as_of=2026-13-01", "invalid_parameter"},
        {"/v1/analytics/rfm?limit=0", "invalid_limit"},
        {"/v1/analytics/rfm?cursor=x", "invalid_cursor"},
        {"/v1/analytics/rfm?segment=vip", "invalid_parameter"},
        {"/v1/analytics/clv?annual_discount=abc", "invalid_parameter"},
        {"/v1/analytics/churn?gap_factor=0.5", "invalid_parameter"},
        {"/v1/analytics/lifecycle?stage=old", "invalid_parameter"},
        {"/v1/analytics/affinity?window_days=0", "invalid_parameter"},
        /* By April 15 only a0..a4 had bought: too few for the models. */
        {"/v1/analytics/clv?calibration_end=2026-04-15", "not_enough_history"},
    };
    for (size_t k = 0; k < sizeof(refused) / sizeof(refused[0]); k++) {
        r = http(&srv, "GET", refused[k][0], admin, NULL);
        expect_error(&r, strcmp(refused[k][1], "not_enough_history") ? 400 : 422, refused[k][1]);
        response_free(&r);
    }
    r = http(&srv, "GET", "/v1/analytics/rfm", NULL, NULL);
    cr_expect_eq(r.status, 401);
    response_free(&r);
}

/*
 * Lifecycle stages by the documented rules, as of today:
 *   fresh   one purchase 30 days ago                              new
 *   gone    purchases 400 and 200 days ago                        lapsed
 *   rising  1000 300 days ago, 5000 20 days ago                   growing
 *   fading  1000 at 300, 250, 200, 150 and 100 days ago           declining
 *   steady  1000 every 30 days from 400 to 10 days ago            mature
 *   idle    enrolled, never bought                                new
 * And affinity: u1 A B, u2 A B, u3 A, u4 B C, u5 C, u6 A B C: N 6, A 4, B 4,
 * C 3; AB 3 (lift 3 * 6 / 16 = 1.125), BC 2 (1.0), AC 1 (0.5).
 */
Test(analytics, lifecycle_stages_and_cross_partner_affinity)
{
    char tenant[64], admin[128], body[8192] = "", when[32], id[16], day[11];
    /* Two report threads: the reports may run side by side. */
    setup_env(tenant, sizeof(tenant), admin, sizeof(admin), (const char *[]){"A", "B", "C", NULL},
              (const char *[]){"ALLIANCE_REPORT_THREADS=2", NULL});
    int n = 0;
#define BUY(member, ago, amount, partner)                                                          \
    do {                                                                                           \
        days_ago(ago, when);                                                                       \
        snprintf(id, sizeof(id), "l%d", n++);                                                      \
        add_line(body, sizeof(body), id, partner, member, when, amount, 1);                        \
    } while (0)
    BUY("fresh", 30, 1000, "A");
    BUY("gone", 400, 1000, "A");
    BUY("gone", 200, 1000, "A");
    BUY("rising", 300, 1000, "A");
    BUY("rising", 20, 5000, "A");
    for (int d = 300; d >= 100; d -= 50)
        BUY("fading", d, 1000, "A");
    for (int d = 400; d >= 10; d -= 30)
        BUY("steady", d, 1000, "A");
    BUY("u1", 5, 100, "A");
    BUY("u1", 5, 100, "B");
    BUY("u2", 6, 100, "A");
    BUY("u2", 7, 100, "B");
    BUY("u3", 5, 100, "A");
    BUY("u4", 5, 100, "B");
    BUY("u4", 5, 100, "C");
    BUY("u5", 5, 100, "C");
    BUY("u6", 5, 100, "A");
    BUY("u6", 5, 100, "B");
    BUY("u6", 5, 100, "C");
    response r = import(admin, body);
    cr_assert_eq(r.status, 200, "%s", r.body);
    response_free(&r);
    r = http(&srv, "POST", "/v1/members", admin, "{\"id\":\"idle\"}");
    cr_assert_eq(r.status, 201, "%s", r.body);
    response_free(&r);

    static const char *const stages[][2] = {{"fresh", "new"},      {"gone", "lapsed"},
                                            {"rising", "growing"}, {"fading", "declining"},
                                            {"steady", "mature"},  {"idle", "new"}};
    for (size_t i = 0; i < sizeof(stages) / sizeof(stages[0]); i++) {
        char path[64];
        snprintf(path, sizeof(path), "/v1/members/%s", stages[i][0]);
        json_t *m = get(admin, path);
        cr_expect_str_eq(json_string_value(json_object_get(m, "lifecycle_stage")), stages[i][1],
                         "%s", stages[i][0]);
        json_decref(m);
    }
    today(day);
    char path[128];
    snprintf(path, sizeof(path), "/v1/analytics/lifecycle?as_of=%s", day);
    json_t *l = get(admin, path);
    json_t *counts = json_object_get(l, "stages");
    /* The six u members bought first days ago: new too. */
    cr_expect_eq(num(counts, "new"), 2 + 6);
    cr_expect_eq(num(counts, "growing"), 1);
    cr_expect_eq(num(counts, "mature"), 1);
    cr_expect_eq(num(counts, "declining"), 1);
    cr_expect_eq(num(counts, "lapsed"), 1);
    cr_expect_eq(num(l, "members"), 12);
    cr_expect_eq(num(l, "without_purchases"), 1);
    json_decref(l);
    snprintf(path, sizeof(path), "/v1/analytics/lifecycle?as_of=%s&stage=declining", day);
    l = get(admin, path);
    cr_expect_eq(json_array_size(json_object_get(l, "items")), 1);
    cr_expect_str_eq(json_string_value(
                         json_object_get(json_array_get(json_object_get(l, "items"), 0), "member")),
                     "fading");
    json_decref(l);

    /* Affinity over the last 10 days: only the u members. */
    snprintf(path, sizeof(path), "/v1/analytics/affinity?as_of=%s&window_days=10", day);
    json_t *a = get(admin, path);
    cr_expect_eq(num(a, "members"), 6);
    json_t *pairs = json_object_get(a, "pairs");
    cr_assert_eq(json_array_size(pairs), 3);
    static const char *const order[][2] = {{"A", "B"}, {"B", "C"}, {"A", "C"}};
    static const double lift[] = {1.125, 1.0, 0.5};
    static const int both[] = {3, 2, 1};
    for (size_t i = 0; i < 3; i++) {
        json_t *p = json_array_get(pairs, i);
        cr_expect_str_eq(json_string_value(json_object_get(p, "a")), order[i][0]);
        cr_expect_str_eq(json_string_value(json_object_get(p, "b")), order[i][1]);
        cr_expect_eq(num(p, "members"), both[i]);
        cr_expect(fabs(real(p, "lift") - lift[i]) < 1e-9, "lift %f", real(p, "lift"));
    }
    json_decref(a);
}

/* The CDNOW sample as NDJSON import lines: one a purchase, dollars as cents. */
static char *cdnow_lines(size_t *count)
{
    FILE *f = fopen(ALLIANCE_SOURCE_DIR "/tests/unit/analytics/data/CDNOW_sample.txt", "r");
    cr_assert(f != NULL);
    size_t cap = 1 << 20, len = 0;
    char *out = malloc(cap), line[128], id[16], sample[16], date[16], cds[16], dollars[32];
    *count = 0;
    while (fgets(line, sizeof(line), f) != NULL) {
        if (sscanf(line, "%15s %15s %15s %15s %31s", id, sample, date, cds, dollars) != 5)
            continue;
        char *dot = strchr(dollars, '.');
        long cents = atol(dollars) * 100;
        if (dot != NULL)
            cents += atol(dot + 1) * (strlen(dot + 1) == 1 ? 10 : 1);
        if (len + 256 > cap)
            out = realloc(out, cap *= 2);
        len += (size_t)snprintf(out + len, cap - len,
                                "{\"id\":\"c%zu\",\"partner\":\"cdnow\",\"member\":\"c%s\","
                                "\"occurred_at\":\"%.4s-%.2s-%.2sT12:00:00Z\",\"amount_minor\":%ld,"
                                "\"points\":%ld}\n",
                                *count, id, date, date + 4, date + 6, cents, cents / 100);
        (*count)++;
    }
    fclose(f);
    return out;
}

/* Sends lines [from, to) of text; returns the answer's imported count. */
static long import_range(const char *admin, const char *text, size_t from, size_t to)
{
    const char *start = text;
    for (size_t i = 0; i < from; i++)
        start = strchr(start, '\n') + 1;
    const char *end = start;
    for (size_t i = from; i < to && *end; i++)
        end = strchr(end, '\n') + 1;
    char *part = strndup(start, (size_t)(end - start));
    response r = import(admin, part);
    cr_assert_eq(r.status, 200, "%s", r.body);
    long imported = (long)num(r.json, "imported");
    response_free(&r);
    free(part);
    return imported;
}

/* Every item of a paged list: follows next_cursor; the first page's body in *first. */
static json_t *all_items(const char *admin, const char *path, json_t **first)
{
    json_t *items = json_array();
    char cursor[32] = "", url[300];
    *first = NULL;
    for (int page = 0; page < 100; page++) {
        snprintf(url, sizeof(url), "%s&limit=1000%s%s", path, cursor[0] ? "&cursor=" : "", cursor);
        json_t *body = get(admin, url);
        json_array_extend(items, json_object_get(body, "items"));
        const char *next = json_string_value(json_object_get(body, "next_cursor"));
        snprintf(cursor, sizeof(cursor), "%s", next ? next : "");
        if (*first == NULL)
            *first = body;
        else
            json_decref(body);
        if (next == NULL)
            break;
    }
    return items;
}

/* FHL eq. 11, from the fitted parameters. */
static double p_alive(json_t *bg, double x, double tx, double T)
{
    if (x == 0)
        return 1;
    double r = real(bg, "r"), alpha = real(bg, "alpha"), a = real(bg, "a"), b = real(bg, "b");
    return 1 / (1 + a / (b + x - 1) * pow((alpha + T) / (alpha + tx), r + x));
}

/*
 * Per member, through the same call: P(alive) as FHL's eq. 11 gives it from
 * the fitted parameters; FHL's worked example (their customer with x = 2,
 * t_x = 30.43, T = 38.86 is CDNOW's 00004): 1.226 purchases expected in the
 * next 39 weeks; undiscounted, CLV = expected purchases x expected spend; and
 * the list ranked by CLV.
 */
static void check_members(const char *admin)
{
    json_t *body;
    json_t *items = all_items(admin,
                              "/v1/analytics/clv?calibration_end=1997-09-30&horizon_weeks=39"
                              "&annual_discount=0",
                              &body);
    cr_assert_eq(json_array_size(items), 2357);
    json_t *bg = json_object_get(json_object_get(body, "model"), "bgnbd");
    size_t i;
    json_t *it;
    double previous = INFINITY;
    bool found = false;
    json_array_foreach (items, i, it) {
        double x = real(it, "x"), tx = real(it, "t_x"), T = real(it, "T");
        double p = real(it, "p_alive"), e = real(it, "expected_purchases");
        double clv = (double)num(it, "clv_minor"), spend = (double)num(it, "expected_spend_minor");
        cr_expect(fabs(p - p_alive(bg, x, tx, T)) < 1e-5, "%s: p_alive %f",
                  json_string_value(json_object_get(it, "member")), p);
        cr_expect(fabs(clv - e * spend) <= 0.5 * e + 1, "%s: clv %f, %f x %f",
                  json_string_value(json_object_get(it, "member")), clv, e, spend);
        cr_expect(clv <= previous, "ranked by CLV");
        previous = clv;
        if (strcmp(json_string_value(json_object_get(it, "member")), "c00004") == 0) {
            found = true;
            cr_expect(x == 2 && fabs(tx - 30.43) < 0.005 && fabs(T - 38.86) < 0.005);
            cr_expect(fabs(e - 1.226) < 0.0015, "E[Y(39)] %f", e);
        }
    }
    cr_expect(found);

    /* Churn at the calibration's end: the documented rule, member by member. */
    json_t *churn_body;
    json_t *churn = all_items(admin, "/v1/analytics/churn?as_of=1997-09-30", &churn_body);
    size_t expected = 0;
    json_array_foreach (items, i, it) {
        double x = real(it, "x"), tx = real(it, "t_x"), T = real(it, "T");
        double since = round((T - tx) * 7), gap = round(tx * 7); /* whole days */
        expected += x >= 1 && (real(it, "p_alive") < 0.5 || since * x > 2 * gap);
    }
    cr_expect_eq(json_array_size(churn), expected);
    cr_expect_eq(num(churn_body, "at_risk"), (json_int_t)expected);
    cr_expect_gt(expected, 100);
    json_int_t before = INT64_MAX, total = 0;
    json_array_foreach (churn, i, it) {
        json_int_t value = num(it, "value_at_risk_minor");
        total += value;
        cr_expect(value <= before, "ranked by value at risk");
        before = value;
        json_t *reasons = json_object_get(it, "reasons");
        cr_expect_gt(json_array_size(reasons), 0);
        size_t k;
        json_t *why;
        json_array_foreach (reasons, k, why) {
            const char *code = json_string_value(json_object_get(why, "code"));
            if (strcmp(code, "low_p_alive") == 0)
                cr_expect_lt(real(why, "p_alive"), 0.5);
            else
                cr_expect(strcmp(code, "long_gap") == 0 &&
                              (double)num(why, "days_since_last") >
                                  2 * real(why, "usual_gap_days") - 1e-5,
                          "%s %lld %f", code, (long long)num(why, "days_since_last"),
                          real(why, "usual_gap_days"));
        }
    }
    cr_expect_eq(num(churn_body, "value_at_risk_minor"), total);
    json_decref(churn);
    json_decref(churn_body);
    json_decref(items);
    json_decref(body);
}

Test(analytics, cdnow_through_the_import_agrees_with_fader_hardie_lee)
{
    char tenant[64], admin[128];
    setup(tenant, sizeof(tenant), admin, sizeof(admin), (const char *[]){"cdnow", NULL});
    size_t n;
    char *text = cdnow_lines(&n);
    cr_assert_eq(n, 6919);
    long imported = 0;
    for (size_t from = 0; from < n; from += 2000)
        imported += import_range(admin, text, from, from + 2000 < n ? from + 2000 : n);
    cr_expect_eq(imported, 6919);
    cr_expect_eq(import_range(admin, text, 1000, 3000), 0, "a resent part books nothing");
    free(text);

    json_t *clv = get(admin, "/v1/analytics/clv?calibration_end=1997-09-30&limit=5");
    json_t *bg = json_object_get(json_object_get(clv, "model"), "bgnbd");
    json_t *gg = json_object_get(json_object_get(clv, "model"), "gamma_gamma");
    cr_expect_eq(num(clv, "members"), 2357);
    cr_expect(fabs(real(bg, "r") - 0.243) < 0.0005, "r %f", real(bg, "r"));
    cr_expect(fabs(real(bg, "alpha") - 4.414) < 0.0005, "alpha %f", real(bg, "alpha"));
    cr_expect(fabs(real(bg, "a") - 0.793) < 0.0005, "a %f", real(bg, "a"));
    cr_expect(fabs(real(bg, "b") - 2.426) < 0.0005, "b %f", real(bg, "b"));
    cr_expect(fabs(real(bg, "log_likelihood") - -9582.4) < 0.05, "LL %f",
              real(bg, "log_likelihood"));
    /* Gamma-Gamma on cents: gamma is 100 times the dollars' 15.44; p and q do not move. */
    cr_expect(fabs(real(gg, "p") - 6.25) < 0.005, "p %f", real(gg, "p"));
    cr_expect(fabs(real(gg, "q") - 3.74) < 0.005, "q %f", real(gg, "q"));
    cr_expect(fabs(real(gg, "gamma") / 100 - 15.44) < 0.005, "gamma %f", real(gg, "gamma"));
    cr_expect_eq(num(gg, "repeat_buyers"), 946);
    json_decref(clv);
    check_members(admin);
    /* As of today nobody of 1997-98 bought in the window: all lost, none new nor champions. */
    json_t *rfm = get(admin, "/v1/analytics/rfm?limit=1");
    json_t *segments = json_object_get(rfm, "segments");
    for (size_t i = 0; i < json_array_size(segments); i++) {
        json_t *seg = json_array_get(segments, i);
        const char *name = json_string_value(json_object_get(seg, "segment"));
        cr_expect_eq(num(seg, "members"), strcmp(name, "lost") == 0 ? 2357 : 0, "%s", name);
    }
    json_decref(rfm);
}

/*
 * An imported member's 360 view and history speak of when things happened:
 * the imports count as the partner's transactions, the partner's last
 * activity is the last purchase (not the day of the import), and each entry
 * carries its transaction's occurred_at.
 */
Test(analytics, imported_history_shows_when_it_happened)
{
    char tenant[64], admin[128], body[1024] = "";
    setup(tenant, sizeof(tenant), admin, sizeof(admin), (const char *[]){"shop", NULL});
    add_line(body, sizeof(body), "h1", "shop", "old", "2024-03-01T10:00:00Z", 5000, 50);
    add_line(body, sizeof(body), "h2", "shop", "old", "2024-05-02T11:00:00Z", 3000, 30);
    response r = http(&srv, "POST", "/v1/import/transactions", admin, body);
    cr_assert_eq(r.status, 200, "%s", r.body);
    response_free(&r);
    json_t *view = get(admin, "/v1/members/old");
    json_t *line = json_array_get(json_object_get(view, "partners"), 0);
    cr_expect_eq(num(line, "transactions"), 2, "the imports are the partner's transactions");
    cr_expect_eq(num(line, "points_earned"), 80);
    cr_expect_str_eq(json_string_value(json_object_get(line, "last_activity_at")),
                     "2024-05-02T11:00:00.000000Z");
    json_decref(view);
    json_t *history = get(admin, "/v1/members/old/history");
    json_t *entries = json_object_get(history, "entries");
    cr_assert_eq(json_array_size(entries), 2);
    cr_expect_str_eq(json_string_value(json_object_get(json_array_get(entries, 0), "occurred_at")),
                     "2024-05-02T11:00:00.000000Z");
    cr_expect_str_eq(json_string_value(json_object_get(json_array_get(entries, 1), "occurred_at")),
                     "2024-03-01T10:00:00.000000Z");
    json_decref(history);
}
