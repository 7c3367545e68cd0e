/*
 * Program rules as data: the JSON document a tenant's program managers PUT,
 * checked and compiled into an immutable, reference-counted al_rules. Pure
 * logic: no database, no HTTP. The document (docs/rules.md):
 *
 *   {"tiers": {"window_months": 12,
 *              "levels": [{"name": "normal", "threshold": 0, "multiplier_pct": 100}, ...]},
 *    "promotions": [{"id", "multiplier_pct" | "bonus_points", "partners", "categories",
 *                    "tiers", "from", "to", "days_of_week", "cap": {"points", "period"}}],
 *    "cross_partner_bonus": {"points"},
 *    "events": {"survey_completed": {"points", "limit", "period"}, ...}}
 */
#ifndef AL_RULES_H
#define AL_RULES_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "alliance/plugin.h"

#define AL_TIERS_MAX 16
#define AL_TIER_NAME_MAX 32
#define AL_PROMOS_MAX 256
#define AL_FILTER_MAX 8
#define AL_EVENTS_MAX 64
#define AL_NAME_MAX 65

typedef struct al_tier {
    char name[AL_TIER_NAME_MAX];
    int64_t threshold;      /* qualifying points over the window */
    int64_t multiplier_pct; /* 100: no bonus */
} al_tier;

typedef enum {
    AL_PERIOD_DAY,
    AL_PERIOD_WEEK,
    AL_PERIOD_MONTH,
    AL_PERIOD_YEAR,
    AL_PERIOD_EVER
} al_period;

typedef struct al_promo {
    char id[AL_NAME_MAX];
    int64_t multiplier_pct; /* > 100: extra on the matching lines; 0: a bonus promotion */
    int64_t bonus_points;   /* once a matching transaction */
    char partners[AL_FILTER_MAX][AL_NAME_MAX];
    size_t npartners; /* 0: any */
    char categories[AL_FILTER_MAX][ALLIANCE_CATEGORY_MAX];
    size_t ncategories;   /* 0: any */
    uint32_t tiers;       /* bit i: level i; 0: any */
    int64_t from_s, to_s; /* [from, to) in Unix seconds; 0: open */
    uint8_t days;         /* bit d-1 for ISO day d (1 Monday .. 7 Sunday); 0: any */
    int64_t cap_points;   /* per member, per period; 0: none */
    al_period cap_period;
} al_promo;

typedef struct al_event_rule {
    char name[AL_NAME_MAX];
    int64_t points;
    int64_t limit; /* awards per member per period; 0: no limit */
    al_period period;
} al_event_rule;

/*
 * Referrals: when a member enrolled with another's referral code makes a first
 * qualifying transaction within within_days, the referee gets referee_points
 * and the referrer referrer_points (at most limit referrals rewarded a period;
 * past it the referee's reward only).
 */
typedef struct al_referral_rule {
    bool on;
    int64_t referrer_points, referee_points;
    int64_t within_days;
    int64_t limit; /* rewarded referrals per referrer per period; 0: no limit */
    al_period period;
} al_referral_rule;

typedef enum { AL_DOWNGRADE_NONE, AL_DOWNGRADE_REVIEW, AL_DOWNGRADE_AFTER_DAYS } al_downgrade;

typedef struct al_rules {
    atomic_int refs;
    int version; /* 0: the defaults */
    int window_months;
    al_downgrade downgrade;
    int64_t downgrade_days; /* for AL_DOWNGRADE_AFTER_DAYS */
    size_t ntiers;
    al_tier tiers[AL_TIERS_MAX];
    size_t npromos;
    al_promo promos[AL_PROMOS_MAX];
    int64_t cross_partner_points; /* first transaction at a partner new to the member */
    size_t nevents;
    al_event_rule events[AL_EVENTS_MAX];
    al_referral_rule referral;
} al_rules;

/* The rules of a tenant that set none: normal, gold, platinum, diamond, all at 100%. */
al_rules *al_rules_new_defaults(void);

/* The defaults as a document (caller decrefs). */
json_t *al_rules_default_document(void);

/*
 * Checks doc and compiles it into *out (one reference). On failure returns -1
 * with the JSON path at fault in path ("$.tiers.levels[2].threshold") and why
 * in msg.
 */
int al_rules_compile(const json_t *doc, al_rules **out, char path[128], char msg[256]);

al_rules *al_rules_hold(al_rules *r);
void al_rules_drop(al_rules *r);

/* The index of the highest level whose threshold qualifying reaches. */
size_t al_rules_tier_for(const al_rules *r, int64_t qualifying);

/* The index of the level called name, or 0 (the lowest) when there is none. */
size_t al_rules_tier_index(const al_rules *r, const char *name);

/* Bonus points a level's multiplier adds to points: floor(points x (pct - 100) / 100). */
int64_t al_rules_tier_bonus(const al_tier *t, int64_t points);

/* A member's tier and what decides its next one. Times in Unix seconds; 0: none. */
typedef struct al_tier_state {
    size_t held;      /* the level held */
    size_t qualifies; /* the level the window's qualifying points reach */
    int64_t now, tier_since, below_since;
    size_t floor; /* an admin's floor, while now < floor_until */
    int64_t floor_until;
} al_tier_state;

typedef struct al_tier_decision {
    size_t tier;
    int64_t below_since; /* 0: not below */
    const char *reason;  /* NULL: the tier does not change */
} al_tier_decision;

/*
 * The next tier: up at once when the window qualifies for more; down by the
 * downgrade policy (none; at the review, window_months after the tier was
 * reached; or after downgrade_days below); never under an admin's floor.
 */
al_tier_decision al_rules_decide_tier(const al_rules *r, const al_tier_state *s);

/* What a promotion adds to one transaction, before its cap. */
typedef struct al_award {
    const al_promo *promo;
    int64_t points;
} al_award;

/*
 * The promotions that apply to a transaction of partner with these plugin
 * lines, for a member of level tier, at when (Unix seconds, UTC; the day of
 * the week is the tenant's, at when + utc_offset): each
 * multiplier promotion adds floor(sum of its matching lines' points x
 * (pct - 100) / 100), each bonus promotion its bonus when a line matches.
 * Stacking is additive: every promotion counts on the plugin's points, not on
 * another's. Returns how many awards were written (at most max).
 */
size_t al_rules_promotions(const al_rules *r, const char *partner,
                           const alliance_points_line *lines, size_t nlines, size_t tier,
                           int64_t when, int32_t utc_offset, al_award *out, size_t max);

/* The rule of an event, or NULL. */
const al_event_rule *al_rules_event(const al_rules *r, const char *name);

/*
 * The key of the period containing local (the tenant's local time as seconds
 * since 1970: Unix seconds plus its zone's offset): "2026-11", "2026-W47",
 * "2026-11-23", "2026", "ever".
 */
void al_period_key(al_period p, int64_t local, char out[16]);

/* The period called name (day, week, month, year, ever): 0, or -1 for another name. */
int al_period_named(const char *name, al_period *out);

#endif
