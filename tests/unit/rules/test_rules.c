/* Rules documents: defaults, tiers, and refusals naming the JSON path. */
#include <string.h>

#include <criterion/criterion.h>

#include "rules/rules.h"

static int parse(const char *text, al_rules *r, char path[128], char msg[256])
{
    json_t *doc = json_loads(text, 0, NULL);
    cr_assert(doc != NULL, "test document is not JSON: %s", text);
    int rc = al_rules_parse(doc, r, path, msg);
    json_decref(doc);
    return rc;
}

Test(rules, defaults)
{
    al_rules r;
    al_rules_defaults(&r);
    cr_expect_eq(r.ntiers, 4);
    cr_expect_str_eq(r.tiers[0].name, "normal");
    cr_expect_str_eq(r.tiers[3].name, "diamond");
    cr_expect_eq(r.window_months, 12);
    cr_expect_eq(al_rules_tier_for(&r, 0), 0);
    cr_expect_eq(al_rules_tier_for(&r, 9999), 0);
    cr_expect_eq(al_rules_tier_for(&r, 10000), 1);
    cr_expect_eq(al_rules_tier_for(&r, 1000000), 3);
    json_t *doc = al_rules_default_document();
    al_rules again;
    char path[128], msg[256];
    cr_expect_eq(al_rules_parse(doc, &again, path, msg), 0, "%s %s", path, msg);
    cr_expect_eq(memcmp(&again, &r, sizeof(r)), 0, "the default document compiles to the defaults");
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
