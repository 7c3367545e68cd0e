/*
 * The analytics reports, each an al_job_fn run on a report thread: one pass
 * streams the tenant's purchase histories (history.c) into a compact row per
 * member, then the measures (value.c, clv.c) score those rows and the answer
 * is rendered. The rules are in docs/analytics.md.
 */
#include "analytics/reports.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analytics/clv.h"
#include "analytics/history.h"
#include "analytics/value.h"
#include "core/ids.h"
#include "ledger/members.h"
#include "ledger/report_threads.h"

/* One member's row: its id (an offset into the population's ids) and measures. */
typedef struct {
    size_t id;
    al_facts f;
    al_rfm c;
    bool has_c;
} member_t;

typedef struct {
    int32_t as_of, window, cal_end; /* cal_end < 0: no calibration history */
    member_t *m;
    size_t n, cap;
    char *ids;
    size_t ids_len, ids_cap;
    /* Affinity: members active at each partner and at each pair, in the window. */
    bool affinity;
    size_t np;
    int64_t *at, *pair, active;
    uint8_t *seen;
    uint32_t *list; /* the member's partners so far */
    bool oom, cancelled;
    bool range; /* a member's sums passed 2^63 */
} population;

static const char *id_of(const population *p, size_t i)
{
    return p->ids + p->m[i].id;
}

static void count_pairs(population *p, const al_history *h)
{
    al_affinity_add(h, p->as_of, p->window, p->np, p->seen, p->list, p->at, p->pair, &p->active);
}

static int collect(const al_history *h, void *ctx)
{
    population *p = ctx;
    if (al_reports_cancelled()) {
        p->cancelled = true;
        return AL_DB_STREAM_ABANDON; /* the rest of the scan is not worth reading */
    }
    if (p->affinity) {
        count_pairs(p, h);
        return 0;
    }
    size_t len = strlen(h->member) + 1;
    if (p->n == p->cap) {
        size_t cap = p->cap ? 2 * p->cap : 1024;
        member_t *m = realloc(p->m, cap * sizeof(*m));
        if (m == NULL)
            goto oom;
        p->m = m;
        p->cap = cap;
    }
    if (p->ids_len + len > p->ids_cap) {
        size_t cap = p->ids_cap ? 2 * p->ids_cap : 16384;
        char *ids = realloc(p->ids, cap);
        if (ids == NULL)
            goto oom;
        p->ids = ids;
        p->ids_cap = cap;
    }
    member_t *m = &p->m[p->n];
    memcpy(p->ids + p->ids_len, h->member, len);
    m->id = p->ids_len;
    p->ids_len += len;
    al_facts_of(h, p->as_of, p->window, &m->f);
    p->range |= m->f.overflow;
    m->has_c = p->cal_end >= 0 && al_calibration_of(h, p->cal_end, &m->c);
    p->n++;
    return 0;
oom:
    p->oom = true;
    return 1;
}

static void population_free(population *p)
{
    free(p->m);
    free(p->ids);
    free(p->at);
    free(p->pair);
    free(p->seen);
    free(p->list);
}

/* Streams the tenant's histories up to p->as_of into p; false with the refusal in o. */
static bool gather(al_db *db, const al_analytics_query *q, population *p,
                   const al_partner_list *partners, al_outcome *o)
{
    al_db_status st = al_history_each(db, q->tenant, NULL, p->as_of, al_tz_get(q->time_zone),
                                      collect, p, partners);
    if (st != AL_DB_OK)
        return al_db_failed(o, st);
    if (p->cancelled) {
        al_refuse(o, AL_STOPPING, "shutting_down", "the server is stopping; ask again later");
        return false;
    }
    if (p->oom) {
        al_refuse(o, AL_FAILED, "internal_error", "out of memory");
        return false;
    }
    if (p->range)
        return al_db_failed(o, AL_DB_RANGE);
    return true;
}

/* The answer of a report. */
static bool answer(al_outcome *o, json_t *body)
{
    o->result = AL_DONE;
    o->reply = body;
    return true;
}

/* Sets "next_cursor": where the page after q's starts, or null when q's is the last of total. */
static void set_next(json_t *body, const al_analytics_query *q, size_t total)
{
    char text[24];
    size_t end = q->offset + q->limit;
    snprintf(text, sizeof(text), "%zu", end);
    json_object_set_new(body, "next_cursor", end < total ? json_string(text) : json_null());
}

