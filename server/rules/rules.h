/*
 * Program rules as data: the JSON document a tenant's program managers PUT,
 * checked and compiled into al_rules. Pure logic: no database, no HTTP.
 *
 * Today the document holds the tiers:
 *   {"tiers": {"window_months": 12,
 *              "levels": [{"name": "normal", "threshold": 0, "multiplier_pct": 100}, ...]}}
 * Levels are ordered by threshold (the first is 0): a member holds the highest
 * level whose threshold their qualifying points over the last window_months
 * reach. multiplier_pct (100 to 10000) scales what they earn.
 */
#ifndef AL_RULES_H
#define AL_RULES_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#define AL_TIERS_MAX 16
#define AL_TIER_NAME_MAX 32

typedef struct al_tier {
    char name[AL_TIER_NAME_MAX];
    int64_t threshold;      /* qualifying points over the window */
    int64_t multiplier_pct; /* 100: no bonus */
} al_tier;

typedef struct al_rules {
    int version; /* 0: the defaults */
    int window_months;
    size_t ntiers;
    al_tier tiers[AL_TIERS_MAX];
} al_rules;

/* The rules of a tenant that set none: normal, gold, platinum, diamond, all at 100%. */
void al_rules_defaults(al_rules *r);

/* The defaults as a document (caller decrefs). */
json_t *al_rules_default_document(void);

/*
 * Checks doc and compiles it into out. On failure returns -1 with the JSON
 * path at fault in path ("$.tiers.levels[2].threshold") and why in msg.
 */
int al_rules_parse(const json_t *doc, al_rules *out, char path[128], char msg[256]);

/* The index of the highest level whose threshold qualifying reaches. */
size_t al_rules_tier_for(const al_rules *r, int64_t qualifying);

/* The index of the level called name, or 0 (the lowest) when there is none. */
size_t al_rules_tier_index(const al_rules *r, const char *name);

/* Bonus points a level's multiplier adds to points: floor(points x (pct - 100) / 100). */
int64_t al_rules_tier_bonus(const al_tier *t, int64_t points);

#endif
