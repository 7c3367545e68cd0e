/* CLV models; see clv.h. */
#include "analytics/clv.h"

#include <math.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

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

/*
 * The fits' working form: members with the same (x, tx, T) (for Gamma-Gamma
 * the same (x, m)) merged into one row with a weight, and every logarithm
 * that does not depend on the parameters, or depends on them only through a
 * distinct x, T or tx, taken once per distinct value rather than per member:
 * a million members then cost a few distinct values and one exp and one log
 * per distinct row for each evaluation.
 */
typedef struct {
    double x, w;
    size_t ix, iT, itx; /* indexes into the distinct x, T and tx values */
} row_t;

typedef struct {
    row_t *rows;
    size_t n;
    double *xs, *Ts, *txs; /* distinct values, ascending */
    size_t nx, nT, ntx;
    double *lx, *lT, *ltx; /* per-evaluation tables, one entry a distinct value */
    double *lm, *lxv;      /* Gamma-Gamma: log m and log x of each row */
} fit_data;

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Sorted distinct values of field (offset) of d: count, or 0 without memory. */
static size_t distinct(const al_rfm *d, size_t n, size_t offset, double **out)
{
    double *v = malloc((n ? n : 1) * sizeof(*v));
    if (v == NULL)
        return 0;
    for (size_t i = 0; i < n; i++)
        memcpy(&v[i], (const char *)&d[i] + offset, sizeof(double));
    qsort(v, n, sizeof(*v), cmp_double);
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        if (k == 0 || v[i] != v[k - 1])
            v[k++] = v[i];
    *out = v;
    return k;
}

static size_t index_of(const double *v, size_t n, double key)
{
    size_t lo = 0, hi = n;
    while (lo + 1 < hi) {
        size_t mid = (lo + hi) / 2;
        if (v[mid] <= key)
            lo = mid;
        else
            hi = mid;
    }
    return lo;
}

static int by_tuple(const void *a, const void *b)
{
    const al_rfm *x = a, *y = b;
    if (x->x != y->x)
        return x->x < y->x ? -1 : 1;
    if (x->tx != y->tx)
        return x->tx < y->tx ? -1 : 1;
    if (x->T != y->T)
        return x->T < y->T ? -1 : 1;
    return (x->m > y->m) - (x->m < y->m);
}

static void fit_data_free(fit_data *f)
{
    free(f->rows);
    free(f->xs);
    free(f->Ts);
    free(f->txs);
    free(f->lx);
    free(f->lT);
    free(f->ltx);
    free(f->lm);
    free(f->lxv);
    memset(f, 0, sizeof(*f));
}

/*
 * Builds the working form of d: for BG/NBD rows keyed by (x, tx, T); for
 * Gamma-Gamma (gg) only the repeat buyers with m > 0, keyed by (x, m), with
 * m carried in the tx slot. 0, or -1 without memory.
 */
static int fit_data_make(const al_rfm *d, size_t n, bool gg, fit_data *f)
{
    memset(f, 0, sizeof(*f));
    al_rfm *s = malloc((n ? n : 1) * sizeof(*s));
    if (s == NULL)
        return -1;
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        if (gg && (d[i].x <= 0 || d[i].m <= 0))
            continue;
        s[k] = d[i];
        if (gg) {
            s[k].tx = d[i].m;
            s[k].T = 0;
        }
        s[k++].m = 0;
    }
    qsort(s, k, sizeof(*s), by_tuple);
    f->rows = malloc((k ? k : 1) * sizeof(*f->rows));
    f->nx = distinct(s, k, offsetof(al_rfm, x), &f->xs);
    f->nT = distinct(s, k, offsetof(al_rfm, T), &f->Ts);
    f->ntx = distinct(s, k, offsetof(al_rfm, tx), &f->txs);
    f->lx = malloc((f->nx + 1) * 4 * sizeof(double));
    f->lT = malloc((f->nT + 1) * sizeof(double));
    f->ltx = malloc((f->ntx + 1) * sizeof(double));
    if (f->rows == NULL || f->lx == NULL || f->lT == NULL || f->ltx == NULL ||
        (k > 0 && (f->xs == NULL || f->Ts == NULL || f->txs == NULL))) {
        free(s);
        fit_data_free(f);
        return -1;
    }
    for (size_t i = 0; i < k; i++) {
        if (f->n > 0 && by_tuple(&s[i], &s[i - 1]) == 0) {
            f->rows[f->n - 1].w += 1;
            continue;
        }
        f->rows[f->n++] = (row_t){.x = s[i].x,
                                  .w = 1,
                                  .ix = index_of(f->xs, f->nx, s[i].x),
                                  .iT = index_of(f->Ts, f->nT, s[i].T),
                                  .itx = index_of(f->txs, f->ntx, s[i].tx)};
    }
    free(s);
    if (gg) {
        f->lm = malloc((f->n ? f->n : 1) * sizeof(double));
        f->lxv = malloc((f->n ? f->n : 1) * sizeof(double));
        if (f->lm == NULL || f->lxv == NULL) {
            fit_data_free(f);
            return -1;
        }
        for (size_t i = 0; i < f->n; i++) {
            f->lm[i] = log(f->txs[f->rows[i].itx]);
            f->lxv[i] = log(f->rows[i].x);
        }
    }
    return 0;
}