static double round6(double v)
{
    return round(v * 1e6) / 1e6;
}

static json_t *date_json(int32_t day)
{
    char text[11];
    al_day_format(day, text);
    return json_string(text);
}

/* ---- RFM ---- */

bool al_rfm_report(al_db *db, void *ctx, al_outcome *o)
{
    const al_analytics_query *q = ctx;
    population p = {.as_of = q->as_of, .window = (int32_t)q->window, .cal_end = -1};
    bool ok = false;
    if (!gather(db, q, &p, NULL, o))
        goto done;
    int64_t *v = malloc(3 * (p.n ? p.n : 1) * sizeof(*v));
    uint8_t *score = malloc(3 * (p.n ? p.n : 1));
    if (v == NULL || score == NULL) {
        free(v);
        free(score);
        al_refuse(o, AL_FAILED, "internal_error", "out of memory");
        goto done;
    }
    for (size_t i = 0; i < p.n; i++) {
        v[i] = p.as_of - p.m[i].f.last_day;
        v[p.n + i] = p.m[i].f.window_days;
        v[2 * p.n + i] = p.m[i].f.window_spend;
    }
    if (al_rfm_scores(v, v + p.n, v + 2 * p.n, p.n, score) != 0) {
        free(v);
        free(score);
        al_refuse(o, AL_FAILED, "internal_error", "out of memory");
        goto done;
    }
    int64_t counts[AL_SEG_COUNT] = {0}, grid[5][5] = {{0}};
    json_t *items = json_array();
    size_t matched = 0;
    for (size_t i = 0; i < p.n; i++) {
        int r = score[i], f = score[p.n + i], m = score[2 * p.n + i];
        al_segment s = al_rfm_segment(r, f, m);
        counts[s]++;
        if (r >= 1 && r <= 5 && f >= 1 && f <= 5)
            grid[r - 1][f - 1]++;
        if (q->only >= 0 && (int)s != q->only)
            continue;
        if (matched >= q->offset && matched < q->offset + q->limit)
            json_array_append_new(items,
                                  json_pack("{s:s,s:I,s:I,s:I,s:i,s:i,s:i,s:s}", "member",
                                            id_of(&p, i), "recency_days", (json_int_t)v[i],
                                            "frequency", (json_int_t)v[p.n + i], "monetary_minor",
                                            (json_int_t)v[2 * p.n + i], "r", r, "f", f, "m", m,
                                            "segment", al_segment_name(s)));
        matched++;
    }
    json_t *segments = json_array();
    for (int s = 0; s < AL_SEG_COUNT; s++)
        json_array_append_new(segments,
                              json_pack("{s:s,s:I}", "segment", al_segment_name((al_segment)s),
                                        "members", (json_int_t)counts[s]));
    /* The grid: members by recency score (rows, 1 to 5) and frequency score (columns). */
    json_t *rows = json_array();
    for (int r = 0; r < 5; r++) {
        json_t *row = json_array();
        for (int f = 0; f < 5; f++)
            json_array_append_new(row, json_integer(grid[r][f]));
        json_array_append_new(rows, row);
    }
    json_t *body = json_pack("{s:o,s:i,s:I,s:o,s:o,s:o}", "as_of", date_json(p.as_of),
                             "window_days", (int)q->window, "members", (json_int_t)p.n, "segments",
                             segments, "grid", rows, "items", items);
    set_next(body, q, matched);
    free(v);
    free(score);
    ok = answer(o, body);
done:
    population_free(&p);
    return ok;
}

/* ---- 80/20 ---- */

/* NULL when the total does not fit in 64 bits. */
static json_t *concentration_json(int64_t *v, size_t n)
{
    static const int pct[] = {1, 5, 10, 20, 50};
    al_concentration c;
    al_concentration_of(v, n, pct, 5, 20, &c);
    if (!c.fits)
        return NULL;
    json_t *top = json_array(), *lorenz = json_array();
    for (size_t k = 0; k < 5; k++)
        json_array_append_new(
            top, json_pack("{s:i,s:f}", "percent", pct[k], "share", round6(c.top_share[k])));
    for (int k = 0; k <= 20; k++)
        json_array_append_new(
            lorenz, json_pack("{s:f,s:f}", "population", k / 20.0, "share", round6(c.lorenz[k])));
    return json_pack("{s:I,s:o,s:o,s:f}", "total", (json_int_t)c.total, "top", top, "lorenz",
                     lorenz, "gini", round6(c.gini));
}

