/*
 * Customer lifetime value models, fitted by maximum likelihood: BG/NBD
 * (Fader, Hardie & Lee 2005, "Counting your customers the easy way") for the
 * number of repeat purchases, and Gamma-Gamma for their value. Pure numerics:
 * log-gamma from the C library, a Nelder-Mead simplex on the parameters' logs.
 * docs/analytics.md describes them and their stopping rule.
 */
#ifndef AL_CLV_H
#define AL_CLV_H

#include <stddef.h>

/* One customer's calibration history, in weeks. */
typedef struct al_rfm {
    double x;  /* repeat purchases (distinct purchase days - 1) */
    double tx; /* weeks from the first to the last purchase */
    double T;  /* weeks from the first purchase to the end of calibration */
    double m;  /* mean value of the repeat purchases (0 when x = 0) */
} al_rfm;

typedef struct al_bgnbd {
    double r, alpha, a, b;
    double ll; /* log-likelihood at the fit */
    int iterations;
} al_bgnbd;

typedef struct al_gg {
    double p, q, gamma;
    double ll;
    int iterations;
} al_gg;

/* Fits BG/NBD by maximum likelihood; 0, or -1 when it did not converge. */
int al_bgnbd_fit(const al_rfm *d, size_t n, al_bgnbd *out);

/* Fits Gamma-Gamma on the customers with x > 0; 0, or -1. */
int al_gg_fit(const al_rfm *d, size_t n, al_gg *out);

/* The Gauss hypergeometric function 2F1(a, b; c; z) for 0 <= z < 1, by its series. */
double al_hyp2f1(double a, double b, double c, double z);

/* P(alive) of a customer with this history under the fit (FHL 2005, eq. 11). */
double al_bgnbd_p_alive(const al_bgnbd *m, const al_rfm *c);

/* Expected purchases in the next t weeks of a customer with this history (FHL 2005, eq. 10). */
double al_bgnbd_expected(const al_bgnbd *m, const al_rfm *c, double t);

/* Expected mean purchase value of a customer (Gamma-Gamma: the population mean if x = 0). */
double al_gg_expected_value(const al_gg *m, const al_rfm *c);

/*
 * Discounted CLV over the next horizon_weeks: the sum over weeks w of the
 * purchases expected in week w (E[Y(w)] - E[Y(w-1)]) times the expected value,
 * discounted at annual_discount compounded weekly ((1 + d)^(w / 52)).
 */
double al_clv(const al_bgnbd *m, const al_gg *g, const al_rfm *c, int horizon_weeks,
              double annual_discount);

/* One member's scores. */
typedef struct al_clv_member {
    double p_alive;
    double expected_purchases; /* over the horizon */
    double expected_value;     /* of a purchase (Gamma-Gamma) */
    double clv;                /* discounted, over the horizon */
} al_clv_member;

/*
 * Scores n members as al_bgnbd_p_alive, al_bgnbd_expected, al_gg_expected_value
 * and al_clv would, computing the purchase counts once per distinct (x, tx, T).
 * 0, or -1 without memory.
 */
int al_clv_score(const al_bgnbd *m, const al_gg *g, const al_rfm *d, size_t n, int horizon_weeks,
                 double annual_discount, al_clv_member *out);

/*
 * Minimises f over k <= 8 variables from start with a Nelder-Mead simplex;
 * stops when the simplex's values span less than tol (relative) or after
 * max_iter iterations; restarts once from the best point. Returns the
 * iterations used, or -1 when max_iter ran out.
 */
int al_nelder_mead(double (*f)(const double *v, void *ctx), void *ctx, double *v, int k, double tol,
                   int max_iter);

#endif
