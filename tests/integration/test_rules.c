/*
 * Rules over HTTP: versions kept and listed, refusals naming the JSON path,
 * tiers that upgrade at once and scale earning on the next request, and a
 * rules change under load that no request sees half-applied.
 */
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "harness.h"

static test_server srv;
static char tenant[64], admin[128];
static partner_key bank;

static void start(void)
{
    server_start(&srv, NULL, NULL);
    unique_id(tenant, sizeof(tenant), "ru");
    make_tenant(&srv, tenant, admin, sizeof(admin));
    make_partner(&srv, admin, "bank", "bank",
                 "{\"currency\":\"CNY\",\"spend_minor_per_point\":100}", &bank);
}

static void stop(void)
{
    server_finish(&srv);
}

TestSuite(rules, .init = start, .fini = stop, .timeout = 90);

#define SILVER_RULES                                                                               \
    "{\"tiers\":{\"window_months\":12,\"levels\":[{\"name\":\"basic\",\"threshold\":0},"           \
    "{\"name\":\"silver\",\"threshold\":500,\"multiplier_pct\":150}]}}"

static response earn(const char *id, const char *member, long amount)
{
    char body[512];
    snprintf(body, sizeof(body),
             "{\"id\":\"%s\",\"member\":\"%s\",\"data\":{\"type\":\"purchase\","
             "\"amount_minor\":%ld,\"currency\":\"CNY\",\"mcc\":\"1000\"}}",
             id, member, amount);
    return partner_call(&srv, &bank, "POST", "/v1/transactions", body, 0, NULL);
}

Test(rules, defaults_then_versions_kept_and_listed)
{
    response r = http(&srv, "GET", "/v1/rules", admin, NULL);
    cr_assert_eq(r.status, 200, "%s", r.body);
    cr_expect_eq(json_integer_value(json_object_get(r.json, "version")), 0);
    json_t *levels =
        json_object_get(json_object_get(json_object_get(r.json, "rules"), "tiers"), "levels");
    cr_expect_eq(json_array_size(levels), 4, "normal, gold, platinum, diamond");
    response_free(&r);

    r = http(&srv, "PUT", "/v1/rules", admin, SILVER_RULES);
    cr_assert_eq(r.status, 200, "%s", r.body);
    cr_expect_eq(json_integer_value(json_object_get(r.json, "version")), 1);
    response_free(&r);
    r = http(&srv, "PUT", "/v1/rules", admin, "{\"tiers\":{\"window_months\":6}}");
    cr_expect_eq(json_integer_value(json_object_get(r.json, "version")), 2);
    response_free(&r);

    r = http(&srv, "GET", "/v1/rules/versions", admin, NULL);
    json_t *versions = json_object_get(r.json, "versions");
    cr_expect_eq(json_array_size(versions), 2);
    json_t *newest = json_array_get(versions, 0);
    cr_expect_eq(json_integer_value(json_object_get(newest, "version")), 2);
    cr_expect(strncmp(json_string_value(json_object_get(newest, "created_by")), "admin:", 6) == 0);
    cr_expect(json_is_string(json_object_get(newest, "created_at")));
    response_free(&r);
    r = http(&srv, "GET", "/v1/rules/versions/1", admin, NULL);
    cr_expect_eq(r.status, 200);
    json_t *tiers = json_object_get(json_object_get(r.json, "rules"), "tiers");
    json_t *second = json_array_get(json_object_get(tiers, "levels"), 1);
    cr_expect_str_eq(json_string_value(json_object_get(second, "name")), "silver");
    response_free(&r);
    r = http(&srv, "GET", "/v1/rules/versions/9", admin, NULL);
    expect_error(&r, 404, "not_found");
    response_free(&r);
    r = http(&srv, "GET", "/v1/rules", admin, NULL);
    cr_expect_eq(json_integer_value(json_object_get(r.json, "version")), 2);
    response_free(&r);
}

