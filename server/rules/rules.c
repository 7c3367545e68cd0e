/* Program rules; see rules.h. */
#include "rules/rules.h"

#include <stdio.h>
#include <string.h>

static const al_tier default_tiers[] = {
    {"normal", 0, 100},
    {"gold", 10000, 100},
    {"platinum", 50000, 100},
    {"diamond", 200000, 100},
};

void al_rules_defaults(al_rules *r)
{
    memset(r, 0, sizeof(*r));
    r->window_months = 12;
    r->ntiers = sizeof(default_tiers) / sizeof(default_tiers[0]);
    memcpy(r->tiers, default_tiers, sizeof(default_tiers));
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
    static const char *const keys[] = {"window_months", "levels", NULL};
    static const char *const level_keys[] = {"name", "threshold", "multiplier_pct", NULL};
    if (!json_is_object(tiers))
        return fail(path, msg, "$.tiers", "must be an object");
    int64_t window;
    if (only(tiers, keys, "$.tiers", path, msg) != 0 ||
        int_member(tiers, "window_months", 1, 120, 12, &window, "$.tiers", path, msg) != 0)
        return -1;
    r->window_months = (int)window;
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

int al_rules_parse(const json_t *doc, al_rules *out, char path[128], char msg[256])
{
    static const char *const keys[] = {"tiers", NULL};
    al_rules r;
    al_rules_defaults(&r);
    if (!json_is_object(doc))
        return fail(path, msg, "$", "must be a JSON object");
    if (only(doc, keys, "$", path, msg) != 0)
        return -1;
    const json_t *tiers = json_object_get(doc, "tiers");
    if (tiers != NULL && parse_tiers(tiers, &r, path, msg) != 0)
        return -1;
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
