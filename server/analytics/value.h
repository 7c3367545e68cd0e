/*
 * Member value measures, pure: what one member's purchases say (recency,
 * frequency, monetary value, lifecycle stage, the calibration history CLV
 * needs) and what the whole population's figures say (quintile scores, RFM
 * segments, top shares, the Lorenz curve, the Gini coefficient). Time is in
 * whole days since 1970-01-01 (UTC); money in minor units, integers. The rules
 * are written out in docs/analytics.md.
 */
#ifndef AL_VALUE_H
#define AL_VALUE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "analytics/clv.h"
#include "core/tz.h"

/* One earning transaction of a member: its day, net spend, points and partner (an index). */
typedef struct al_purchase {
    int32_t day;
    uint32_t partner; /* UINT32_MAX: not among the partners read */
    int64_t spend;    /* base amount less what was refunded */
    int64_t points;
} al_purchase;

/* A member's purchases, in time order. */
typedef struct al_history {
    const char *member;
    const al_purchase *p;
    size_t n;
} al_history;

#define AL_RECENT_DAYS 90  /* lifecycle: the recent quarter */
#define AL_PRIOR_DAYS 365  /* lifecycle: the year before it */
#define AL_LAPSED_DAYS 180 /* lifecycle: no purchase for this long */

/* What one member's purchases up to and including day as_of say. */
typedef struct al_facts {
    int32_t first_day, last_day; /* -1: no purchase */
    int64_t purchase_days;       /* distinct days with a purchase */
    int64_t spend;               /* all of it */
    int64_t window_days;         /* distinct purchase days in (as_of - window, as_of] */
    int64_t window_spend;
    int64_t recent_spend; /* in (as_of - 90, as_of] */
    int64_t prior_spend;  /* in (as_of - 455, as_of - 90] */
    bool overflow;        /* a sum passed 2^63: the figures are unusable (refused, not clamped) */
} al_facts;

void al_facts_of(const al_history *h, int32_t as_of, int32_t window, al_facts *out);

typedef enum {
    AL_STAGE_NEW,
    AL_STAGE_GROWING,
    AL_STAGE_MATURE,
    AL_STAGE_DECLINING,
    AL_STAGE_LAPSED,
    AL_STAGE_COUNT
} al_stage;

/* The lifecycle stage the facts put a member in at as_of (docs/analytics.md). */
al_stage al_lifecycle_stage(const al_facts *f, int32_t as_of);
const char *al_stage_name(al_stage s);
/* The stage named name, or -1. */
int al_stage_by_name(const char *name);

/*
 * The BG/NBD history of a member as of the end of day cal_end, in weeks,
 * purchases of one day merged; false when the member had bought nothing by then.
 */
bool al_calibration_of(const al_history *h, int32_t cal_end, al_rfm *out);

/*
 * Quintile scores 1-5 of n values: ranked from worst to best (higher values
 * best, or lower when lower_is_better), the member at rank i (from 0) scores
 * 1 + 5i/n, and equal values all score as the first of them.
 */
int al_quintiles(const int64_t *v, size_t n, bool lower_is_better, uint8_t *score);

typedef enum {
    AL_SEG_CHAMPIONS,
    AL_SEG_LOYAL,
    AL_SEG_POTENTIAL_LOYALIST,
    AL_SEG_NEW,
    AL_SEG_PROMISING,
    AL_SEG_NEED_ATTENTION,
    AL_SEG_ABOUT_TO_SLEEP,
    AL_SEG_AT_RISK,
    AL_SEG_CANNOT_LOSE,
    AL_SEG_HIBERNATING,
    AL_SEG_LOST,
    AL_SEG_COUNT
} al_segment;

/*
 * RFM scores of n members from their recency (days since the last purchase),
 * frequency and monetary value in the window: quintiles among the members who
 * bought in the window (frequency > 0); a member who did not scores 1 on all
 * three, so it never lands in "new" or "champions" however long the rest have
 * been away. score holds r, f and m of member i at i, n + i and 2n + i.
 * 0, or -1 out of memory.
 */
int al_rfm_scores(const int64_t *recency, const int64_t *frequency, const int64_t *monetary,
                  size_t n, uint8_t *score);

/* The segment of recency score r and frequency-monetary score fm = round((f + m) / 2). */
al_segment al_rfm_segment(int r, int f, int m);
const char *al_segment_name(al_segment s);
/* The segment named name, or -1. */
int al_segment_by_name(const char *name);

/*
 * Sorts v ascending and describes its concentration: the share of the total
 * held by the top pct[i] percent (the ceiling of pct * n / 100 largest), the
 * Lorenz curve at population shares 0, 1/points, ..., 1, and the Gini
 * coefficient (0: all equal; towards 1: one holds all). Values must be >= 0.
 */
typedef struct al_concentration {
    int64_t total;
    bool fits; /* false: the total passed 2^63, and must be refused */
    double top_share[8];
    double lorenz[101];
    double gini;
} al_concentration;

void al_concentration_of(int64_t *v, size_t n, const int *pct, size_t npct, int points,
                         al_concentration *out);

/* What a member brings in a year: spend over their time with the alliance, per 365 days. */
int64_t al_yearly_value(const al_facts *f, int32_t as_of);

/*
 * Whether the days since a repeat buyer's last purchase pass factor times
 * their usual gap, (last - first) / x days; compared multiplied out, in
 * whole days, so that a gap of exactly factor times is not long.
 */
bool al_long_gap(const al_facts *f, double x, int32_t as_of, double factor);

/*
 * Affinity counts of one member's purchases in (as_of - window, as_of]:
 * at[a] counts the members active at partner a, pair[a * np + b] (a < b) those
 * active at both, *active those active anywhere. seen (np bytes, zero) and
 * list (np entries) are scratch space.
 */
void al_affinity_add(const al_history *h, int32_t as_of, int32_t window, size_t np, uint8_t *seen,
                     uint32_t *list, int64_t *at, int64_t *pair, int64_t *active);

/*
 * The lift of a pair of partners: how much likelier a member active at one is
 * to be active at the other than chance, both * active / (at_a * at_b); 0
 * when either has nobody.
 */
double al_lift(int64_t both, int64_t active, int64_t at_a, int64_t at_b);

/* Days since 1970-01-01 of "YYYY-MM-DD"; -1 when it is not such a date. */
int32_t al_day_parse(const char *s);
/* Today's day number (UTC). */
/* Today in zone tz (NULL: UTC). */
int32_t al_day_today_in(const al_tz *tz);
/* "YYYY-MM-DD" of a day number. */
void al_day_format(int32_t day, char out[11]);

#endif