Test(rules, invalid_rules_are_400_naming_the_path_and_change_nothing)
{
    response r = http(&srv, "PUT", "/v1/rules", admin,
                      "{\"tiers\":{\"levels\":[{\"name\":\"a\",\"threshold\":0},"
                      "{\"name\":\"b\",\"threshold\":0}]}}");
    expect_error(&r, 400, "invalid_rules");
    const char *msg =
        json_string_value(json_object_get(json_object_get(r.json, "error"), "message"));
    cr_expect(msg && strstr(msg, "$.tiers.levels[1].threshold"), "%s", r.body);
    response_free(&r);
    r = http(&srv, "PUT", "/v1/rules", admin, "{\"tierz\":{}}");
    expect_error(&r, 400, "invalid_rules");
    response_free(&r);
    r = http(&srv, "GET", "/v1/rules", admin, NULL);
    cr_expect_eq(json_integer_value(json_object_get(r.json, "version")), 0);
    response_free(&r);
    r = http(&srv, "PUT", "/v1/rules", OPERATOR_TOKEN, SILVER_RULES);
    expect_error(&r, 403, "forbidden");
    response_free(&r);
}

Test(rules, tiers_upgrade_at_once_and_scale_the_next_earning)
{
    response r = http(&srv, "PUT", "/v1/rules", admin, SILVER_RULES);
    cr_assert_eq(r.status, 200, "%s", r.body);
    response_free(&r);
    r = earn("t-1", "ann", 40000); /* 400 qualifying points: still basic */
    cr_assert_eq(r.status, 201, "%s", r.body);
    cr_expect_str_eq(json_string_value(json_object_get(r.json, "tier")), "basic");
    response_free(&r);
    r = earn("t-2", "ann", 20000); /* 600 in the window: silver at once */
    cr_expect_eq(json_integer_value(json_object_get(r.json, "points")), 200, "earned as basic");
    cr_expect_str_eq(json_string_value(json_object_get(r.json, "tier")), "silver");
    response_free(&r);
    r = earn("t-3", "ann", 10100); /* 101 points x 150% = 151 */
    cr_expect_eq(json_integer_value(json_object_get(r.json, "points")), 151, "%s", r.body);
    cr_expect_eq(json_integer_value(json_object_get(r.json, "balance")), 751);
    response_free(&r);

    r = http(&srv, "GET", "/v1/members/ann", admin, NULL);
    cr_expect_str_eq(json_string_value(json_object_get(r.json, "tier")), "silver");
    json_t *h = json_array_get(json_object_get(r.json, "tier_history"), 0);
    cr_expect_str_eq(json_string_value(json_object_get(h, "from")), "basic");
    cr_expect_str_eq(json_string_value(json_object_get(h, "to")), "silver");
    cr_expect_eq(json_integer_value(json_object_get(h, "rules_version")), 1);
    response_free(&r);

    /* The history explains every point: the plugin's line and the tier's. */
    r = http(&srv, "GET", "/v1/members/ann/history?limit=1", admin, NULL);
    json_t *detail =
        json_object_get(json_array_get(json_object_get(r.json, "entries"), 0), "detail");
    json_t *lines = json_object_get(detail, "lines");
    cr_assert_eq(json_array_size(lines), 2, "%s", r.body);
    cr_expect_eq(json_integer_value(json_object_get(json_array_get(lines, 0), "points")), 101);
    cr_expect_str_eq(json_string_value(json_object_get(json_array_get(lines, 1), "category")),
                     "tier:silver");
    cr_expect_eq(json_integer_value(json_object_get(json_array_get(lines, 1), "points")), 50);
    cr_expect_eq(json_integer_value(json_object_get(detail, "points")), 151);
    cr_expect_eq(json_integer_value(json_object_get(detail, "rules_version")), 1);
    response_free(&r);

    /* A refund takes back what was earned, bonus included. */
    r = partner_call(&srv, &bank, "POST", "/v1/transactions/t-3/reversal", "{\"id\":\"v-3\"}", 0,
                     NULL);
    cr_expect_eq(json_integer_value(json_object_get(r.json, "points")), 151, "%s", r.body);
    response_free(&r);
    r = http(&srv, "GET", "/v1/ledger/trial-balance", admin, NULL);
    cr_expect_eq(json_integer_value(json_object_get(r.json, "total")), 0);
    response_free(&r);
}

/* ---- a rules change under load ---- */

typedef struct {
    int index, ok, bad;
    volatile int *stop;
} loader;