typedef struct {
    int64_t *v;
    size_t n, cap;
    bool oom;
} int_list;

static int held_row(int64_t held, void *ctx)
{
    int_list *l = ctx;
    if (l->n == l->cap) {
        size_t cap = l->cap ? 2 * l->cap : 1024;
        int64_t *v = realloc(l->v, cap * sizeof(*v));
        if (v == NULL) {
            l->oom = true;
            return 1;
        }
        l->v = v;
        l->cap = cap;
    }
    l->v[l->n++] = held > 0 ? held : 0;
    return 0;
}

bool al_pareto_report(al_db *db, void *ctx, al_outcome *o)
{
    const al_analytics_query *q = ctx;
    population p = {.as_of = q->as_of, .cal_end = -1};
    p.window = q->window > 0 ? (int32_t)q->window : INT32_MAX / 2;
    int_list held = {0};
    bool ok = false;
    if (!gather(db, q, &p, NULL, o))
        goto done;
    /* Every member counts, those who bought nothing with 0. */
    al_db_status st = al_points_held_each(db, q->tenant, held_row, &held);
    if (st != AL_DB_OK) {
        al_db_failed(o, st);
        goto done;
    }
    size_t members = held.n > p.n ? held.n : p.n;
    int64_t *spend = calloc(members ? members : 1, sizeof(*spend));
    if (spend == NULL || held.oom) {
        free(spend);
        al_refuse(o, AL_FAILED, "internal_error", "out of memory");
        goto done;
    }
    for (size_t i = 0; i < p.n; i++)
        spend[i] = p.m[i].f.window_spend > 0 ? p.m[i].f.window_spend : 0;
    json_t *by_spend = concentration_json(spend, members),
           *by_held = concentration_json(held.v, held.n);
    free(spend);
    if (by_spend == NULL || by_held == NULL) {
        json_decref(by_spend);
        json_decref(by_held);
        al_db_failed(o, AL_DB_RANGE);
        goto done;
    }
    json_t *body = json_pack("{s:o,s:i,s:I,s:o,s:o}", "as_of", date_json(p.as_of), "window_days",
                             (int)q->window, "members", (json_int_t)members, "spend", by_spend,
                             "points_held", by_held);
    ok = answer(o, body);
done:
    free(held.v);
    population_free(&p);
    return ok;
}

/* ---- CLV and churn: the models fitted on the population's calibration histories ---- */

typedef struct {
    double key;
    const char *id;
    size_t i;
} ranked;

typedef struct {
    al_bgnbd bg;
    al_gg gg;
    al_rfm *d;
    size_t *who;      /* d[i] is member who[i] of the population */
    size_t n, repeat; /* members with a calibration history, and repeat buyers among them */
    al_clv_member *score;
    ranked *rank;                      /* room for a ranking of the members */
    int64_t read_ms, fit_ms, score_ms; /* how long each step took */
} models;

static void models_free(models *m)
{
    free(m->d);
    free(m->who);
    free(m->score);
    free(m->rank);
}

static json_t *models_json(const models *m)
{
    return json_pack("{s:{s:f,s:f,s:f,s:f,s:f,s:i},s:{s:f,s:f,s:f,s:f,s:i,s:I,s:s}}", "bgnbd", "r",
                     m->bg.r, "alpha", m->bg.alpha, "a", m->bg.a, "b", m->bg.b, "log_likelihood",
                     m->bg.ll, "iterations", m->bg.iterations, "gamma_gamma", "p", m->gg.p, "q",
                     m->gg.q, "gamma", m->gg.gamma, "log_likelihood", m->gg.ll, "iterations",
                     m->gg.iterations, "repeat_buyers", (json_int_t)m->repeat, "money_unit",
                     "minor");
}

