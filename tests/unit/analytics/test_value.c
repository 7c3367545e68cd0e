/* The member value measures of analytics/value.c, pure. */
#include <math.h>
#include <string.h>

#include <criterion/criterion.h>

#include "analytics/value.h"

Test(value, quintiles_rank_worst_to_best_and_ties_share_a_score)
{
    int64_t v[] = {10, 20, 30, 40, 50, 60, 70, 80, 90, 100};
    uint8_t s[10];
    cr_assert_eq(al_quintiles(v, 10, false, s), 0);
    for (int i = 0; i < 10; i++)
        cr_expect_eq(s[i], 1 + i / 2, "value %lld scores %d", (long long)v[i], s[i]);
    cr_assert_eq(al_quintiles(v, 10, true, s), 0); /* recency: fewer days is better */
    cr_expect_eq(s[0], 5);
    cr_expect_eq(s[9], 1);
    int64_t ties[] = {1, 1, 1, 1, 1, 1, 2, 3, 4, 5};
    al_quintiles(ties, 10, false, s);
    for (int i = 0; i < 6; i++)
        cr_expect_eq(s[i], 1, "six equal lowest values all score 1");
    cr_expect_eq(s[6], 4); /* rank 6 of 10 */
    cr_expect_eq(s[9], 5);
    cr_expect_eq(al_quintiles(v, 0, false, s), 0);
}

Test(value, every_score_pair_has_its_documented_segment)
{
    /* Rows r = 5..1, columns fm = 1..5 (f = m = fm). */
    static const al_segment map[5][5] = {
        {AL_SEG_NEW, AL_SEG_POTENTIAL_LOYALIST, AL_SEG_POTENTIAL_LOYALIST, AL_SEG_CHAMPIONS,
         AL_SEG_CHAMPIONS},
        {AL_SEG_PROMISING, AL_SEG_POTENTIAL_LOYALIST, AL_SEG_POTENTIAL_LOYALIST, AL_SEG_LOYAL,
         AL_SEG_LOYAL},
        {AL_SEG_ABOUT_TO_SLEEP, AL_SEG_ABOUT_TO_SLEEP, AL_SEG_NEED_ATTENTION, AL_SEG_LOYAL,
         AL_SEG_LOYAL},
        {AL_SEG_HIBERNATING, AL_SEG_HIBERNATING, AL_SEG_AT_RISK, AL_SEG_AT_RISK,
         AL_SEG_CANNOT_LOSE},
        {AL_SEG_LOST, AL_SEG_LOST, AL_SEG_AT_RISK, AL_SEG_AT_RISK, AL_SEG_CANNOT_LOSE},
    };
    for (int r = 5; r >= 1; r--)
        for (int fm = 1; fm <= 5; fm++)
            cr_expect_eq(al_rfm_segment(r, fm, fm), map[5 - r][fm - 1], "r %d fm %d: %s", r, fm,
                         al_segment_name(al_rfm_segment(r, fm, fm)));
    cr_expect_eq(al_rfm_segment(5, 4, 3), AL_SEG_CHAMPIONS, "fm = round((4 + 3) / 2) = 4");
    cr_expect_eq(al_rfm_segment(5, 1, 2), AL_SEG_POTENTIAL_LOYALIST, "fm = round(1.5) = 2");
    for (int s = 0; s < AL_SEG_COUNT; s++)
        cr_expect_eq(al_segment_by_name(al_segment_name((al_segment)s)), s);
    cr_expect_eq(al_segment_by_name("vip"), -1);
}

Test(value, concentration_top_shares_lorenz_and_gini)
{
    int64_t v[] = {5000, 0, 1000, 3000, 1000};
    static const int pct[] = {20, 40, 100};
    al_concentration c;
    al_concentration_of(v, 5, pct, 3, 5, &c);
    cr_expect_eq(c.total, 10000);
    cr_expect(fabs(c.top_share[0] - 0.5) < 1e-12);
    cr_expect(fabs(c.top_share[1] - 0.8) < 1e-12);
    cr_expect(fabs(c.top_share[2] - 1.0) < 1e-12);
    /* Ascending 0, 1000, 1000, 3000, 5000: Lorenz 0, 0, .1, .2, .5, 1. */
    static const double lorenz[] = {0, 0, 0.1, 0.2, 0.5, 1};
    for (int k = 0; k <= 5; k++)
        cr_expect(fabs(c.lorenz[k] - lorenz[k]) < 1e-12, "lorenz[%d] %f", k, c.lorenz[k]);
    /* 2 (2*1000 + 3*1000 + 4*3000 + 5*5000) / (5 * 10000) - 6/5 = 1.68 - 1.2 */
    cr_expect(fabs(c.gini - 0.48) < 1e-12, "gini %f", c.gini);
    int64_t equal[] = {7, 7, 7, 7};
    al_concentration_of(equal, 4, pct, 1, 4, &c);
    cr_expect(fabs(c.gini) < 1e-12);
    al_concentration_of(NULL, 0, pct, 1, 4, &c);
    cr_expect_eq(c.total, 0);
}

static al_history history(const al_purchase *p, size_t n)
{
    return (al_history){"m", p, n};
}