static void *load(void *arg)
{
    loader *l = arg;
    for (int i = 0; i < 2000 && !*l->stop; i++) {
        char id[64], member[32];
        snprintf(id, sizeof(id), "live-%d-%d", l->index, i);
        snprintf(member, sizeof(member), "vip-%d", l->index);
        response r = earn(id, member, 10000); /* 100 points */
        json_int_t p = json_integer_value(json_object_get(r.json, "points"));
        /* Old rules: 100 or 150; new rules: 100 or 300. Never anything else. */
        if (r.status == 201 && (p == 100 || p == 150 || p == 300))
            l->ok++;
        else
            l->bad++;
        response_free(&r);
    }
    return NULL;
}

Test(rules, a_change_under_load_is_never_half_applied)
{
    response r = http(&srv, "PUT", "/v1/rules", admin,
                      "{\"tiers\":{\"levels\":[{\"name\":\"basic\",\"threshold\":0},"
                      "{\"name\":\"vip\",\"threshold\":100,\"multiplier_pct\":150}]}}");
    cr_assert_eq(r.status, 200);
    response_free(&r);
    volatile int stop_flag = 0;
    loader ls[4];
    pthread_t t[4];
    for (int i = 0; i < 4; i++) {
        ls[i] = (loader){.index = i, .stop = &stop_flag};
        pthread_create(&t[i], NULL, load, &ls[i]);
    }
    usleep(300 * 1000);
    r = http(&srv, "PUT", "/v1/rules", admin,
             "{\"tiers\":{\"levels\":[{\"name\":\"basic\",\"threshold\":0},"
             "{\"name\":\"vip\",\"threshold\":100,\"multiplier_pct\":300}]}}");
    cr_expect_eq(r.status, 200);
    response_free(&r);
    usleep(300 * 1000);
    stop_flag = 1;
    int ok = 0, bad = 0;
    for (int i = 0; i < 4; i++) {
        pthread_join(t[i], NULL);
        ok += ls[i].ok;
        bad += ls[i].bad;
    }
    cr_expect_eq(bad, 0, "%d of %d earnings saw something other than whole rules", bad, ok + bad);
    cr_expect_gt(ok, 20);
    r = earn("after", "vip-0", 10000);
    cr_expect_eq(json_integer_value(json_object_get(r.json, "points")), 300,
                 "the next request after the change sees it: %s", r.body);
    response_free(&r);
}

static json_int_t line_points(const response *history, const char *category)
{
    json_t *detail =
        json_object_get(json_array_get(json_object_get(history->json, "entries"), 0), "detail");
    size_t i;
    json_t *l;
    json_array_foreach (json_object_get(detail, "lines"), i, l)
        if (strcmp(json_string_value(json_object_get(l, "category")), category) == 0)
            return json_integer_value(json_object_get(l, "points"));
    return -1;
}

