/* Rules documents: defaults, tiers, and refusals naming the JSON path. */
#include <string.h>

#include <criterion/criterion.h>

#include "rules/rules.h"

/* Compiles text into *r (a copy; the compiled object is dropped). */
static int parse(const char *text, al_rules *r, char path[128], char msg[256])
{
    json_t *doc = json_loads(text, 0, NULL);
    cr_assert(doc != NULL, "test document is not JSON: %s", text);
    al_rules *compiled = NULL;
    int rc = al_rules_compile(doc, &compiled, path, msg);
    json_decref(doc);
    if (rc == 0) {
        *r = *compiled;
        al_rules_drop(compiled);
    }
    return rc;
}

Test(rules, defaults)
{
    al_rules *d = al_rules_new_defaults();
    al_rules r = *d;
    al_rules_drop(d);
    cr_expect_eq(r.ntiers, 4);
    cr_expect_str_eq(r.tiers[0].name, "normal");
    cr_expect_str_eq(r.tiers[3].name, "diamond");
    cr_expect_eq(r.window_months, 12);
    cr_expect_eq(al_rules_tier_for(&r, 0), 0);
    cr_expect_eq(al_rules_tier_for(&r, 9999), 0);
    cr_expect_eq(al_rules_tier_for(&r, 10000), 1);
    cr_expect_eq(al_rules_tier_for(&r, 1000000), 3);
    json_t *doc = al_rules_default_document();
    al_rules *again = NULL;
    char path[128], msg[256];
    cr_assert_eq(al_rules_compile(doc, &again, path, msg), 0, "%s %s", path, msg);
    cr_expect_eq(again->ntiers, r.ntiers);
    cr_expect_eq(memcmp(again->tiers, r.tiers, sizeof(r.tiers)), 0,
                 "the default document compiles to the defaults");
    al_rules_drop(again);
    json_decref(doc);
}

Test(rules, tiers_with_multipliers)
{
    al_rules r;
    char path[128], msg[256];
    cr_assert_eq(parse("{\"tiers\":{\"window_months\":6,\"levels\":["
                       "{\"name\":\"basic\",\"threshold\":0},"
                       "{\"name\":\"silver\",\"threshold\":500,\"multiplier_pct\":150}]}}",
                       &r, path, msg),
                 0, "%s %s", path, msg);
    cr_expect_eq(r.window_months, 6);
    cr_expect_eq(r.ntiers, 2);
    cr_expect_eq(r.tiers[0].multiplier_pct, 100);
    cr_expect_eq(al_rules_tier_for(&r, 499), 0);
    cr_expect_eq(al_rules_tier_for(&r, 500), 1);
    cr_expect_eq(al_rules_tier_index(&r, "silver"), 1);
    cr_expect_eq(al_rules_tier_index(&r, "gone"), 0);
    cr_expect_eq(al_rules_tier_bonus(&r.tiers[1], 101), 50); /* floor(50.5) */
    cr_expect_eq(al_rules_tier_bonus(&r.tiers[0], 101), 0);
}