static double bgnbd_ll_fast(fit_data *f, double r, double alpha, double a, double b)
{
    double base = -lgamma(r) + r * log(alpha) + lgamma(a + b) - lgamma(b), la = log(a);
    /* Per distinct x: lgamma terms and log(a / (b + x - 1)); per distinct T and tx: logs. */
    for (size_t i = 0; i < f->nx; i++) {
        double x = f->xs[i];
        f->lx[4 * i] = lgamma(r + x) + base + lgamma(b + x) - lgamma(a + b + x);
        f->lx[4 * i + 1] = x > 0 ? la - log(b + x - 1) : 0;
    }
    for (size_t i = 0; i < f->nT; i++)
        f->lT[i] = log(alpha + f->Ts[i]);
    for (size_t i = 0; i < f->ntx; i++)
        f->ltx[i] = log(alpha + f->txs[i]);
    double ll = 0;
    for (size_t i = 0; i < f->n; i++) {
        const row_t *w = &f->rows[i];
        double a1 = f->lx[4 * w->ix], a3 = -(r + w->x) * f->lT[w->iT];
        if (w->x > 0) {
            double a4 = f->lx[4 * w->ix + 1] - (r + w->x) * f->ltx[w->itx];
            double hi = a3 > a4 ? a3 : a4, lo = a3 > a4 ? a4 : a3;
            ll += w->w * (a1 + hi + log1p(exp(lo - hi)));
        } else {
            ll += w->w * (a1 + a3);
        }
    }
    return ll;
}

static double gg_ll_fast(fit_data *f, double p, double q, double gamma)
{
    double base = -lgamma(q) + q * log(gamma);
    for (size_t i = 0; i < f->nx; i++)
        f->lx[4 * i] = lgamma(p * f->xs[i] + q) - lgamma(p * f->xs[i]) + base;
    double ll = 0;
    for (size_t i = 0; i < f->n; i++) {
        const row_t *w = &f->rows[i];
        double px = p * w->x, m = f->txs[w->itx];
        ll += w->w * (f->lx[4 * w->ix] + (px - 1) * f->lm[i] + px * f->lxv[i] -
                      (px + q) * log(gamma + m * w->x));
    }
    return ll;
}

/* Parameters travel as logs, so the simplex never leaves the positive reals. */
static double bgnbd_cost(const double *v, void *ctx)
{
    double ll = bgnbd_ll_fast(ctx, exp(v[0]), exp(v[1]), exp(v[2]), exp(v[3]));
    return isfinite(ll) ? -ll : 1e300;
}

static double gg_cost(const double *v, void *ctx)
{
    double ll = gg_ll_fast(ctx, exp(v[0]), exp(v[1]), exp(v[2]));
    return isfinite(ll) ? -ll : 1e300;
}