Test(rules, promotions_caps_and_the_cross_partner_bonus)
{
    partner_key shop;
    make_partner(&srv, admin, "shop", "bank",
                 "{\"currency\":\"CNY\",\"spend_minor_per_point\":100}", &shop);
    response r = http(&srv, "PUT", "/v1/rules", admin,
                      "{\"promotions\":["
                      "{\"id\":\"groceries-x2\",\"multiplier_pct\":200,\"partners\":[\"bank\"],"
                      "\"categories\":[\"mcc:5411\"]},"
                      "{\"id\":\"welcome\",\"bonus_points\":60,\"cap\":{\"points\":100,"
                      "\"period\":\"month\"}},"
                      "{\"id\":\"past\",\"bonus_points\":999,\"to\":\"2020-01-01T00:00:00Z\"}],"
                      "\"cross_partner_bonus\":{\"points\":100}}");
    cr_assert_eq(r.status, 200, "%s", r.body);
    response_free(&r);

    /* 10000 minor at 5411: 100 points, +100 doubled, +60 welcome. */
    char body[256];
    snprintf(body, sizeof(body),
             "{\"id\":\"p-1\",\"member\":\"bea\",\"data\":{\"type\":\"purchase\","
             "\"amount_minor\":10000,\"currency\":\"CNY\",\"mcc\":\"5411\"}}");
    r = partner_call(&srv, &bank, "POST", "/v1/transactions", body, 0, NULL);
    cr_assert_eq(r.status, 201, "%s", r.body);
    cr_expect_eq(json_integer_value(json_object_get(r.json, "points")), 260, "%s", r.body);
    response_free(&r);
    r = http(&srv, "GET", "/v1/members/bea/history?limit=1", admin, NULL);
    cr_expect_eq(line_points(&r, "mcc:5411"), 100);
    cr_expect_eq(line_points(&r, "promo:groceries-x2"), 100);
    cr_expect_eq(line_points(&r, "promo:welcome"), 60);
    cr_expect_eq(line_points(&r, "promo:past"), -1, "an ended promotion gives nothing");
    response_free(&r);

    /* The welcome cap: 40 left this month, then nothing. */
    r = earn("p-2", "bea", 10000); /* bank, mcc 1000: 100 + 40 */
    cr_expect_eq(json_integer_value(json_object_get(r.json, "points")), 140, "%s", r.body);
    response_free(&r);
    r = earn("p-3", "bea", 10000);
    cr_expect_eq(json_integer_value(json_object_get(r.json, "points")), 100, "%s", r.body);
    response_free(&r);

    /* First time at shop, having bought at bank: +100; the second time, not. */
    snprintf(body, sizeof(body),
             "{\"id\":\"p-4\",\"member\":\"bea\",\"data\":{\"type\":\"purchase\","
             "\"amount_minor\":1000,\"currency\":\"CNY\",\"mcc\":\"1000\"}}");
    r = partner_call(&srv, &shop, "POST", "/v1/transactions", body, 0, NULL);
    cr_expect_eq(json_integer_value(json_object_get(r.json, "points")), 110, "%s", r.body);
    response_free(&r);
    r = http(&srv, "GET", "/v1/members/bea/history?limit=1", admin, NULL);
    cr_expect_eq(line_points(&r, "cross_partner:shop"), 100);
    response_free(&r);
    snprintf(body, sizeof(body),
             "{\"id\":\"p-5\",\"member\":\"bea\",\"data\":{\"type\":\"purchase\","
             "\"amount_minor\":1000,\"currency\":\"CNY\",\"mcc\":\"1000\"}}");
    r = partner_call(&srv, &shop, "POST", "/v1/transactions", body, 0, NULL);
    cr_expect_eq(json_integer_value(json_object_get(r.json, "points")), 10, "%s", r.body);
    response_free(&r);
    /* A member's very first transaction is no cross-partner purchase. */
    snprintf(body, sizeof(body),
             "{\"id\":\"p-6\",\"member\":\"newbie\",\"data\":{\"type\":\"purchase\","
             "\"amount_minor\":1000,\"currency\":\"CNY\",\"mcc\":\"1000\"}}");
    r = partner_call(&srv, &shop, "POST", "/v1/transactions", body, 0, NULL);
    cr_expect_eq(json_integer_value(json_object_get(r.json, "points")), 70, "10 + welcome 60: %s",
                 r.body);
    response_free(&r);
    r = http(&srv, "GET", "/v1/ledger/trial-balance", admin, NULL);
    cr_expect_eq(json_integer_value(json_object_get(r.json, "total")), 0);
    response_free(&r);
}