/* Fits both models and scores every member; false with the refusal in o. */
static bool fit_and_score(const population *p, int horizon, double discount, models *m,
                          al_outcome *o)
{
    m->d = malloc((p->n ? p->n : 1) * sizeof(*m->d));
    m->who = malloc((p->n ? p->n : 1) * sizeof(*m->who));
    if (m->d == NULL || m->who == NULL) {
        al_refuse(o, AL_FAILED, "internal_error", "out of memory");
        return false;
    }
    for (size_t i = 0; i < p->n; i++)
        if (p->m[i].has_c) {
            m->d[m->n] = p->m[i].c;
            m->who[m->n++] = i;
            m->repeat += p->m[i].c.x > 0 && p->m[i].c.m > 0;
        }
    if (m->n < 10 || m->repeat < 3) {
        al_refuse(o, AL_REFUSED, "not_enough_history",
                  "the models need at least 10 members and 3 repeat buyers "
                  "(found %zu and %zu)",
                  m->n, m->repeat);
        return false;
    }
    int64_t t0 = al_monotonic_ms();
    /* The expectations divide by a - 1 and q - 1; the population's mean spend needs q > 1. */
    if (al_bgnbd_fit(m->d, m->n, &m->bg) != 0 || fabs(m->bg.a - 1) < 1e-9) {
        al_refuse(o, AL_REFUSED, "model_not_fitted",
                  "BG/NBD: no maximum with a != 1 for this history (a %.4g, b %.4g, %d "
                  "iterations)",
                  m->bg.a, m->bg.b, m->bg.iterations);
        return false;
    }
    if (al_gg_fit(m->d, m->n, &m->gg) != 0 || m->gg.q <= 1) {
        al_refuse(o, AL_REFUSED, "model_not_fitted",
                  "Gamma-Gamma: no maximum with q > 1 for this history (p %.4g, q %.4g, %d "
                  "iterations)",
                  m->gg.p, m->gg.q, m->gg.iterations);
        return false;
    }
    int64_t t1 = al_monotonic_ms();
    m->score = malloc((m->n ? m->n : 1) * sizeof(*m->score));
    if (m->score == NULL ||
        al_clv_score(&m->bg, &m->gg, m->d, m->n, horizon, discount, m->score) != 0) {
        al_refuse(o, AL_FAILED, "internal_error", "out of memory");
        return false;
    }
    m->fit_ms = t1 - t0;
    m->score_ms = al_monotonic_ms() - t1;
    m->rank = malloc((m->n ? m->n : 1) * sizeof(*m->rank));
    if (m->rank == NULL) {
        al_refuse(o, AL_FAILED, "internal_error", "out of memory");
        return false;
    }
    return true;
}

/* Reads the tenant's histories up to p->as_of, fits and scores; false, refused. */
static bool fitted(al_db *db, const al_analytics_query *q, population *p, int horizon,
                   double discount, models *m, al_outcome *o)
{
    int64_t started = al_monotonic_ms();
    if (!gather(db, q, p, NULL, o))
        return false;
    m->read_ms = al_monotonic_ms() - started;
    return fit_and_score(p, horizon, discount, m, o);
}

/* Highest key first; equal keys by member id. */
static int by_key_desc(const void *a, const void *b)
{
    const ranked *x = a, *y = b;
    if (x->key != y->key)
        return x->key < y->key ? 1 : -1;
    return strcmp(x->id, y->id);
}

