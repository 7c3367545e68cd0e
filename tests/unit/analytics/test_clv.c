/*
 * The CLV numerics against the literature: the CDNOW sample, prepared as its
 * README says, must give Fader, Hardie & Lee's BG/NBD fit (r 0.243, alpha
 * 4.414, a 0.793, b 2.426, log-likelihood -9582.4) and Gamma-Gamma fit
 * (p 6.25, q 3.74, gamma 15.44) to the precision they print.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <criterion/criterion.h>

#include "analytics/clv.h"

#define CDNOW ALLIANCE_SOURCE_DIR "/tests/unit/analytics/data/CDNOW_sample.txt"

/* Days since 1970 of a yyyymmdd date. */
static long day_of(long ymd)
{
    struct tm tm = {0};
    tm.tm_year = (int)(ymd / 10000) - 1900;
    tm.tm_mon = (int)(ymd / 100 % 100) - 1;
    tm.tm_mday = (int)(ymd % 100);
    return (long)(timegm(&tm) / 86400);
}

/* Prepares the sample: calibration ends 1997-09-30 inclusive; weeks; repeat days only. */
static size_t load(al_rfm *out, size_t max)
{
    FILE *f = fopen(CDNOW, "r");
    cr_assert(f != NULL, "cannot open %s", CDNOW);
    long id, sample, ymd, cds, last_id = -1, first = 0, last = 0, prev_day = -1;
    double value, day_total = 0, repeat_sum = 0;
    long end = day_of(19970930) + 1; /* the end of calibration: midnight after Sep 30 */
    size_t n = 0;
    int repeat_days = 0;
    for (;;) {
        int got = fscanf(f, "%ld %ld %ld %ld %lf", &id, &sample, &ymd, &cds, &value);
        long day = got == 5 ? day_of(ymd) : 0;
        bool flush_day = prev_day >= 0 && (got != 5 || id != last_id || day != prev_day);
        if (flush_day && prev_day < end) {
            if (prev_day != first) {
                repeat_days++;
                repeat_sum += day_total;
            }
            last = prev_day;
        }
        if (flush_day)
            day_total = 0;
        if (got != 5 || id != last_id) {
            if (last_id >= 0) {
                cr_assert_lt(n, max);
                out[n].x = repeat_days;
                out[n].tx = (double)(last - first) / 7.0;
                out[n].T = (double)(end - 1 - first) / 7.0;
                out[n].m = repeat_days ? repeat_sum / repeat_days : 0;
                n++;
            }
            if (got != 5)
                break;
            last_id = id;
            first = day;
            last = day;
            repeat_days = 0;
            repeat_sum = 0;
        }
        if (day < end)
            day_total += value;
        prev_day = day;
    }
    fclose(f);
    return n;
}

static al_rfm data[3000];

Test(clv, bgnbd_fit_agrees_with_fader_hardie_lee_on_cdnow, .timeout = 60)
{
    size_t n = load(data, sizeof(data) / sizeof(data[0]));
    cr_assert_eq(n, 2357, "customers: %zu", n);
    al_bgnbd fit;
    cr_assert_eq(al_bgnbd_fit(data, n, &fit), 0, "no convergence");
    cr_log_info("BG/NBD r %.4f alpha %.4f a %.4f b %.4f LL %.2f in %d iterations", fit.r, fit.alpha,
                fit.a, fit.b, fit.ll, fit.iterations);
    cr_expect(fabs(fit.r - 0.243) < 0.0005, "r %.5f", fit.r);
    cr_expect(fabs(fit.alpha - 4.414) < 0.0005, "alpha %.5f", fit.alpha);
    cr_expect(fabs(fit.a - 0.793) < 0.0005, "a %.5f", fit.a);
    cr_expect(fabs(fit.b - 2.426) < 0.0005, "b %.5f", fit.b);
    cr_expect(fabs(fit.ll - -9582.4) < 0.05, "LL %.3f", fit.ll);
}