Test(rules, events_reward_once_by_id_within_their_limit)
{
    response r = http(&srv, "PUT", "/v1/rules", admin,
                      "{\"events\":{\"survey_completed\":{\"points\":50,\"limit\":1,"
                      "\"period\":\"month\"},\"birthday\":{\"points\":200}}}");
    cr_assert_eq(r.status, 200, "%s", r.body);
    response_free(&r);
    const char *survey = "{\"id\":\"e-1\",\"member\":\"cat\",\"event\":\"survey_completed\"}";
    r = partner_call(&srv, &bank, "POST", "/v1/events", survey, 0, NULL);
    cr_assert_eq(r.status, 201, "%s", r.body);
    cr_expect_eq(json_integer_value(json_object_get(r.json, "points")), 50);
    cr_expect_eq(json_integer_value(json_object_get(r.json, "balance")), 50);
    response_free(&r);
    r = partner_call(&srv, &bank, "POST", "/v1/events", survey, 0, NULL);
    cr_expect_eq(r.status, 200, "the same id again is the first answer: %s", r.body);
    response_free(&r);
    r = partner_call(&srv, &bank, "POST", "/v1/events",
                     "{\"id\":\"e-2\",\"member\":\"cat\",\"event\":\"survey_completed\"}", 0, NULL);
    expect_error(&r, 422, "event_limit_reached");
    response_free(&r);
    r = partner_call(&srv, &bank, "POST", "/v1/events",
                     "{\"id\":\"e-3\",\"member\":\"cat\",\"event\":\"referral\"}", 0, NULL);
    expect_error(&r, 422, "unknown_event");
    response_free(&r);
    /* The alliance's own reward, by an admin, on alliance:rewards. */
    r = http(&srv, "POST", "/v1/events", admin,
             "{\"id\":\"e-4\",\"member\":\"cat\",\"event\":\"birthday\"}");
    cr_expect_eq(r.status, 201, "%s", r.body);
    cr_expect_eq(json_integer_value(json_object_get(r.json, "balance")), 250);
    response_free(&r);
    r = http(&srv, "GET", "/v1/ledger/trial-balance", admin, NULL);
    cr_expect(strstr(r.body, "{\"account\":\"alliance:rewards\",\"balance\":-200}") != NULL, "%s",
              r.body);
    cr_expect_eq(json_integer_value(json_object_get(r.json, "total")), 0);
    response_free(&r);
    r = http(&srv, "GET", "/v1/members/cat/history?limit=1", admin, NULL);
    cr_expect_eq(line_points(&r, "event:birthday"), 200, "%s", r.body);
    response_free(&r);
}

Test(rules, dry_runs_explain_and_book_nothing)
{
    response r = http(&srv, "PUT", "/v1/rules", admin,
                      "{\"promotions\":[{\"id\":\"all-x3\",\"multiplier_pct\":300}]}");
    cr_assert_eq(r.status, 200);
    response_free(&r);
    const char *tx = "{\"member\":\"dry\",\"data\":{\"type\":\"purchase\",\"amount_minor\":10000,"
                     "\"currency\":\"CNY\",\"mcc\":\"1000\"}}";
    r = partner_call(&srv, &bank, "POST", "/v1/transactions:simulate", tx, 0, NULL);
    cr_assert_eq(r.status, 200, "%s", r.body);
    cr_expect_eq(json_integer_value(json_object_get(r.json, "points")), 300);
    json_t *lines = json_object_get(r.json, "lines");
    cr_expect_eq(json_array_size(lines), 2, "%s", r.body);
    cr_expect_str_eq(json_string_value(json_object_get(json_array_get(lines, 1), "category")),
                     "promo:all-x3");
    cr_expect_eq(json_integer_value(json_object_get(r.json, "rules_version")), 1);
    response_free(&r);
    r = http(&srv, "GET", "/v1/members/dry", admin, NULL);
    expect_error(&r, 404, "member_not_found"); /* nothing stayed, not even the member */
    response_free(&r);

    /* A draft, against the same sample: the live rules do not change. */
    r = http(&srv, "POST", "/v1/rules:simulate", admin,
             "{\"rules\":{\"promotions\":[{\"id\":\"draft-bonus\",\"bonus_points\":7}]},"
             "\"transaction\":{\"partner\":\"bank\",\"member\":\"dry\",\"data\":{\"type\":"
             "\"purchase\",\"amount_minor\":10000,\"currency\":\"CNY\",\"mcc\":\"1000\"}}}");
    cr_assert_eq(r.status, 200, "%s", r.body);
    cr_expect_eq(json_integer_value(json_object_get(r.json, "points")), 107);
    cr_expect(json_is_null(json_object_get(r.json, "rules_version")), "%s", r.body);
    cr_expect(json_is_true(json_object_get(r.json, "draft")), "%s", r.body);
    response_free(&r);
    r = http(&srv, "POST", "/v1/rules:simulate", admin,
             "{\"rules\":{\"tiers\":{\"window_months\":0}},\"transaction\":{\"partner\":\"bank\","
             "\"data\":{}}}");
    expect_error(&r, 400, "invalid_rules");
    response_free(&r);
    r = http(&srv, "POST", "/v1/rules:simulate", admin,
             "{\"rules\":{},\"transaction\":{\"partner\":\"nobody\",\"data\":{}}}");
    expect_error(&r, 422, "unknown_partner");
    response_free(&r);
    r = http(&srv, "GET", "/v1/rules", admin, NULL);
    cr_expect_eq(json_integer_value(json_object_get(r.json, "version")), 1);
    response_free(&r);
    r = http(&srv, "GET", "/v1/ledger/trial-balance", admin, NULL);
    cr_expect_eq(json_array_size(json_object_get(r.json, "accounts")), 0, "%s", r.body);
    response_free(&r);
}