Test(value, calibration_merges_a_day_and_skips_the_first_purchase_in_m)
{
    al_purchase p[] = {
        {.day = 100, .spend = 500},  {.day = 100, .spend = 300},
        {.day = 114, .spend = 1000}, {.day = 114, .spend = 200},
        {.day = 128, .spend = 600},  {.day = 200, .spend = 9999}}; /* after calibration */
    al_history h = history(p, 6);
    al_rfm c;
    cr_assert(al_calibration_of(&h, 135, &c));
    cr_expect_eq(c.x, 2);
    cr_expect(fabs(c.tx - 4) < 1e-12);
    cr_expect(fabs(c.T - 5) < 1e-12);
    cr_expect(fabs(c.m - 900) < 1e-12, "(1200 + 600) / 2, the first day's 800 left out");
    cr_expect(!al_calibration_of(&h, 99, &c), "nothing bought by day 99");
}

Test(value, facts_and_lifecycle_stages)
{
    int32_t as_of = 1000;
    al_facts f;
    al_history h = history(NULL, 0);
    al_facts_of(&h, as_of, 365, &f);
    cr_expect_eq(al_lifecycle_stage(&f, as_of), AL_STAGE_NEW);

    al_purchase fresh[] = {{.day = 950, .spend = 100}};
    h = history(fresh, 1);
    al_facts_of(&h, as_of, 365, &f);
    cr_expect_eq(al_lifecycle_stage(&f, as_of), AL_STAGE_NEW);

    al_purchase gone[] = {{.day = 600, .spend = 100}, {.day = 820, .spend = 100}};
    h = history(gone, 2);
    al_facts_of(&h, as_of, 365, &f);
    cr_expect_eq(al_lifecycle_stage(&f, as_of), AL_STAGE_LAPSED, "180 days since: lapsed");
    gone[1].day = 821;
    al_facts_of(&h, as_of, 365, &f);
    cr_expect_eq(al_lifecycle_stage(&f, as_of), AL_STAGE_DECLINING, "179 days: not yet");

    /*
     * Pace: 4000 over the 311 days from the first purchase (day 600) to the
     * recent quarter, 1157.6 a quarter: growing from 1.25 times (1447),
     * declining up to 0.75 times (868).
     */
    al_purchase steady[] = {{.day = 600, .spend = 4000}, {.day = 950, .spend = 1446}};
    h = history(steady, 2);
    al_facts_of(&h, as_of, 365, &f);
    cr_expect_eq(f.prior_spend, 4000);
    cr_expect_eq(f.recent_spend, 1446);
    cr_expect_eq(f.window_days, 1, "day 600 is out of a 365-day window");
    cr_expect_eq(al_lifecycle_stage(&f, as_of), AL_STAGE_MATURE);
    steady[1].spend = 1447;
    al_facts_of(&h, as_of, 365, &f);
    cr_expect_eq(al_lifecycle_stage(&f, as_of), AL_STAGE_GROWING);
    steady[1].spend = 868;
    al_facts_of(&h, as_of, 365, &f);
    cr_expect_eq(al_lifecycle_stage(&f, as_of), AL_STAGE_DECLINING);
    steady[1].spend = 869;
    al_facts_of(&h, as_of, 365, &f);
    cr_expect_eq(al_lifecycle_stage(&f, as_of), AL_STAGE_MATURE);
    cr_expect_str_eq(al_stage_name(AL_STAGE_LAPSED), "lapsed");
}

Test(value, dates)
{
    cr_expect_eq(al_day_parse("1970-01-01"), 0);
    cr_expect_eq(al_day_parse("2024-02-29"), 19782);
    cr_expect_eq(al_day_parse("2023-02-29"), -1);
    cr_expect_eq(al_day_parse("2000-+4-10"), -1);
    cr_expect_eq(al_day_parse("2024-1-01"), -1);
    cr_expect_eq(al_day_parse("2024-01-01T"), -1);
    cr_expect_eq(al_day_parse("1969-12-31"), -1);
    char out[11];
    al_day_format(19782, out);
    cr_expect_str_eq(out, "2024-02-29");
}

Test(value, sums_past_2_63_are_flagged_not_wrapped)
{
    int64_t v[] = {INT64_MAX / 2 + 1, INT64_MAX / 2 + 1};
    static const int pct[] = {50};
    al_concentration c;
    al_concentration_of(v, 2, pct, 1, 4, &c);
    cr_expect_not(c.fits);
    int64_t ok[] = {1, 2};
    al_concentration_of(ok, 2, pct, 1, 4, &c);
    cr_expect(c.fits);
    cr_expect_eq(c.total, 3);

    al_purchase p[] = {{.day = 10, .spend = INT64_MAX / 2 + 1},
                       {.day = 11, .spend = INT64_MAX / 2 + 1}};
    al_history h = {.p = p, .n = 2};
    al_facts f;
    al_facts_of(&h, 20, 365, &f);
    cr_expect(f.overflow);
    h.n = 1;
    al_facts_of(&h, 20, 365, &f);
    cr_expect_not(f.overflow);
}
