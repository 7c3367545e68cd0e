/* Program rules; see rules.h. */
#include "rules/rules.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/ids.h"

static const al_tier default_tiers[] = {
    {"normal", 0, 100},
    {"gold", 10000, 100},
    {"platinum", 50000, 100},
    {"diamond", 200000, 100},
};

static void defaults(al_rules *r)
{
    memset(r, 0, sizeof(*r));
    atomic_init(&r->refs, 1);
    r->window_months = 12;
    r->ntiers = sizeof(default_tiers) / sizeof(default_tiers[0]);
    memcpy(r->tiers, default_tiers, sizeof(default_tiers));
}

al_rules *al_rules_new_defaults(void)
{
    al_rules *r = malloc(sizeof(*r));
    if (r != NULL)
        defaults(r);
    return r;
}

al_rules *al_rules_hold(al_rules *r)
{
    atomic_fetch_add(&r->refs, 1);
    return r;
}

void al_rules_drop(al_rules *r)
{
    if (r != NULL && atomic_fetch_sub(&r->refs, 1) == 1)
        free(r);
}

json_t *al_rules_default_document(void)
{
    json_t *levels = json_array();
    for (size_t i = 0; i < sizeof(default_tiers) / sizeof(default_tiers[0]); i++)
        json_array_append_new(levels,
                              json_pack("{s:s,s:I,s:I}", "name", default_tiers[i].name, "threshold",
                                        (json_int_t)default_tiers[i].threshold, "multiplier_pct",
                                        (json_int_t)default_tiers[i].multiplier_pct));
    return json_pack("{s:{s:i,s:o}}", "tiers", "window_months", 12, "levels", levels);
}

static int fail(char path[128], char msg[256], const char *at, const char *why)
{
    snprintf(path, 128, "%s", at);
    snprintf(msg, 256, "%s", why);
    return -1;
}

/* An integer member in [lo, hi]; absent: def (or an error when def < lo). */
static int int_member(const json_t *obj, const char *key, int64_t lo, int64_t hi, int64_t def,
                      int64_t *out, const char *where, char path[128], char msg[256])
{
    char at[128], why[96];
    snprintf(at, sizeof(at), "%s.%s", where, key);
    const json_t *v = json_object_get(obj, key);
    if (v == NULL) {
        if (def < lo)
            return fail(path, msg, at, "is required");
        *out = def;
        return 0;
    }
    snprintf(why, sizeof(why), "must be an integer from %lld to %lld", (long long)lo,
             (long long)hi);
    if (!json_is_integer(v) || json_integer_value(v) < lo || json_integer_value(v) > hi)
        return fail(path, msg, at, why);
    *out = json_integer_value(v);
    return 0;
}

/* Refuses members of obj not in allowed (NULL-ended). */
static int only(const json_t *obj, const char *const *allowed, const char *where, char path[128],
                char msg[256])
{
    const char *key;
    json_t *v;
    json_object_foreach ((json_t *)obj, key, v) {
        (void)v;
        const char *const *a = allowed;
        while (*a != NULL && strcmp(*a, key) != 0)
            a++;
        if (*a == NULL) {
            char at[128];
            snprintf(at, sizeof(at), "%s.%.64s", where, key);
            return fail(path, msg, at, "is not a known rule");
        }
    }
    return 0;
}

static int valid_name(const char *s)
{
    size_t n = 0;
    for (; s[n] != '\0'; n++)
        if (n >= AL_TIER_NAME_MAX - 1 ||
            !((s[n] >= 'a' && s[n] <= 'z') || (s[n] >= '0' && s[n] <= '9') || s[n] == '_'))
            return 0;
    return n > 0;
}