/* Runs SQL made of a literal format with the tenant and a member (test-only time travel). */
#define SQL(fmt, member)                                                                           \
    do {                                                                                           \
        char q_[512], out_[16];                                                                    \
        snprintf(q_, sizeof(q_), fmt, tenant, member);                                             \
        cr_assert_eq(db_scalar(q_, out_, sizeof(out_)), 0, "%s", q_);                              \
    } while (0)

static int review(void)
{
    char body[128];
    snprintf(body, sizeof(body), "{\"tenant\":\"%s\"}", tenant);
    response r = http(&srv, "POST", "/v1/ledger/expire", OPERATOR_TOKEN, body);
    cr_assert_eq(r.status, 200, "%s", r.body);
    int changed = (int)json_integer_value(json_object_get(r.json, "tiers_changed"));
    response_free(&r);
    return changed;
}

static char *tier_of(const char *member, char *out, size_t size)
{
    char path[96];
    snprintf(path, sizeof(path), "/v1/members/%s", member);
    response r = http(&srv, "GET", path, admin, NULL);
    snprintf(out, size, "%s", json_string_value(json_object_get(r.json, "tier")));
    response_free(&r);
    return out;
}

#define OLD_ACTIVITY                                                                               \
    "UPDATE transactions SET occurred_at = occurred_at - INTERVAL 2 YEAR "                         \
    "WHERE tenant_id = '%s' AND member_id = '%s'"

Test(rules, downgrades_by_policy_and_an_admins_floor)
{
    char t[32];
    response r = http(&srv, "PUT", "/v1/rules", admin,
                      "{\"tiers\":{\"levels\":[{\"name\":\"basic\",\"threshold\":0},"
                      "{\"name\":\"silver\",\"threshold\":500}],"
                      "\"downgrade\":{\"policy\":\"after_days\",\"days\":0}}}");
    cr_assert_eq(r.status, 200, "%s", r.body);
    response_free(&r);
    r = earn("d-1", "dan", 60000);
    cr_expect_str_eq(json_string_value(json_object_get(r.json, "tier")), "silver");
    response_free(&r);
    cr_expect_eq(review(), 0, "still qualifying");
    SQL(OLD_ACTIVITY, "dan"); /* the activity left the window */
    cr_expect_eq(review(), 1);
    cr_expect_str_eq(tier_of("dan", t, sizeof(t)), "basic");

    /* An admin's floor: silver at once, and kept while the floor lasts. */
    r = http(&srv, "PUT", "/v1/members/dan/tier", admin,
             "{\"tier\":\"silver\",\"until\":\"2099-01-01T00:00:00Z\"}");
    cr_assert_eq(r.status, 200, "%s", r.body);
    cr_expect_str_eq(json_string_value(json_object_get(r.json, "tier")), "silver");
    cr_expect_str_eq(json_string_value(json_object_get(json_object_get(r.json, "floor"), "until")),
                     "2099-01-01T00:00:00.000000Z");
    response_free(&r);
    cr_expect_eq(review(), 0);
    cr_expect_str_eq(tier_of("dan", t, sizeof(t)), "silver");
    SQL("UPDATE members SET tier_floor_until = NOW(6) - INTERVAL 1 SECOND "
        "WHERE tenant_id = '%s' AND member_id = '%s'",
        "dan");
    cr_expect_eq(review(), 1, "the floor ended");
    cr_expect_str_eq(tier_of("dan", t, sizeof(t)), "basic");
    r = http(&srv, "PUT", "/v1/members/dan/tier", admin,
             "{\"tier\":\"gold\",\"until\":\"2099-01-01T00:00:00Z\"}");
    expect_error(&r, 400, "invalid_field");
    response_free(&r);

    /* Review policy: down only at the review, window_months after the tier was reached. */
    r = http(&srv, "PUT", "/v1/rules", admin,
             "{\"tiers\":{\"levels\":[{\"name\":\"basic\",\"threshold\":0},"
             "{\"name\":\"silver\",\"threshold\":500}],\"downgrade\":{\"policy\":\"review\"}}}");
    response_free(&r);
    r = earn("d-2", "eve", 60000);
    response_free(&r);
    SQL(OLD_ACTIVITY, "eve");
    cr_expect_eq(review(), 0, "before the review date");
    cr_expect_str_eq(tier_of("eve", t, sizeof(t)), "silver");
    SQL("UPDATE members SET tier_since = NOW(6) - INTERVAL 13 MONTH "
        "WHERE tenant_id = '%s' AND member_id = '%s'",
        "eve");
    cr_expect_eq(review(), 1);
    cr_expect_str_eq(tier_of("eve", t, sizeof(t)), "basic");
    r = http(&srv, "GET", "/v1/members/eve", admin, NULL);
    json_t *h = json_array_get(json_object_get(r.json, "tier_history"), 0);
    cr_expect_str_eq(json_string_value(json_object_get(h, "reason")), "review");
    response_free(&r);
}

