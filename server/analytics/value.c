/* Member value measures; see value.h and docs/analytics.md. */
#include "analytics/value.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

void al_facts_of(const al_history *h, int32_t as_of, int32_t window, al_facts *out)
{
    memset(out, 0, sizeof(*out));
    out->first_day = out->last_day = -1;
    int32_t prev = -1;
    for (size_t i = 0; i < h->n; i++) {
        const al_purchase *p = &h->p[i];
        if (p->day > as_of)
            break;
        bool new_day = p->day != prev;
        prev = p->day;
        if (out->first_day < 0)
            out->first_day = p->day;
        out->last_day = p->day;
        out->purchase_days += new_day;
        bool over = __builtin_add_overflow(out->spend, p->spend, &out->spend);
        if (p->day > as_of - window) {
            out->window_days += new_day;
            over |= __builtin_add_overflow(out->window_spend, p->spend, &out->window_spend);
        }
        if (p->day > as_of - AL_RECENT_DAYS)
            over |= __builtin_add_overflow(out->recent_spend, p->spend, &out->recent_spend);
        else if (p->day > as_of - AL_RECENT_DAYS - AL_PRIOR_DAYS)
            over |= __builtin_add_overflow(out->prior_spend, p->spend, &out->prior_spend);
        out->overflow |= over;
    }
}

al_stage al_lifecycle_stage(const al_facts *f, int32_t as_of)
{
    if (f->first_day < 0 || as_of - f->first_day < AL_RECENT_DAYS)
        return AL_STAGE_NEW;
    if (as_of - f->last_day >= AL_LAPSED_DAYS)
        return AL_STAGE_LAPSED;
    /* The recent quarter against the member's quarterly pace in the year before it. */
    int64_t prior_days = as_of - AL_RECENT_DAYS - f->first_day + 1;
    if (prior_days > AL_PRIOR_DAYS)
        prior_days = AL_PRIOR_DAYS;
    __int128 recent = (__int128)f->recent_spend * prior_days;
    __int128 pace = (__int128)f->prior_spend * AL_RECENT_DAYS;
    if (4 * recent >= 5 * pace && recent > pace)
        return AL_STAGE_GROWING; /* at least 1.25 times the pace */
    if (4 * recent <= 3 * pace)
        return AL_STAGE_DECLINING; /* at most 0.75 times */
    return AL_STAGE_MATURE;
}

/* The index of name among n names, or -1. */
static int name_index(const char *const *names, int n, const char *name)
{
    for (int i = 0; i < n; i++)
        if (strcmp(names[i], name) == 0)
            return i;
    return -1;
}

static const char *const stage_names[] = {"new", "growing", "mature", "declining", "lapsed"};

const char *al_stage_name(al_stage s)
{
    return s < AL_STAGE_COUNT ? stage_names[s] : "";
}

int al_stage_by_name(const char *name)
{
    return name_index(stage_names, AL_STAGE_COUNT, name);
}

bool al_calibration_of(const al_history *h, int32_t cal_end, al_rfm *out)
{
    int32_t first = -1, last = -1, prev = -1;
    int64_t days = 0;
    __int128 first_total = 0, total = 0; /* only ever divided into a double */
    for (size_t i = 0; i < h->n && h->p[i].day <= cal_end; i++) {
        const al_purchase *p = &h->p[i];
        if (first < 0)
            first = p->day;
        if (p->day == first)
            first_total += p->spend;
        days += p->day != prev;
        prev = last = p->day;
        total += p->spend;
    }
    if (first < 0)
        return false;
    out->x = (double)(days - 1);
    out->tx = (last - first) / 7.0;
    out->T = (cal_end - first) / 7.0;
    out->m = days > 1 ? (double)(total - first_total) / (double)(days - 1) : 0;
    return true;
}

typedef struct {
    int64_t v;
    size_t i;
} ranked;

static int by_value(const void *a, const void *b)
{
    const ranked *x = a, *y = b;
    return (x->v > y->v) - (x->v < y->v);
}