int al_bgnbd_fit(const al_rfm *d, size_t n, al_bgnbd *out)
{
    fit_data f;
    if (fit_data_make(d, n, false, &f) != 0)
        return -1;
    double v[4] = {0, 0, 0, 0}; /* r = alpha = a = b = 1 */
    int it = al_nelder_mead(bgnbd_cost, &f, v, 4, 1e-14, 20000);
    out->r = exp(v[0]);
    out->alpha = exp(v[1]);
    out->a = exp(v[2]);
    out->b = exp(v[3]);
    out->ll = bgnbd_ll_fast(&f, out->r, out->alpha, out->a, out->b);
    out->iterations = it;
    fit_data_free(&f);
    return it < 0 ? -1 : 0;
}

int al_gg_fit(const al_rfm *d, size_t n, al_gg *out)
{
    fit_data f;
    if (fit_data_make(d, n, true, &f) != 0)
        return -1;
    /* Start at the spend's own scale: gamma = the mean of m (q = p = 1). */
    double mean = 0;
    for (size_t i = 0; i < f.n; i++)
        mean += f.rows[i].w * f.txs[f.rows[i].itx];
    double weight = 0;
    for (size_t i = 0; i < f.n; i++)
        weight += f.rows[i].w;
    double v[3] = {0, 0, weight > 0 && mean > 0 ? log(mean / weight) : 0};
    int it = f.n > 0 ? al_nelder_mead(gg_cost, &f, v, 3, 1e-14, 20000) : -1;
    out->p = exp(v[0]);
    out->q = exp(v[1]);
    out->gamma = exp(v[2]);
    out->ll = f.n > 0 ? gg_ll_fast(&f, out->p, out->q, out->gamma) : 0;
    out->iterations = it;
    fit_data_free(&f);
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

/*
 * The purchases expected in each of the next horizon_weeks weeks
 * (E[Y(w)] - E[Y(w-1)]), discounted weekly at annual_discount; *total gets
 * E[Y(horizon_weeks)], undiscounted.
 */
static double discounted_purchases(const al_bgnbd *m, const al_rfm *c, int horizon_weeks,
                                   double annual_discount, double *total)
{
    double sum = 0, before = 0;
    for (int w = 1; w <= horizon_weeks; w++) {
        double upto = al_bgnbd_expected(m, c, w);
        sum += (upto - before) / pow(1 + annual_discount, w / 52.0);
        before = upto;
    }
    *total = before;
    return sum;
}

double al_clv(const al_bgnbd *m, const al_gg *g, const al_rfm *c, int horizon_weeks,
              double annual_discount)
{
    double total;
    return discounted_purchases(m, c, horizon_weeks, annual_discount, &total) *
           al_gg_expected_value(g, c);
}

/* Orders member indexes by their (x, tx, T). */
static _Thread_local const al_rfm *score_data;
static int by_history(const void *a, const void *b)
{
    return by_tuple(&score_data[*(const size_t *)a], &score_data[*(const size_t *)b]);
}

int al_clv_score(const al_bgnbd *m, const al_gg *g, const al_rfm *d, size_t n, int horizon_weeks,
                 double annual_discount, al_clv_member *out)
{
    size_t *order = malloc((n ? n : 1) * sizeof(*order));
    if (order == NULL)
        return -1;
    for (size_t i = 0; i < n; i++)
        order[i] = i;
    score_data = d; /* qsort takes no context: a thread's own variable */
    qsort(order, n, sizeof(*order), by_history);
    /* The purchase counts depend on (x, tx, T) only: once per distinct history. */
    al_clv_member same = {0};
    for (size_t k = 0; k < n; k++) {
        const al_rfm *c = &d[order[k]];
        bool repeat = k > 0 && c->x == d[order[k - 1]].x && c->tx == d[order[k - 1]].tx &&
                      c->T == d[order[k - 1]].T;
        if (!repeat) {
            same.p_alive = al_bgnbd_p_alive(m, c);
            /* Discounted purchases; times each member's value below. */
            same.clv = discounted_purchases(m, c, horizon_weeks, annual_discount,
                                            &same.expected_purchases);
        }
        al_clv_member *o = &out[order[k]];
        *o = same;
        o->expected_value = al_gg_expected_value(g, c);
        o->clv = same.clv * o->expected_value;
    }
    free(order);
    return 0;
}