Test(clv, gamma_gamma_fit_agrees_on_cdnow, .timeout = 60)
{
    size_t n = load(data, sizeof(data) / sizeof(data[0]));
    al_gg fit;
    cr_assert_eq(al_gg_fit(data, n, &fit), 0, "no convergence");
    cr_log_info("Gamma-Gamma p %.4f q %.4f gamma %.4f LL %.2f", fit.p, fit.q, fit.gamma, fit.ll);
    cr_expect(fabs(fit.p - 6.25) < 0.005, "p %.4f", fit.p);
    cr_expect(fabs(fit.q - 3.74) < 0.005, "q %.4f", fit.q);
    cr_expect(fabs(fit.gamma - 15.44) < 0.005, "gamma %.4f", fit.gamma);
}

static double rosenbrock(const double *p, void *ctx)
{
    (void)ctx;
    return 100 * (p[1] - p[0] * p[0]) * (p[1] - p[0] * p[0]) + (1 - p[0]) * (1 - p[0]);
}

Test(clv, nelder_mead_finds_a_known_minimum)
{
    double v[2] = {-1.2, 1};
    cr_assert_geq(al_nelder_mead(rosenbrock, NULL, v, 2, 1e-16, 20000), 0);
    cr_expect(fabs(v[0] - 1) < 1e-4 && fabs(v[1] - 1) < 1e-4, "%.6f %.6f", v[0], v[1]);
}

Test(clv, conditional_expectations)
{
    al_bgnbd m = {.r = 0.243, .alpha = 4.414, .a = 0.793, .b = 2.426};
    /* The worked example of Fader, Hardie & Lee's Excel note: x 2, tx 30.43, T 38.86. */
    al_rfm c = {.x = 2, .tx = 30.43, .T = 38.86};
    double e = al_bgnbd_expected(&m, &c, 39);
    cr_log_info("E[Y(39)] %.4f P(alive) %.4f", e, al_bgnbd_p_alive(&m, &c));
    cr_expect(fabs(e - 1.226) < 0.001, "E[Y(39)] %.4f", e);
    al_rfm never = {.x = 0, .tx = 0, .T = 38.86};
    cr_expect_eq(al_bgnbd_p_alive(&m, &never), 1.0, "no repeat purchase: alive by the model");
    al_rfm lapsed = {.x = 5, .tx = 5, .T = 38.86};
    cr_expect_lt(al_bgnbd_p_alive(&m, &lapsed), 0.5, "bought often, then stopped");
    cr_expect(fabs(al_hyp2f1(1, 1, 2, 0.5) - 2 * log(2.0)) < 1e-12, "2F1(1,1;2;z) = -ln(1-z)/z");
    al_gg g = {.p = 6.25, .q = 3.74, .gamma = 15.44};
    al_rfm buyer = {.x = 3, .m = 40};
    double v = al_gg_expected_value(&g, &buyer);
    cr_expect(v > 35 && v < 40, "shrunk toward the population mean: %.2f", v);
}

Test(clv, discounted_value)
{
    al_bgnbd m = {.r = 0.243, .alpha = 4.414, .a = 0.793, .b = 2.426};
    al_gg g = {.p = 6.25, .q = 3.74, .gamma = 15.44};
    al_rfm c = {.x = 2, .tx = 30.43, .T = 38.86, .m = 30};
    double value = al_gg_expected_value(&g, &c);
    double undiscounted = al_clv(&m, &g, &c, 39, 0);
    cr_expect(fabs(undiscounted - al_bgnbd_expected(&m, &c, 39) * value) < 1e-9,
              "no discount: purchases x value (%.6f)", undiscounted);
    double discounted = al_clv(&m, &g, &c, 39, 0.15);
    cr_expect_lt(discounted, undiscounted);
    cr_expect_gt(discounted, 0.9 * undiscounted, "39 weeks at 15%% a year: a mild discount");
    cr_expect_gt(al_clv(&m, &g, &c, 104, 0.15), discounted, "a longer horizon is worth more");
    cr_expect_eq(al_clv(&m, &g, &c, 0, 0.15), 0.0);
}