static int parse_tiers(const json_t *tiers, al_rules *r, char path[128], char msg[256])
{
    static const char *const keys[] = {"window_months", "levels", "downgrade", NULL};
    static const char *const level_keys[] = {"name", "threshold", "multiplier_pct", NULL};
    static const char *const downgrade_keys[] = {"policy", "days", NULL};
    if (!json_is_object(tiers))
        return fail(path, msg, "$.tiers", "must be an object");
    int64_t window;
    if (only(tiers, keys, "$.tiers", path, msg) != 0 ||
        int_member(tiers, "window_months", 1, 120, 12, &window, "$.tiers", path, msg) != 0)
        return -1;
    r->window_months = (int)window;
    const json_t *dg = json_object_get(tiers, "downgrade");
    if (dg != NULL) {
        if (!json_is_object(dg))
            return fail(path, msg, "$.tiers.downgrade", "must be {\"policy\",\"days\"}");
        if (only(dg, downgrade_keys, "$.tiers.downgrade", path, msg) != 0)
            return -1;
        const char *policy = json_string_value(json_object_get(dg, "policy"));
        if (policy != NULL && strcmp(policy, "none") == 0)
            r->downgrade = AL_DOWNGRADE_NONE;
        else if (policy != NULL && strcmp(policy, "review") == 0)
            r->downgrade = AL_DOWNGRADE_REVIEW;
        else if (policy != NULL && strcmp(policy, "after_days") == 0)
            r->downgrade = AL_DOWNGRADE_AFTER_DAYS;
        else
            return fail(path, msg, "$.tiers.downgrade.policy",
                        "must be none, review or after_days");
        if (int_member(dg, "days", 0, 3650, r->downgrade == AL_DOWNGRADE_AFTER_DAYS ? -1 : 0,
                       &r->downgrade_days, "$.tiers.downgrade", path, msg) != 0)
            return -1;
    }
    const json_t *levels = json_object_get(tiers, "levels");
    if (levels == NULL)
        return 0; /* the default levels, with another window */
    if (!json_is_array(levels) || json_array_size(levels) == 0 ||
        json_array_size(levels) > AL_TIERS_MAX)
        return fail(path, msg, "$.tiers.levels", "must be an array of 1 to 16 levels");
    r->ntiers = 0;
    for (size_t i = 0; i < json_array_size(levels); i++) {
        const json_t *l = json_array_get(levels, i);
        char where[64], at[96];
        snprintf(where, sizeof(where), "$.tiers.levels[%zu]", i);
        if (!json_is_object(l))
            return fail(path, msg, where, "must be an object");
        if (only(l, level_keys, where, path, msg) != 0)
            return -1;
        al_tier *t = &r->tiers[r->ntiers];
        const char *name = json_string_value(json_object_get(l, "name"));
        snprintf(at, sizeof(at), "%s.name", where);
        if (name == NULL || !valid_name(name))
            return fail(path, msg, at, "must match [a-z0-9_]{1,31}");
        for (size_t j = 0; j < r->ntiers; j++)
            if (strcmp(r->tiers[j].name, name) == 0)
                return fail(path, msg, at, "is the name of an earlier level");
        snprintf(t->name, sizeof(t->name), "%s", name);
        if (int_member(l, "threshold", 0, INT64_MAX, -1, &t->threshold, where, path, msg) != 0 ||
            int_member(l, "multiplier_pct", 100, 10000, 100, &t->multiplier_pct, where, path,
                       msg) != 0)
            return -1;
        snprintf(at, sizeof(at), "%s.threshold", where);
        if (i == 0 && t->threshold != 0)
            return fail(path, msg, at, "of the first level must be 0");
        if (i > 0 && t->threshold <= r->tiers[i - 1].threshold)
            return fail(path, msg, at, "must be above the level before");
        r->ntiers++;
    }
    return 0;
}

int al_period_named(const char *name, al_period *out)
{
    static const char *const names[] = {"day", "week", "month", "year", "ever"};
    for (int i = 0; name != NULL && i < 5; i++)
        if (strcmp(name, names[i]) == 0) {
            *out = (al_period)i;
            return 0;
        }
    return -1;
}

static int parse_period(const json_t *v, al_period *out)
{
    return al_period_named(json_string_value(v), out);
}

/* An RFC 3339 time (Z or an offset) as Unix seconds. */
static int parse_time(const json_t *v, int64_t *out)
{
    char sql[27];
    if (!json_is_string(v) || al_rfc3339_to_sql(json_string_value(v), sql) != 0)
        return -1;
    *out = al_sql_time_to_unix(sql);
    return 0;
}

