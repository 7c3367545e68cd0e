/*
 * The report formulas that live beside the measures (analytics/value.c):
 * yearly value (value at risk), the long-gap rule of churn, and affinity's
 * pair counts and lift, on the hand-worked case of docs/analytics.md.
 */
#include <string.h>

#include <criterion/criterion.h>

#include "analytics/value.h"

Test(formulas, yearly_value)
{
    al_facts f = {.first_day = 1000, .last_day = 1500, .spend = 73000};
    /* 73,000 over 731 days (1000..1730): 36,450 a year. */
    cr_expect_eq(al_yearly_value(&f, 1730), (int64_t)73000 * 365 / 731);
    /* A member of less than a year counts as a year: no inflated value. */
    f.first_day = 1700;
    cr_expect_eq(al_yearly_value(&f, 1730), 73000);
}

Test(formulas, long_gap_is_past_factor_times_the_usual_gap)
{
    /* 3 repeat purchases over 90 days: the usual gap is 30 days. */
    al_facts f = {.first_day = 1000, .last_day = 1090};
    cr_expect(!al_long_gap(&f, 3, 1090 + 60, 2.0), "exactly twice the usual gap is not long");
    cr_expect(al_long_gap(&f, 3, 1090 + 61, 2.0));
    cr_expect(!al_long_gap(&f, 3, 1090 + 89, 3.0));
    cr_expect(al_long_gap(&f, 3, 1090 + 91, 3.0));
}

static void buy(al_purchase *p, int32_t day, uint32_t partner)
{
    memset(p, 0, sizeof(*p));
    p->day = day;
    p->partner = partner;
    p->spend = 100;
}

Test(formulas, affinity_counts_and_lift)
{
    /*
     * u1 A B, u2 A B, u3 A, u4 B C, u5 C, u6 A B C (A=0, B=1, C=2), and u7 at
     * A outside the window: N 6, A 4, B 4, C 3; AB 3 (lift 3 * 6 / 16 =
     * 1.125), BC 2 (1.0), AC 1 (0.5).
     */
    static const uint32_t who[][3] = {{0, 1, 9}, {0, 1, 9}, {0, 9, 9}, {1, 2, 9},
                                      {2, 9, 9}, {0, 1, 2}, {0, 9, 9}};
    const size_t np = 3;
    uint8_t seen[3] = {0};
    uint32_t list[3];
    int64_t at[3] = {0}, pair[9] = {0}, active = 0;
    for (size_t m = 0; m < 7; m++) {
        al_purchase p[4];
        size_t n = 0;
        for (size_t k = 0; k < 3; k++)
            if (who[m][k] != 9)
                buy(&p[n++], m == 6 ? 100 : 495, who[m][k]);
        buy(&p[n++], 499, who[m][0]); /* a second purchase at a partner already seen */
        al_history h = {.member = "m", .p = p, .n = n};
        al_affinity_add(&h, 500, 30, np, seen, list, at, pair, &active);
    }
    cr_expect_eq(active, 7, "u7's second purchase is in the window");
    /* u7 counts at A through its purchase on day 499 only. */
    cr_expect_eq(at[0], 5);
    cr_expect_eq(at[1], 4);
    cr_expect_eq(at[2], 3);
    cr_expect_eq(pair[0 * 3 + 1], 3);
    cr_expect_eq(pair[1 * 3 + 2], 2);
    cr_expect_eq(pair[0 * 3 + 2], 1);
    cr_expect(memcmp(seen, (uint8_t[3]){0}, 3) == 0, "the scratch space is left clean");
    /* The documented case, without u7. */
    cr_expect_float_eq(al_lift(3, 6, 4, 4), 1.125, 1e-12);
    cr_expect_float_eq(al_lift(2, 6, 4, 3), 1.0, 1e-12);
    cr_expect_float_eq(al_lift(1, 6, 4, 3), 0.5, 1e-12);
    cr_expect_float_eq(al_lift(0, 6, 0, 3), 0.0, 1e-12, "nobody at a: no lift");
}

Test(formulas, rfm_scores_rank_only_who_bought_in_the_window)
{
    /*
     * Five members bought in the window (recency 10..50, frequency 5..1,
     * spend 500..100); two did not, one of them with a recency of 28 years.
     * The buyers take the five scores; the others score 1, 1, 1: lost.
     */
    int64_t recency[] = {10, 20, 30, 40, 50, 400, 10389};
    int64_t frequency[] = {5, 4, 3, 2, 1, 0, 0};
    int64_t monetary[] = {500, 400, 300, 200, 100, 0, 0};
    enum { N = 7 };
    uint8_t score[3 * N];
    cr_assert_eq(al_rfm_scores(recency, frequency, monetary, N, score), 0);
    for (int i = 0; i < 5; i++) {
        cr_expect_eq(score[i], 5 - i, "r of buyer %d", i);
        cr_expect_eq(score[N + i], 5 - i, "f of buyer %d", i);
        cr_expect_eq(score[2 * N + i], 5 - i, "m of buyer %d", i);
    }
    for (int i = 5; i < N; i++) {
        cr_expect_eq(score[i], 1);
        cr_expect_eq(score[N + i], 1);
        cr_expect_eq(score[2 * N + i], 1);
        cr_expect_eq(al_rfm_segment(score[i], score[N + i], score[2 * N + i]), AL_SEG_LOST);
    }
    /* Nobody bought in the window: everyone is lost, nobody new. */
    int64_t none[] = {0, 0, 0};
    int64_t old[] = {9000, 10000, 10389};
    uint8_t s3[9];
    cr_assert_eq(al_rfm_scores(old, none, none, 3, s3), 0);
    for (int i = 0; i < 3; i++)
        cr_expect_eq(al_rfm_segment(s3[i], s3[3 + i], s3[6 + i]), AL_SEG_LOST);
}