Test(rules, refusals_name_the_path)
{
    static const struct {
        const char *doc, *path;
    } cases[] = {
        {"[]", "$"},
        {"{\"promotionz\":[]}", "$.promotionz"},
        {"{\"promotions\":[{\"id\":\"p\"}]}", "$.promotions[0]"},
        {"{\"promotions\":[{\"id\":\"p\",\"multiplier_pct\":100}]}",
         "$.promotions[0].multiplier_pct"},
        {"{\"promotions\":[{\"id\":\"p\",\"bonus_points\":5,\"tiers\":[\"gold\",\"zinc\"]}]}",
         "$.promotions[0].tiers"},
        {"{\"promotions\":[{\"id\":\"p\",\"bonus_points\":5,\"days_of_week\":[0]}]}",
         "$.promotions[0].days_of_week"},
        {"{\"promotions\":[{\"id\":\"p\",\"bonus_points\":5,\"from\":\"2026-12-01T00:00:00Z\","
         "\"to\":\"2026-11-01T00:00:00Z\"}]}",
         "$.promotions[0].to"},
        {"{\"promotions\":[{\"id\":\"p\",\"bonus_points\":5,\"cap\":{\"points\":5,\"period\":"
         "\"fortnight\"}}]}",
         "$.promotions[0].cap.period"},
        {"{\"promotions\":[{\"id\":\"p\",\"bonus_points\":5},{\"id\":\"p\",\"bonus_points\":6}]}",
         "$.promotions[1].id"},
        {"{\"events\":{\"survey\":{\"points\":0}}}", "$.events.survey.points"},
        {"{\"events\":{\"survey\":{\"points\":5,\"period\":\"hour\"}}}", "$.events.survey.period"},
        {"{\"cross_partner_bonus\":{\"points\":-1}}", "$.cross_partner_bonus.points"},
        {"{\"tiers\":[]}", "$.tiers"},
        {"{\"tiers\":{\"window_months\":0}}", "$.tiers.window_months"},
        {"{\"tiers\":{\"window_months\":\"12\"}}", "$.tiers.window_months"},
        {"{\"tiers\":{\"levels\":[]}}", "$.tiers.levels"},
        {"{\"tiers\":{\"levels\":[{\"name\":\"a\",\"threshold\":5}]}}",
         "$.tiers.levels[0].threshold"},
        {"{\"tiers\":{\"levels\":[{\"name\":\"a\",\"threshold\":0},{\"name\":\"b\",\"threshold\":0}"
         "]}}",
         "$.tiers.levels[1].threshold"},
        {"{\"tiers\":{\"levels\":[{\"name\":\"a\",\"threshold\":0},{\"name\":\"a\",\"threshold\":9}"
         "]}}",
         "$.tiers.levels[1].name"},
        {"{\"tiers\":{\"levels\":[{\"name\":\"Gold!\",\"threshold\":0}]}}",
         "$.tiers.levels[0].name"},
        {"{\"tiers\":{\"levels\":[{\"threshold\":0}]}}", "$.tiers.levels[0].name"},
        {"{\"tiers\":{\"levels\":[{\"name\":\"a\"}]}}", "$.tiers.levels[0].threshold"},
        {"{\"tiers\":{\"levels\":[{\"name\":\"a\",\"threshold\":0,\"multiplier_pct\":99}]}}",
         "$.tiers.levels[0].multiplier_pct"},
        {"{\"tiers\":{\"levels\":[{\"name\":\"a\",\"threshold\":0,\"colour\":\"red\"}]}}",
         "$.tiers.levels[0].colour"},
        {"{\"tiers\":{\"levels\":[1]}}", "$.tiers.levels[0]"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        al_rules r;
        char path[128] = "", msg[256] = "";
        cr_expect_neq(parse(cases[i].doc, &r, path, msg), 0, "accepted %s", cases[i].doc);
        cr_expect_str_eq(path, cases[i].path, "%s: %s", cases[i].doc, msg);
        cr_expect_neq(msg[0], '\0');
    }
}

Test(rules, promotions_match_filters_and_stack_additively)
{
    al_rules r;
    char path[128], msg[256];
    cr_assert_eq(
        parse("{\"promotions\":["
              "{\"id\":\"fresh-x2\",\"multiplier_pct\":200,\"categories\":[\"fresh\"]},"
              "{\"id\":\"shop-bonus\",\"bonus_points\":50,\"partners\":[\"shop\"]},"
              "{\"id\":\"gold-only\",\"bonus_points\":7,\"tiers\":[\"gold\"]},"
              "{\"id\":\"november\",\"multiplier_pct\":150,\"from\":\"2026-11-01T00:00:00Z\","
              "\"to\":\"2026-12-01T00:00:00Z\"},"
              "{\"id\":\"weekend\",\"bonus_points\":3,\"days_of_week\":[6,7]}],"
              "\"events\":{\"survey_completed\":{\"points\":20,\"limit\":1,\"period\":\"month\"}},"
              "\"cross_partner_bonus\":{\"points\":100}}",
              &r, path, msg),
        0, "%s %s", path, msg);
    alliance_points_line lines[2] = {{.points = 11, .category = "fresh"},
                                     {.points = 30, .category = "grocery"}};
    al_award a[8];
    /* Monday 2026-11-23 12:00 UTC, at shop, a normal member. */
    size_t n = al_rules_promotions(&r, "shop", lines, 2, 0, 1795435200, 0, a, 8);
    cr_assert_eq(n, 3);
    cr_expect_str_eq(a[0].promo->id, "fresh-x2");
    cr_expect_eq(a[0].points, 11, "double on the fresh line only");
    cr_expect_str_eq(a[1].promo->id, "shop-bonus");
    cr_expect_eq(a[1].points, 50);
    cr_expect_str_eq(a[2].promo->id, "november");
    cr_expect_eq(a[2].points, 20, "floor(41 x 50%%), on the plugin's points, not compounded");
    /* Saturday 2026-11-28, at bank, a gold member. */
    n = al_rules_promotions(&r, "bank", lines, 2, 1, 1795867200, 0, a, 8);
    cr_assert_eq(n, 4);
    cr_expect_str_eq(a[1].promo->id, "gold-only");
    cr_expect_str_eq(a[3].promo->id, "weekend");
    /* December: november's window is over. */
    n = al_rules_promotions(&r, "bank", lines, 2, 0, 1796140800, 0, a, 8);
    cr_expect_eq(n, 1);
    cr_expect_eq(r.cross_partner_points, 100);
    const al_event_rule *ev = al_rules_event(&r, "survey_completed");
    cr_assert(ev != NULL);
    cr_expect_eq(ev->points, 20);
    cr_expect_eq(ev->limit, 1);
    cr_expect(al_rules_event(&r, "birthday") == NULL);
}

Test(rules, period_keys)
{
    char k[16];
    al_period_key(AL_PERIOD_MONTH, 1795435200, k);
    cr_expect_str_eq(k, "2026-11");
    al_period_key(AL_PERIOD_DAY, 1795435200, k);
    cr_expect_str_eq(k, "2026-11-23");
    al_period_key(AL_PERIOD_WEEK, 1795435200, k);
    cr_expect_str_eq(k, "2026-W48");
    al_period_key(AL_PERIOD_YEAR, 1795435200, k);
    cr_expect_str_eq(k, "2026");
    al_period_key(AL_PERIOD_EVER, 1795435200, k);
    cr_expect_str_eq(k, "ever");
}

Test(rules, tier_decisions_by_policy_and_floor)
{
    al_rules r;
    char path[128], msg[256];
    cr_assert_eq(parse("{\"tiers\":{\"window_months\":12,\"downgrade\":{\"policy\":\"after_days\","
                       "\"days\":30}}}",
                       &r, path, msg),
                 0, "%s %s", path, msg);
    int64_t day = 86400, now = 1795435200;
    al_tier_state s = {.held = 1, .qualifies = 3, .now = now};
    al_tier_decision d = al_rules_decide_tier(&r, &s);
    cr_expect_eq(d.tier, 3);
    cr_expect_str_eq(d.reason, "qualified");
    s = (al_tier_state){.held = 2, .qualifies = 0, .now = now};
    d = al_rules_decide_tier(&r, &s);
    cr_expect_eq(d.tier, 2, "below for the first time: not yet");
    cr_expect_eq(d.below_since, now);
    cr_expect(d.reason == NULL);
    s.below_since = now - 29 * day;
    cr_expect_eq(al_rules_decide_tier(&r, &s).tier, 2);
    s.below_since = now - 30 * day;
    d = al_rules_decide_tier(&r, &s);
    cr_expect_eq(d.tier, 0);
    cr_expect_str_eq(d.reason, "below_threshold");
    s.floor = 1;
    s.floor_until = now + day;
    d = al_rules_decide_tier(&r, &s);
    cr_expect_eq(d.tier, 1, "not under the admin's floor");
    s.floor_until = now; /* the floor has ended */
    cr_expect_eq(al_rules_decide_tier(&r, &s).tier, 0);
    s = (al_tier_state){.held = 2, .qualifies = 2, .now = now, .below_since = now - 90 * day};
    cr_expect_eq(al_rules_decide_tier(&r, &s).below_since, 0, "back above: the count restarts");

    cr_assert_eq(parse("{\"tiers\":{\"downgrade\":{\"policy\":\"review\"}}}", &r, path, msg), 0);
    s = (al_tier_state){.held = 2, .qualifies = 1, .now = now, .tier_since = now - 300 * day};
    cr_expect_eq(al_rules_decide_tier(&r, &s).tier, 2, "before the review date");
    s.tier_since = now - 370 * day;
    d = al_rules_decide_tier(&r, &s);
    cr_expect_eq(d.tier, 1);
    cr_expect_str_eq(d.reason, "review");

    cr_assert_eq(parse("{}", &r, path, msg), 0);
    s = (al_tier_state){.held = 2,
                        .qualifies = 0,
                        .now = now,
                        .tier_since = now - 999 * day,
                        .below_since = now - 999 * day};
    cr_expect_eq(al_rules_decide_tier(&r, &s).tier, 2, "policy none keeps the tier");
    cr_expect_neq(parse("{\"tiers\":{\"downgrade\":{\"policy\":\"sometimes\"}}}", &r, path, msg),
                  0);
    cr_expect_str_eq(path, "$.tiers.downgrade.policy");
    cr_expect_neq(parse("{\"tiers\":{\"downgrade\":{\"policy\":\"after_days\"}}}", &r, path, msg),
                  0);
    cr_expect_str_eq(path, "$.tiers.downgrade.days");
}