/* An array of at most AL_FILTER_MAX strings of at most max-1 bytes, into names. */
static int string_list(const json_t *v, char *names, size_t max, size_t *n)
{
    if (!json_is_array(v) || json_array_size(v) == 0 || json_array_size(v) > AL_FILTER_MAX)
        return -1;
    for (size_t i = 0; i < json_array_size(v); i++) {
        const char *s = json_string_value(json_array_get(v, i));
        if (s == NULL || s[0] == '\0' || strlen(s) >= max)
            return -1;
        snprintf(names + i * max, max, "%s", s);
    }
    *n = json_array_size(v);
    return 0;
}

static int parse_promo(const json_t *p, size_t i, al_rules *r, char path[128], char msg[256])
{
    static const char *const keys[] = {
        "id", "multiplier_pct", "bonus_points", "partners", "categories", "tiers", "from",
        "to", "days_of_week",   "cap",          NULL};
    char where[64], at[96];
    snprintf(where, sizeof(where), "$.promotions[%zu]", i);
    if (!json_is_object(p))
        return fail(path, msg, where, "must be an object");
    if (only(p, keys, where, path, msg) != 0)
        return -1;
    al_promo *pr = &r->promos[r->npromos];
    memset(pr, 0, sizeof(*pr));
    const char *id = json_string_value(json_object_get(p, "id"));
    snprintf(at, sizeof(at), "%s.id", where);
    if (id == NULL || !al_id_valid(id))
        return fail(path, msg, at, "must match [A-Za-z0-9._:-]{1,64}");
    for (size_t j = 0; j < r->npromos; j++)
        if (strcmp(r->promos[j].id, id) == 0)
            return fail(path, msg, at, "is the id of an earlier promotion");
    snprintf(pr->id, sizeof(pr->id), "%s", id);
    bool has_mult = json_object_get(p, "multiplier_pct") != NULL;
    bool has_bonus = json_object_get(p, "bonus_points") != NULL;
    if (has_mult == has_bonus)
        return fail(path, msg, where, "needs one of multiplier_pct and bonus_points");
    if (has_mult &&
        int_member(p, "multiplier_pct", 101, 10000, 0, &pr->multiplier_pct, where, path, msg) != 0)
        return -1;
    if (has_bonus &&
        int_member(p, "bonus_points", 1, 1000000000, 0, &pr->bonus_points, where, path, msg) != 0)
        return -1;
    const json_t *v;
    if ((v = json_object_get(p, "partners")) != NULL &&
        string_list(v, &pr->partners[0][0], AL_NAME_MAX, &pr->npartners) != 0) {
        snprintf(at, sizeof(at), "%s.partners", where);
        return fail(path, msg, at, "must list 1 to 8 partner ids");
    }
    if ((v = json_object_get(p, "categories")) != NULL &&
        string_list(v, &pr->categories[0][0], ALLIANCE_CATEGORY_MAX, &pr->ncategories) != 0) {
        snprintf(at, sizeof(at), "%s.categories", where);
        return fail(path, msg, at, "must list 1 to 8 categories");
    }
    if ((v = json_object_get(p, "tiers")) != NULL) {
        snprintf(at, sizeof(at), "%s.tiers", where);
        if (!json_is_array(v) || json_array_size(v) == 0)
            return fail(path, msg, at, "must list tier names");
        for (size_t j = 0; j < json_array_size(v); j++) {
            const char *name = json_string_value(json_array_get(v, j));
            size_t k = 0;
            while (name != NULL && k < r->ntiers && strcmp(r->tiers[k].name, name) != 0)
                k++;
            if (name == NULL || k == r->ntiers)
                return fail(path, msg, at, "names a tier the rules do not have");
            pr->tiers |= 1u << k;
        }
    }
    if ((v = json_object_get(p, "from")) != NULL && parse_time(v, &pr->from_s) != 0) {
        snprintf(at, sizeof(at), "%s.from", where);
        return fail(path, msg, at, "must be an RFC 3339 time (Z or an offset)");
    }
    if ((v = json_object_get(p, "to")) != NULL && parse_time(v, &pr->to_s) != 0) {
        snprintf(at, sizeof(at), "%s.to", where);
        return fail(path, msg, at, "must be an RFC 3339 time (Z or an offset)");
    }
    if (pr->from_s && pr->to_s && pr->to_s <= pr->from_s) {
        snprintf(at, sizeof(at), "%s.to", where);
        return fail(path, msg, at, "must be after from");
    }
    if ((v = json_object_get(p, "days_of_week")) != NULL) {
        snprintf(at, sizeof(at), "%s.days_of_week", where);
        if (!json_is_array(v) || json_array_size(v) == 0)
            return fail(path, msg, at, "must list ISO days, 1 (Monday) to 7 (Sunday)");
        for (size_t j = 0; j < json_array_size(v); j++) {
            const json_t *d = json_array_get(v, j);
            if (!json_is_integer(d) || json_integer_value(d) < 1 || json_integer_value(d) > 7)
                return fail(path, msg, at, "must list ISO days, 1 (Monday) to 7 (Sunday)");
            pr->days |= (uint8_t)(1u << (json_integer_value(d) - 1));
        }
    }
    if ((v = json_object_get(p, "cap")) != NULL) {
        static const char *const cap_keys[] = {"points", "period", NULL};
        snprintf(at, sizeof(at), "%s.cap", where);
        if (!json_is_object(v))
            return fail(path, msg, at, "must be {\"points\",\"period\"}");
        if (only(v, cap_keys, at, path, msg) != 0 ||
            int_member(v, "points", 1, INT64_MAX, -1, &pr->cap_points, at, path, msg) != 0)
            return -1;
        snprintf(at, sizeof(at), "%s.cap.period", where);
        if (parse_period(json_object_get(v, "period"), &pr->cap_period) != 0)
            return fail(path, msg, at, "must be day, week, month, year or ever");
    }
    r->npromos++;
    return 0;
}

