/* CLV models; see clv.h. */
#include "analytics/clv.h"

#include <math.h>
#include <stdbool.h>
#include <string.h>

double al_bgnbd_ll(const al_rfm *d, size_t n, double r, double alpha, double a, double b)
{
    double ll = 0;
    double base = -lgamma(r) + r * log(alpha) + lgamma(a + b) - lgamma(b);
    for (size_t i = 0; i < n; i++) {
        double x = d[i].x;
        double a1 = lgamma(r + x) + base + lgamma(b + x) - lgamma(a + b + x);
        double a3 = -(r + x) * log(alpha + d[i].T);
        if (x > 0) {
            double a4 = log(a) - log(b + x - 1) - (r + x) * log(alpha + d[i].tx);
            double hi = a3 > a4 ? a3 : a4;
            ll += a1 + hi + log(exp(a3 - hi) + exp(a4 - hi));
        } else {
            ll += a1 + a3;
        }
    }
    return ll;
}

double al_gg_ll(const al_rfm *d, size_t n, double p, double q, double gamma)
{
    double ll = 0;
    for (size_t i = 0; i < n; i++) {
        double x = d[i].x, m = d[i].m;
        if (x <= 0 || m <= 0)
            continue;
        ll += lgamma(p * x + q) - lgamma(p * x) - lgamma(q) + q * log(gamma) +
              (p * x - 1) * log(m) + p * x * log(x) - (p * x + q) * log(gamma + m * x);
    }
    return ll;
}

int al_nelder_mead(double (*f)(const double *v, void *ctx), void *ctx, double *v, int k, double tol,
                   int max_iter)
{
    double s[9][8] = {{0}}, fs[9] = {0}, c[8] = {0}, xr[8] = {0}, xe[8] = {0};
    if (k < 1 || k > 8)
        return -1;
    int used = 0;
    for (int round = 0; round < 2; round++) {
        for (int i = 0; i <= k; i++) {
            memcpy(s[i], v, sizeof(double) * (size_t)k);
            if (i > 0)
                s[i][i - 1] += 0.5;
            fs[i] = f(s[i], ctx);
        }
        for (;;) {
            /* Order: s[0] best, s[k] worst. */
            for (int i = 1; i <= k; i++)
                for (int j = i; j > 0 && fs[j] < fs[j - 1]; j--) {
                    double t = fs[j];
                    fs[j] = fs[j - 1];
                    fs[j - 1] = t;
                    for (int m = 0; m < k; m++) {
                        t = s[j][m];
                        s[j][m] = s[j - 1][m];
                        s[j - 1][m] = t;
                    }
                }
            if (fabs(fs[k] - fs[0]) <= tol * (fabs(fs[0]) + tol) || used >= max_iter)
                break;
            used++;
            for (int m = 0; m < k; m++) {
                c[m] = 0;
                for (int i = 0; i < k; i++)
                    c[m] += s[i][m] / k;
                xr[m] = c[m] + (c[m] - s[k][m]);
            }
            double fr = f(xr, ctx);
            if (fr < fs[0]) {
                for (int m = 0; m < k; m++)
                    xe[m] = c[m] + 2 * (xr[m] - c[m]);
                double fe = f(xe, ctx);
                memcpy(s[k], fe < fr ? xe : xr, sizeof(double) * (size_t)k);
                fs[k] = fe < fr ? fe : fr;
            } else if (fr < fs[k - 1]) {
                memcpy(s[k], xr, sizeof(double) * (size_t)k);
                fs[k] = fr;
            } else {
                bool outside = fr < fs[k];
                for (int m = 0; m < k; m++)
                    xe[m] = outside ? c[m] + 0.5 * (xr[m] - c[m]) : c[m] + 0.5 * (s[k][m] - c[m]);
                double fc = f(xe, ctx);
                if (fc < (outside ? fr : fs[k])) {
                    memcpy(s[k], xe, sizeof(double) * (size_t)k);
                    fs[k] = fc;
                } else {
                    for (int i = 1; i <= k; i++) {
                        for (int m = 0; m < k; m++)
                            s[i][m] = s[0][m] + 0.5 * (s[i][m] - s[0][m]);
                        fs[i] = f(s[i], ctx);
                    }
                }
            }
        }
        memcpy(v, s[0], sizeof(double) * (size_t)k);
    }
    return used >= max_iter ? -1 : used;
}