static json_int_t earned_at(const char *id, const char *member, const char *when)
{
    char body[512];
    snprintf(body, sizeof(body),
             "{\"id\":\"%s\",\"member\":\"%s\",\"occurred_at\":\"%s\",\"data\":{\"type\":"
             "\"purchase\",\"amount_minor\":10000,\"currency\":\"CNY\",\"mcc\":\"1000\"}}",
             id, member, when);
    response r = partner_call(&srv, &bank, "POST", "/v1/transactions", body, 0, NULL);
    cr_assert_eq(r.status, 201, "%s", r.body);
    json_int_t points = json_integer_value(json_object_get(r.json, "points"));
    response_free(&r);
    return points;
}

/*
 * Friday 20:00 UTC is Saturday 04:00 in Shanghai: the weekend bonus is the
 * tenant's days. 15:30 and 16:30 UTC are one UTC day but two Shanghai days:
 * a daily cap counts them apart there.
 */
Test(rules, a_tenants_time_zone_decides_its_days)
{
    response r = http(&srv, "PUT", "/v1/rules", admin,
                      "{\"promotions\":[{\"id\":\"weekend\",\"bonus_points\":100,"
                      "\"days_of_week\":[6,7]},{\"id\":\"daily\",\"bonus_points\":10,"
                      "\"cap\":{\"points\":10,\"period\":\"day\"}}]}");
    cr_assert_eq(r.status, 200, "%s", r.body);
    response_free(&r);
    /* In UTC (the default): Friday, and one day for both. */
    cr_expect_eq(earned_at("u-1", "zed", "2026-12-04T20:00:00Z"), 100 + 10);
    cr_expect_eq(earned_at("u-2", "yan", "2026-12-04T15:30:00Z"), 100 + 10);
    cr_expect_eq(earned_at("u-3", "yan", "2026-12-04T16:30:00Z"), 100, "the day's cap is used");

    char path[128];
    snprintf(path, sizeof(path), "/v1/tenants/%s", tenant);
    r = http(&srv, "PATCH", path, admin, "{\"settings\":{\"time_zone\":\"Mars/Olympus\"}}");
    expect_error(&r, 400, "invalid_field");
    response_free(&r);
    r = http(&srv, "PATCH", path, admin, "{\"settings\":{\"time_zone\":\"Asia/Shanghai\"}}");
    cr_assert_eq(r.status, 200, "%s", r.body);
    cr_expect_str_eq(
        json_string_value(json_object_get(json_object_get(r.json, "settings"), "time_zone")),
        "Asia/Shanghai");
    response_free(&r);
    /* In Shanghai: Saturday; Friday 23:30 and Saturday 00:30 are two days. */
    cr_expect_eq(earned_at("s-1", "zed", "2026-12-04T20:00:00Z"), 100 + 100 + 10);
    cr_expect_eq(earned_at("s-2", "xia", "2026-12-04T15:30:00Z"), 100 + 10);
    cr_expect_eq(earned_at("s-3", "xia", "2026-12-04T16:30:00Z"), 100 + 100 + 10,
                 "00:30 on Saturday in Shanghai: the weekend, and a new day for the cap");
}