bool al_clv_report(al_db *db, void *ctx, al_outcome *o)
{
    const al_analytics_query *q = ctx;
    population p = {.as_of = q->cal_end, .cal_end = q->cal_end, .window = 365};
    models m = {0};
    bool ok = false;
    if (!fitted(db, q, &p, (int)q->horizon, q->discount, &m, o))
        goto done;
    ranked *r = m.rank;
    double total_clv = 0, total_purchases = 0;
    for (size_t i = 0; i < m.n; i++) {
        r[i] = (ranked){m.score[i].clv, id_of(&p, m.who[i]), i};
        total_clv += m.score[i].clv;
        total_purchases += m.score[i].expected_purchases;
    }
    qsort(r, m.n, sizeof(*r), by_key_desc);
    json_t *items = json_array();
    for (size_t k = q->offset; k < m.n && k < q->offset + q->limit; k++) {
        const al_clv_member *s = &m.score[r[k].i];
        const al_rfm *c = &m.d[r[k].i];
        json_array_append_new(
            items, json_pack("{s:s,s:f,s:f,s:f,s:f,s:f,s:I,s:I}", "member", r[k].id, "x", c->x,
                             "t_x", round6(c->tx), "T", round6(c->T), "expected_purchases",
                             round6(s->expected_purchases), "p_alive", round6(s->p_alive),
                             "expected_spend_minor", (json_int_t)llround(s->expected_value),
                             "clv_minor", (json_int_t)llround(s->clv)));
    }
    json_t *body = json_pack(
        "{s:o,s:i,s:f,s:o,s:I,s:{s:f,s:I},s:o}", "calibration_end", date_json(p.cal_end),
        "horizon_weeks", (int)q->horizon, "annual_discount", q->discount, "model", models_json(&m),
        "members", (json_int_t)m.n, "totals", "expected_purchases", round6(total_purchases),
        "clv_minor", (json_int_t)llround(total_clv), "items", items);
    /* The distribution: the CLV at every tenth of the members, from the least valuable up. */
    json_t *deciles = json_array();
    for (size_t d = 0; m.n > 0 && d <= 10; d++) {
        size_t at = d == 10 ? 0 : m.n - 1 - (m.n - 1) * d / 10; /* r is sorted high to low */
        json_array_append_new(deciles,
                              json_pack("{s:i,s:I}", "percentile", (int)(d * 10), "clv_minor",
                                        (json_int_t)llround(m.score[r[at].i].clv)));
    }
    json_object_set_new(body, "deciles", deciles);
    set_next(body, q, m.n);
    json_object_set_new(body, "timings_ms",
                        json_pack("{s:I,s:I,s:I}", "read", (json_int_t)m.read_ms, "fit",
                                  (json_int_t)m.fit_ms, "score", (json_int_t)m.score_ms));
    ok = answer(o, body);
done:
    models_free(&m);
    population_free(&p);
    return ok;
}

bool al_churn_report(al_db *db, void *ctx, al_outcome *o)
{
    const al_analytics_query *q = ctx;
    population p = {.as_of = q->as_of, .cal_end = q->as_of, .window = 365};
    models m = {0};
    bool ok = false;
    double threshold = q->threshold, gap_factor = q->gap_factor;
    if (!fitted(db, q, &p, 52, 0.1, &m, o))
        goto done;
    ranked *r = m.rank;
    /* At risk: a repeat buyer with P(alive) below the threshold, or gone long past their usual gap.
     */
    size_t flagged = 0;
    int64_t at_risk_value = 0;
    for (size_t i = 0; i < m.n; i++) {
        const al_facts *f = &p.m[m.who[i]].f;
        const al_rfm *c = &m.d[i];
        if (c->x < 1)
            continue;
        if (m.score[i].p_alive >= threshold && !al_long_gap(f, c->x, p.as_of, gap_factor))
            continue;
        int64_t value = al_yearly_value(f, p.as_of);
        at_risk_value += value;
        r[flagged++] = (ranked){(double)value, id_of(&p, m.who[i]), i};
    }
    qsort(r, flagged, sizeof(*r), by_key_desc);
    json_t *items = json_array();
    for (size_t k = q->offset; k < flagged && k < q->offset + q->limit; k++) {
        size_t i = r[k].i;
        const al_facts *f = &p.m[m.who[i]].f;
        const al_rfm *c = &m.d[i];
        double usual = (double)(f->last_day - f->first_day) / c->x;
        int since = p.as_of - f->last_day;
        json_t *reasons = json_array();
        if (m.score[i].p_alive < threshold)
            json_array_append_new(reasons, json_pack("{s:s,s:f}", "code", "low_p_alive", "p_alive",
                                                     round6(m.score[i].p_alive)));
        if (al_long_gap(f, c->x, p.as_of, gap_factor))
            json_array_append_new(reasons,
                                  json_pack("{s:s,s:i,s:f}", "code", "long_gap", "days_since_last",
                                            since, "usual_gap_days", round6(usual)));
        json_array_append_new(items,
                              json_pack("{s:s,s:I,s:f,s:i,s:f,s:o}", "member", r[k].id,
                                        "value_at_risk_minor", (json_int_t)r[k].key, "p_alive",
                                        round6(m.score[i].p_alive), "days_since_last", since,
                                        "usual_gap_days", round6(usual), "reasons", reasons));
    }
    json_t *body =
        json_pack("{s:o,s:f,s:f,s:o,s:I,s:I,s:I,s:o}", "as_of", date_json(p.as_of), "p_alive_below",
                  threshold, "gap_factor", gap_factor, "model", models_json(&m), "members",
                  (json_int_t)m.n, "at_risk", (json_int_t)flagged, "value_at_risk_minor",
                  (json_int_t)at_risk_value, "items", items);
    set_next(body, q, flagged);
    ok = answer(o, body);
done:
    models_free(&m);
    population_free(&p);
    return ok;
}