static int parse_events(const json_t *events, al_rules *r, char path[128], char msg[256])
{
    static const char *const keys[] = {"points", "limit", "period", NULL};
    if (!json_is_object(events) || json_object_size(events) > AL_EVENTS_MAX)
        return fail(path, msg, "$.events", "must be an object of at most 64 events");
    const char *name;
    json_t *e;
    json_object_foreach ((json_t *)events, name, e) {
        char where[96], at[128];
        snprintf(where, sizeof(where), "$.events.%.64s", name);
        if (!al_id_valid(name))
            return fail(path, msg, where, "an event name must match [A-Za-z0-9._:-]{1,64}");
        if (!json_is_object(e))
            return fail(path, msg, where, "must be an object");
        al_event_rule *ev = &r->events[r->nevents];
        memset(ev, 0, sizeof(*ev));
        snprintf(ev->name, sizeof(ev->name), "%s", name);
        ev->period = AL_PERIOD_EVER;
        if (only(e, keys, where, path, msg) != 0 ||
            int_member(e, "points", 1, 1000000000, -1, &ev->points, where, path, msg) != 0 ||
            int_member(e, "limit", 0, 1000000, 0, &ev->limit, where, path, msg) != 0)
            return -1;
        snprintf(at, sizeof(at), "%s.period", where);
        if (json_object_get(e, "period") != NULL &&
            parse_period(json_object_get(e, "period"), &ev->period) != 0)
            return fail(path, msg, at, "must be day, week, month, year or ever");
        r->nevents++;
    }
    return 0;
}