int al_quintiles(const int64_t *v, size_t n, bool lower_is_better, uint8_t *score)
{
    ranked *r = malloc((n ? n : 1) * sizeof(*r));
    if (r == NULL)
        return -1;
    for (size_t i = 0; i < n; i++)
        r[i] = (ranked){lower_is_better ? -v[i] : v[i], i};
    qsort(r, n, sizeof(*r), by_value);
    size_t first = 0;
    for (size_t k = 0; k < n; k++) {
        if (k > 0 && r[k].v != r[k - 1].v)
            first = k;
        score[r[k].i] = (uint8_t)(1 + 5 * first / n);
    }
    free(r);
    return 0;
}

al_segment al_rfm_segment(int r, int f, int m)
{
    int fm = (f + m + 1) / 2;
    switch (r) {
    case 5: return fm >= 4 ? AL_SEG_CHAMPIONS : fm >= 2 ? AL_SEG_POTENTIAL_LOYALIST : AL_SEG_NEW;
    case 4: return fm >= 4 ? AL_SEG_LOYAL : fm >= 2 ? AL_SEG_POTENTIAL_LOYALIST : AL_SEG_PROMISING;
    case 3: return fm >= 4 ? AL_SEG_LOYAL : fm == 3 ? AL_SEG_NEED_ATTENTION : AL_SEG_ABOUT_TO_SLEEP;
    case 2: return fm == 5 ? AL_SEG_CANNOT_LOSE : fm >= 3 ? AL_SEG_AT_RISK : AL_SEG_HIBERNATING;
    default: return fm == 5 ? AL_SEG_CANNOT_LOSE : fm >= 3 ? AL_SEG_AT_RISK : AL_SEG_LOST;
    }
}

static const char *const segment_names[] = {
    "champions",      "loyal",   "potential_loyalist", "new",         "promising", "need_attention",
    "about_to_sleep", "at_risk", "cannot_lose",        "hibernating", "lost"};

const char *al_segment_name(al_segment s)
{
    return s < AL_SEG_COUNT ? segment_names[s] : "";
}

int al_segment_by_name(const char *name)
{
    return name_index(segment_names, AL_SEG_COUNT, name);
}

static int by_int64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

void al_concentration_of(int64_t *v, size_t n, const int *pct, size_t npct, int points,
                         al_concentration *out)
{
    memset(out, 0, sizeof(*out));
    if (n > 0)
        qsort(v, n, sizeof(*v), by_int64);
    __int128 total = 0, weighted = 0;
    for (size_t i = 0; i < n; i++) {
        total += v[i];
        weighted += (__int128)(i + 1) * v[i];
    }
    out->fits = total <= INT64_MAX;
    out->total = out->fits ? (int64_t)total : 0;
    for (size_t k = 0; k < npct && k < 8; k++) {
        size_t top = ((size_t)pct[k] * n + 99) / 100;
        __int128 sum = 0;
        for (size_t i = 0; i < top; i++)
            sum += v[n - 1 - i];
        out->top_share[k] = total > 0 ? (double)sum / (double)total : 0;
    }
    if (points > 100)
        points = 100;
    __int128 cum = 0;
    size_t i = 0;
    for (int k = 0; k <= points; k++) {
        size_t upto = (size_t)k * n / (size_t)(points ? points : 1);
        for (; i < upto; i++)
            cum += v[i];
        out->lorenz[k] = total > 0 ? (double)cum / (double)total : (double)k / points;
    }
    /* G = 2 sum(i x_i) / (n sum x) - (n + 1) / n, the x ascending from i = 1. */
    out->gini = total > 0 && n > 0 ? 2.0 * (double)weighted / ((double)n * (double)total) -
                                         (double)(n + 1) / (double)n
                                   : 0;
}