/* ---- lifecycle stages ---- */

bool al_lifecycle_report(al_db *db, void *ctx, al_outcome *o)
{
    const al_analytics_query *q = ctx;
    population p = {.as_of = q->as_of, .window = AL_PRIOR_DAYS, .cal_end = -1};
    bool ok = false;
    if (!gather(db, q, &p, NULL, o))
        goto done;
    int64_t enrolled = 0;
    al_db_status st = al_members_enrolled(db, q->tenant, &enrolled);
    if (st != AL_DB_OK) {
        al_db_failed(o, st);
        goto done;
    }
    int64_t counts[AL_STAGE_COUNT] = {0};
    json_t *items = json_array();
    size_t matched = 0;
    for (size_t i = 0; i < p.n; i++) {
        al_stage s = al_lifecycle_stage(&p.m[i].f, p.as_of);
        counts[s]++;
        if (q->only >= 0 && (int)s != q->only)
            continue;
        if (matched >= q->offset && matched < q->offset + q->limit) {
            char first[11], last[11];
            al_day_format(p.m[i].f.first_day, first);
            al_day_format(p.m[i].f.last_day, last);
            json_array_append_new(
                items, json_pack("{s:s,s:s,s:s,s:s,s:I,s:I}", "member", id_of(&p, i), "stage",
                                 al_stage_name(s), "first_purchase", first, "last_purchase", last,
                                 "recent_spend_minor", (json_int_t)p.m[i].f.recent_spend,
                                 "prior_spend_minor", (json_int_t)p.m[i].f.prior_spend));
        }
        matched++;
    }
    /* Enrolled members without a purchase yet are new. */
    int64_t without = enrolled > (int64_t)p.n ? enrolled - (int64_t)p.n : 0;
    counts[AL_STAGE_NEW] += without;
    json_t *stages = json_object();
    for (int s = 0; s < AL_STAGE_COUNT; s++)
        json_object_set_new(stages, al_stage_name((al_stage)s), json_integer(counts[s]));
    json_t *body = json_pack("{s:o,s:I,s:I,s:o,s:o}", "as_of", date_json(p.as_of), "members",
                             (json_int_t)p.n + (json_int_t)without, "without_purchases",
                             (json_int_t)without, "stages", stages, "items", items);
    set_next(body, q, matched);
    ok = answer(o, body);
done:
    population_free(&p);
    return ok;
}

/* ---- the member list by stage ---- */

#define AL_PAGE_CHUNK 1000 /* members read a round trip */

/* The stage of member id: the population is in id order (history.c reads it so); none: new. */
static al_stage stage_of(const population *p, const char *id)
{
    size_t lo = 0, hi = p->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = strcmp(id_of(p, mid), id);
        if (c == 0)
            return al_lifecycle_stage(&p->m[mid].f, p->as_of);
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return AL_STAGE_NEW;
}

bool al_members_in_stage_report(al_db *db, void *ctx, al_outcome *o)
{
    const al_analytics_query *q = ctx;
    population p = {.as_of = q->as_of, .window = AL_PRIOR_DAYS, .cal_end = -1};
    al_member_summary *rows = NULL;
    bool ok = false;
    if (!gather(db, q, &p, NULL, o))
        goto done;
    al_member_filter f = {.prefix = q->prefix[0] ? q->prefix : NULL,
                          .tier = q->tier[0] ? q->tier : NULL,
                          .blocked = q->blocked};
    char after[AL_ID_MAX + 1];
    snprintf(after, sizeof(after), "%s", q->after);
    json_t *items = json_array();
    bool more = true;
    /* Members are read a chunk at a time, in id order, until the page is full. */
    while (more && json_array_size(items) < q->limit) {
        size_t n = 0;
        al_db_status st = al_members_page(db, q->tenant, &f, after, AL_PAGE_CHUNK, &rows, &n);
        if (st != AL_DB_OK) {
            json_decref(items);
            al_db_failed(o, st);
            goto done;
        }
        more = n == AL_PAGE_CHUNK;
        for (size_t i = 0; i < n && json_array_size(items) < q->limit; i++) {
            al_stage s = stage_of(&p, rows[i].id);
            snprintf(after, sizeof(after), "%s", rows[i].id);
            if ((int)s == q->only)
                json_array_append_new(items, al_member_summary_json(&rows[i], al_stage_name(s)));
        }
        free(rows);
        rows = NULL;
    }
    json_t *body = json_pack("{s:o,s:o}", "as_of", date_json(p.as_of), "members", items);
    json_object_set_new(body, "next_cursor",
                        json_array_size(items) == q->limit ? json_string(after) : json_null());
    ok = answer(o, body);
done:
    free(rows);
    population_free(&p);
    return ok;
}