/* "referral": {"referrer_points","referee_points","within_days","limit":{"count","period"}} */
static int parse_referral(const json_t *v, al_rules *r, char path[128], char msg[256])
{
    static const char *const keys[] = {"referrer_points", "referee_points", "within_days", "limit",
                                       NULL};
    static const char *const limit_keys[] = {"count", "period", NULL};
    al_referral_rule *f = &r->referral;
    if (!json_is_object(v))
        return fail(path, msg, "$.referral", "must be an object");
    f->on = true;
    f->period = AL_PERIOD_EVER;
    if (only(v, keys, "$.referral", path, msg) != 0 ||
        int_member(v, "referrer_points", 0, 1000000000, 0, &f->referrer_points, "$.referral", path,
                   msg) != 0 ||
        int_member(v, "referee_points", 0, 1000000000, 0, &f->referee_points, "$.referral", path,
                   msg) != 0 ||
        int_member(v, "within_days", 1, 3650, 30, &f->within_days, "$.referral", path, msg) != 0)
        return -1;
    const json_t *limit = json_object_get(v, "limit");
    if (limit == NULL)
        return 0;
    if (!json_is_object(limit))
        return fail(path, msg, "$.referral.limit", "must be {\"count\",\"period\"}");
    if (only(limit, limit_keys, "$.referral.limit", path, msg) != 0 ||
        int_member(limit, "count", 1, 1000000, -1, &f->limit, "$.referral.limit", path, msg) != 0)
        return -1;
    if (parse_period(json_object_get(limit, "period"), &f->period) != 0)
        return fail(path, msg, "$.referral.limit.period", "must be day, week, month, year or ever");
    return 0;
}

static int compile(const json_t *doc, al_rules *r, char path[128], char msg[256])
{
    static const char *const keys[] = {"tiers",  "promotions", "cross_partner_bonus",
                                       "events", "referral",   NULL};
    if (!json_is_object(doc))
        return fail(path, msg, "$", "must be a JSON object");
    if (only(doc, keys, "$", path, msg) != 0)
        return -1;
    const json_t *v = json_object_get(doc, "tiers");
    if (v != NULL && parse_tiers(v, r, path, msg) != 0)
        return -1;
    if ((v = json_object_get(doc, "promotions")) != NULL) {
        if (!json_is_array(v) || json_array_size(v) > AL_PROMOS_MAX)
            return fail(path, msg, "$.promotions", "must be an array of at most 256 promotions");
        for (size_t i = 0; i < json_array_size(v); i++)
            if (parse_promo(json_array_get(v, i), i, r, path, msg) != 0)
                return -1;
    }
    if ((v = json_object_get(doc, "cross_partner_bonus")) != NULL) {
        static const char *const cp_keys[] = {"points", NULL};
        if (!json_is_object(v))
            return fail(path, msg, "$.cross_partner_bonus", "must be {\"points\"}");
        if (only(v, cp_keys, "$.cross_partner_bonus", path, msg) != 0 ||
            int_member(v, "points", 1, 1000000000, -1, &r->cross_partner_points,
                       "$.cross_partner_bonus", path, msg) != 0)
            return -1;
    }
    if ((v = json_object_get(doc, "events")) != NULL && parse_events(v, r, path, msg) != 0)
        return -1;
    if ((v = json_object_get(doc, "referral")) != NULL && parse_referral(v, r, path, msg) != 0)
        return -1;
    return 0;
}

int al_rules_compile(const json_t *doc, al_rules **out, char path[128], char msg[256])
{
    al_rules *r = al_rules_new_defaults();
    if (r == NULL)
        return fail(path, msg, "$", "out of memory");
    if (compile(doc, r, path, msg) != 0) {
        al_rules_drop(r);
        return -1;
    }
    *out = r;
    return 0;
}

size_t al_rules_tier_for(const al_rules *r, int64_t qualifying)
{
    size_t best = 0;
    for (size_t i = 0; i < r->ntiers; i++)
        if (qualifying >= r->tiers[i].threshold)
            best = i;
    return best;
}

size_t al_rules_tier_index(const al_rules *r, const char *name)
{
    for (size_t i = 0; i < r->ntiers; i++)
        if (strcmp(r->tiers[i].name, name) == 0)
            return i;
    return 0;
}

int64_t al_rules_tier_bonus(const al_tier *t, int64_t points)
{
    __int128 extra = (__int128)points * (t->multiplier_pct - 100) / 100;
    return extra > INT64_MAX ? INT64_MAX : (int64_t)extra;
}

static bool in_list(const char *list, size_t width, size_t n, const char *s)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(list + i * width, s) == 0)
            return true;
    return false;
}