int32_t al_day_parse(const char *s)
{
    if (strlen(s) != 10 || s[4] != '-' || s[7] != '-')
        return -1;
    for (int i = 0; i < 10; i++)
        if (i != 4 && i != 7 && (s[i] < '0' || s[i] > '9'))
            return -1;
    int y = atoi(s), m = atoi(s + 5), d = atoi(s + 8);
    if (y < 1970 || m < 1 || m > 12 || d < 1)
        return -1;
    static const int mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    bool leap = y % 4 == 0 && (y % 100 != 0 || y % 400 == 0);
    if (d > mdays[m - 1] || (m == 2 && d == 29 && !leap))
        return -1;
    struct tm tm = {.tm_year = y - 1900, .tm_mon = m - 1, .tm_mday = d};
    return (int32_t)(timegm(&tm) / 86400);
}

int32_t al_day_today_in(const al_tz *tz)
{
    return al_tz_day(tz, (int64_t)time(NULL));
}

void al_day_format(int32_t day, char out[11])
{
    time_t t = (time_t)day * 86400;
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, 11, "%Y-%m-%d", &tm);
}

int64_t al_yearly_value(const al_facts *f, int32_t as_of)
{
    int64_t days = as_of - f->first_day + 1;
    if (days < 365)
        days = 365;
    return (int64_t)((__int128)f->spend * 365 / days);
}

bool al_long_gap(const al_facts *f, double x, int32_t as_of, double factor)
{
    return (double)(as_of - f->last_day) * x > factor * (double)(f->last_day - f->first_day);
}

void al_affinity_add(const al_history *h, int32_t as_of, int32_t window, size_t np, uint8_t *seen,
                     uint32_t *list, int64_t *at, int64_t *pair, int64_t *active)
{
    size_t k = 0;
    bool any = false;
    for (size_t i = 0; i < h->n; i++) {
        const al_purchase *u = &h->p[i];
        if (u->day > as_of || u->day <= as_of - window || u->partner >= np || seen[u->partner])
            continue;
        seen[u->partner] = 1;
        any = true;
        at[u->partner]++;
        for (size_t j = 0; j < k; j++) {
            uint32_t a = list[j] < u->partner ? list[j] : u->partner;
            uint32_t b = list[j] < u->partner ? u->partner : list[j];
            pair[(size_t)a * np + b]++;
        }
        list[k++] = u->partner;
    }
    for (size_t i = 0; i < h->n; i++)
        if (h->p[i].partner < np)
            seen[h->p[i].partner] = 0;
    *active += any;
}

double al_lift(int64_t both, int64_t active, int64_t at_a, int64_t at_b)
{
    double expect = (double)at_a * (double)at_b;
    return expect > 0 ? (double)both * (double)active / expect : 0;
}

int al_rfm_scores(const int64_t *recency, const int64_t *frequency, const int64_t *monetary,
                  size_t n, uint8_t *score)
{
    /* The members who bought in the window, packed: their three measures, then their scores. */
    size_t active = 0;
    for (size_t i = 0; i < n; i++)
        active += frequency[i] > 0;
    int64_t *v = malloc(3 * (active ? active : 1) * sizeof(*v));
    uint8_t *s = calloc(3 * (active ? active : 1), 1);
    if (v == NULL || s == NULL) {
        free(v);
        free(s);
        return -1;
    }
    for (size_t i = 0, k = 0; i < n; i++)
        if (frequency[i] > 0) {
            v[k] = recency[i];
            v[active + k] = frequency[i];
            v[2 * active + k] = monetary[i];
            k++;
        }
    al_quintiles(v, active, true, s);
    al_quintiles(v + active, active, false, s + active);
    al_quintiles(v + 2 * active, active, false, s + 2 * active);
    for (size_t i = 0, k = 0; i < n; i++) {
        bool bought = frequency[i] > 0;
        score[i] = bought ? s[k] : 1;
        score[n + i] = bought ? s[active + k] : 1;
        score[2 * n + i] = bought ? s[2 * active + k] : 1;
        k += bought;
    }
    free(v);
    free(s);
    return 0;
}