/* ---- cross-partner affinity ---- */

typedef struct {
    double lift;
    size_t a, b;
    int64_t both;
} pair_t;

static int by_lift(const void *x, const void *y)
{
    const pair_t *a = x, *b = y;
    if (a->lift != b->lift)
        return a->lift < b->lift ? 1 : -1;
    if (a->both != b->both)
        return a->both < b->both ? 1 : -1;
    return a->a != b->a ? (a->a > b->a) - (a->a < b->a) : (a->b > b->b) - (a->b < b->b);
}

bool al_affinity_report(al_db *db, void *ctx, al_outcome *o)
{
    const al_analytics_query *q = ctx;
    population p = {
        .affinity = true, .as_of = q->as_of, .window = (int32_t)q->window, .cal_end = -1};
    al_partner_list partners = {0};
    pair_t *pairs = NULL;
    bool ok = false;
    al_db_status st = al_partner_list_load(db, q->tenant, &partners);
    if (st != AL_DB_OK) {
        al_partner_list_free(&partners);
        return al_db_failed(o, st);
    }
    p.np = partners.n;
    p.at = calloc(p.np + 1, sizeof(*p.at));
    p.pair = calloc(p.np * p.np + 1, sizeof(*p.pair));
    p.seen = calloc(p.np + 1, 1);
    p.list = calloc(p.np + 1, sizeof(*p.list));
    if (p.at == NULL || p.pair == NULL || p.seen == NULL || p.list == NULL) {
        al_refuse(o, AL_FAILED, "internal_error", "out of memory");
        goto done;
    }
    if (!gather(db, q, &p, &partners, o))
        goto done;
    json_t *list = json_array();
    for (size_t i = 0; i < p.np; i++)
        json_array_append_new(list, json_pack("{s:s,s:I}", "partner", partners.p[i].id, "members",
                                              (json_int_t)p.at[i]));
    size_t npairs = 0;
    pairs = malloc((p.np * p.np / 2 + 1) * sizeof(*pairs));
    for (size_t a = 0; pairs != NULL && a < p.np; a++)
        for (size_t b = a + 1; b < p.np; b++) {
            int64_t both = p.pair[a * p.np + b];
            pairs[npairs++] = (pair_t){al_lift(both, p.active, p.at[a], p.at[b]), a, b, both};
        }
    if (pairs != NULL)
        qsort(pairs, npairs, sizeof(*pairs), by_lift);
    json_t *out = json_array();
    for (size_t k = 0; k < npairs; k++) {
        const pair_t *c = &pairs[k];
        json_array_append_new(
            out,
            json_pack("{s:s,s:s,s:I,s:f,s:f,s:f}", "a", partners.p[c->a].id, "b",
                      partners.p[c->b].id, "members", (json_int_t)c->both, "lift", round6(c->lift),
                      "share_of_a", p.at[c->a] ? round6((double)c->both / (double)p.at[c->a]) : 0.0,
                      "share_of_b",
                      p.at[c->b] ? round6((double)c->both / (double)p.at[c->b]) : 0.0));
    }
    ok = answer(o, json_pack("{s:o,s:i,s:I,s:o,s:o}", "as_of", date_json(p.as_of), "window_days",
                             (int)q->window, "members", (json_int_t)p.active, "partners", list,
                             "pairs", out));
done:
    free(pairs);
    al_partner_list_free(&partners);
    population_free(&p);
    return ok;
}
