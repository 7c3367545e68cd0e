/*
 * Writes a purchase history for `make bench-analytics`, as tab-separated rows
 * of the transactions table for LOAD DATA, drawn from the BG/NBD and
 * Gamma-Gamma stories themselves: each member makes a first purchase on a day
 * of 2023-2024, then buys at a rate lambda ~ Gamma(2, 1/4) a week and after
 * each purchase leaves with probability p ~ Beta(2, 36); each purchase's value
 * is Gamma(6, nu) with nu ~ Gamma(4, 0.0003) per member (minor units), at one of
 * the member's two usual partners (of 20). The history ends on 2025-12-31.
 *
 *   gen_history TENANT MEMBERS TARGET_TRANSACTIONS
 *
 * stops after TARGET_TRANSACTIONS rows (the last members may then have none).
 */
#include <inttypes.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static uint64_t state = 0x9E3779B97F4A7C15ull;

static double uniform(void) /* (0, 1) */
{
    state ^= state >> 12;
    state ^= state << 25;
    state ^= state >> 27;
    return ((double)((state * 2685821657736338717ull) >> 11) + 0.5) / 9007199254740992.0;
}

/* Marsaglia and Tsang's method; shape k > 0, scale theta. */
static double gamma_draw(double k, double theta)
{
    if (k < 1)
        return gamma_draw(k + 1, theta) * pow(uniform(), 1 / k);
    double d = k - 1.0 / 3, c = 1 / sqrt(9 * d);
    for (;;) {
        double x, v;
        do {
            double u1 = uniform(), u2 = uniform();
            x = sqrt(-2 * log(u1)) * cos(2 * M_PI * u2);
            v = 1 + c * x;
        } while (v <= 0);
        v = v * v * v;
        double u = uniform();
        if (log(u) < 0.5 * x * x + d - d * v + d * log(v))
            return d * v * theta;
    }
}

static double beta_draw(double a, double b)
{
    double x = gamma_draw(a, 1), y = gamma_draw(b, 1);
    return x / (x + y);
}

int main(int argc, char **argv)
{
    if (argc != 4) {
        fprintf(stderr, "usage: %s TENANT MEMBERS TARGET_TRANSACTIONS\n", argv[0]);
        return 2;
    }
    const char *tenant = argv[1];
    long members = atol(argv[2]), target = atol(argv[3]), rows = 0;
    const double end_day = 3 * 365;   /* 2023-01-01 + 1095 days = 2025-12-31 */
    const time_t origin = 1672531200; /* 2023-01-01T00:00:00Z */
    for (long m = 0; m < members && rows < target; m++) {
        double lambda = gamma_draw(2.0, 1 / 4.0); /* purchases a week: mean 0.5 */
        double p = beta_draw(2.0, 36.0);
        double nu = gamma_draw(4.0, 0.0003); /* a purchase: 6 / nu, about 50.00 */
        int fav[2] = {(int)(uniform() * 20), (int)(uniform() * 20)};
        double day = uniform() * 730;
        for (long k = 0; day < end_day && rows < target; k++) {
            int64_t amount = (int64_t)llround(gamma_draw(6.0, 1 / nu));
            if (amount < 1)
                amount = 1;
            time_t t = origin + (time_t)(day * 86400);
            struct tm tm;
            gmtime_r(&t, &tm);
            char when[32];
            strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S", &tm);
            int64_t points = amount / 100;
            printf("%s\tp%02d\tt%010ld\tm%07ld\t0\t%" PRId64 "\t%" PRId64 "\tCNY\t%s\t%" PRId64
                   "\n",
                   tenant, fav[uniform() < 0.7 ? 0 : 1], rows, m, points, amount, when, points);
            rows++;
            if (k > 0 && uniform() < p)
                break; /* left after this purchase */
            day += -log(uniform()) / lambda * 7;
        }
    }
    fprintf(stderr, "%ld transactions\n", rows);
    return 0;
}