size_t al_rules_promotions(const al_rules *r, const char *partner,
                           const alliance_points_line *lines, size_t nlines, size_t tier,
                           int64_t when, int32_t utc_offset, al_award *out, size_t max)
{
    time_t t = (time_t)(when + utc_offset);
    struct tm tm;
    gmtime_r(&t, &tm);
    int iso_day = tm.tm_wday == 0 ? 7 : tm.tm_wday;
    size_t n = 0;
    for (size_t i = 0; i < r->npromos && n < max; i++) {
        const al_promo *p = &r->promos[i];
        if ((p->npartners && !in_list(&p->partners[0][0], AL_NAME_MAX, p->npartners, partner)) ||
            (p->tiers && !(p->tiers & (1u << tier))) || (p->from_s && when < p->from_s) ||
            (p->to_s && when >= p->to_s) || (p->days && !(p->days & (1u << (iso_day - 1)))))
            continue;
        __int128 matching = 0;
        bool any = false;
        for (size_t j = 0; j < nlines; j++)
            if (!p->ncategories || in_list(&p->categories[0][0], ALLIANCE_CATEGORY_MAX,
                                           p->ncategories, lines[j].category)) {
                matching += lines[j].points;
                any = true;
            }
        if (!any)
            continue;
        __int128 extra = p->multiplier_pct ? matching * (p->multiplier_pct - 100) / 100
                                           : (__int128)p->bonus_points;
        if (extra <= 0)
            continue;
        out[n].promo = p;
        out[n].points = extra > INT64_MAX ? INT64_MAX : (int64_t)extra;
        n++;
    }
    return n;
}

const al_event_rule *al_rules_event(const al_rules *r, const char *name)
{
    for (size_t i = 0; i < r->nevents; i++)
        if (strcmp(r->events[i].name, name) == 0)
            return &r->events[i];
    return NULL;
}

void al_period_key(al_period p, int64_t local, char out[16])
{
    time_t t = (time_t)local;
    struct tm tm;
    gmtime_r(&t, &tm);
    switch (p) {
    case AL_PERIOD_DAY: strftime(out, 16, "%Y-%m-%d", &tm); break;
    case AL_PERIOD_WEEK: strftime(out, 16, "%G-W%V", &tm); break;
    case AL_PERIOD_MONTH: strftime(out, 16, "%Y-%m", &tm); break;
    case AL_PERIOD_YEAR: strftime(out, 16, "%Y", &tm); break;
    case AL_PERIOD_EVER: snprintf(out, 16, "ever"); break;
    }
}

/* t plus n calendar months (UTC). */
static int64_t add_months(int64_t t, int n)
{
    time_t tt = (time_t)t;
    struct tm tm;
    gmtime_r(&tt, &tm);
    tm.tm_mon += n;
    return (int64_t)timegm(&tm);
}

al_tier_decision al_rules_decide_tier(const al_rules *r, const al_tier_state *s)
{
    al_tier_decision d = {.tier = s->held, .below_since = s->below_since, .reason = NULL};
    if (s->qualifies > s->held) {
        d.tier = s->qualifies;
        d.below_since = 0;
        d.reason = "qualified";
    } else if (s->qualifies == s->held) {
        d.below_since = 0;
    } else if (r->downgrade == AL_DOWNGRADE_REVIEW) {
        if (s->tier_since != 0 && s->now >= add_months(s->tier_since, r->window_months)) {
            d.tier = s->qualifies;
            d.reason = "review";
            d.below_since = 0;
        }
    } else if (r->downgrade == AL_DOWNGRADE_AFTER_DAYS) {
        if (d.below_since == 0)
            d.below_since = s->now;
        if (s->now - d.below_since >= r->downgrade_days * 86400) {
            d.tier = s->qualifies;
            d.reason = "below_threshold";
            d.below_since = 0;
        }
    }
    if (s->floor_until > s->now && d.tier < s->floor) {
        d.tier = s->floor;
        d.reason = d.tier != s->held ? "floor" : NULL;
    }
    return d;
}