typedef struct {
    const al_rfm *d;
    size_t n;
} data_t;

/* Parameters travel as logs, so the simplex never leaves the positive reals. */
static double bgnbd_cost(const double *v, void *ctx)
{
    const data_t *c = ctx;
    double ll = al_bgnbd_ll(c->d, c->n, exp(v[0]), exp(v[1]), exp(v[2]), exp(v[3]));
    return isfinite(ll) ? -ll : 1e300;
}

static double gg_cost(const double *v, void *ctx)
{
    const data_t *c = ctx;
    double ll = al_gg_ll(c->d, c->n, exp(v[0]), exp(v[1]), exp(v[2]));
    return isfinite(ll) ? -ll : 1e300;
}

int al_bgnbd_fit(const al_rfm *d, size_t n, al_bgnbd *out)
{
    data_t c = {d, n};
    double v[4] = {0, 0, 0, 0}; /* r = alpha = a = b = 1 */
    int it = al_nelder_mead(bgnbd_cost, &c, v, 4, 1e-14, 20000);
    out->r = exp(v[0]);
    out->alpha = exp(v[1]);
    out->a = exp(v[2]);
    out->b = exp(v[3]);
    out->ll = al_bgnbd_ll(d, n, out->r, out->alpha, out->a, out->b);
    out->iterations = it;
    return it < 0 ? -1 : 0;
}

int al_gg_fit(const al_rfm *d, size_t n, al_gg *out)
{
    data_t c = {d, n};
    double v[3] = {0, 0, 0};
    int it = al_nelder_mead(gg_cost, &c, v, 3, 1e-14, 20000);
    out->p = exp(v[0]);
    out->q = exp(v[1]);
    out->gamma = exp(v[2]);
    out->ll = al_gg_ll(d, n, out->p, out->q, out->gamma);
    out->iterations = it;
    return it < 0 ? -1 : 0;
}

double al_hyp2f1(double a, double b, double c, double z)
{
    double term = 1, sum = 1;
    for (int j = 0; j < 100000; j++) {
        term *= (a + j) * (b + j) / ((c + j) * (j + 1)) * z;
        sum += term;
        if (fabs(term) < 1e-15 * fabs(sum))
            break;
    }
    return sum;
}

/* 1 + [x > 0] a / (b + x - 1) ((alpha + T) / (alpha + tx))^(r + x): the odds of having died. */
static double death_odds(const al_bgnbd *m, const al_rfm *c)
{
    if (c->x <= 0)
        return 1;
    return 1 + m->a / (m->b + c->x - 1) *
                   exp((m->r + c->x) * (log(m->alpha + c->T) - log(m->alpha + c->tx)));
}

double al_bgnbd_p_alive(const al_bgnbd *m, const al_rfm *c)
{
    return 1 / death_odds(m, c);
}

double al_bgnbd_expected(const al_bgnbd *m, const al_rfm *c, double t)
{
    double rx = m->r + c->x, z = t / (m->alpha + c->T + t);
    double head = (m->a + m->b + c->x - 1) / (m->a - 1);
    double tail = 1 - exp(rx * (log(m->alpha + c->T) - log(m->alpha + c->T + t))) *
                          al_hyp2f1(rx, m->b + c->x, m->a + m->b + c->x - 1, z);
    return head * tail / death_odds(m, c);
}

double al_gg_expected_value(const al_gg *m, const al_rfm *c)
{
    /* p (gamma + x m) / (p x + q - 1): between the population's p gamma / (q - 1) and m. */
    double px = m->p * c->x;
    return m->p * (m->gamma + c->x * c->m) / (px + m->q - 1);
}

double al_clv(const al_bgnbd *m, const al_gg *g, const al_rfm *c, int horizon_weeks,
              double annual_discount)
{
    double value = al_gg_expected_value(g, c), clv = 0, before = 0;
    for (int w = 1; w <= horizon_weeks; w++) {
        double upto = al_bgnbd_expected(m, c, w);
        clv += (upto - before) * value / pow(1 + annual_discount, w / 52.0);
        before = upto;
    }
    return clv;
}
