/*
 * retailer: points for basket lines, by product category.
 *
 * config {"currency","minor_per_point","category_multipliers":{category:int},
 *         "excluded_categories":[category]}
 * data   {"type":"purchase","currency","lines":[{"sku","category","qty","unit_minor"}]}
 * points = sum over lines not excluded of
 *          floor(qty x unit_minor x multiplier(category, default 1) / minor_per_point),
 * one points line per (not excluded) category, in order of first appearance.
 * Base amount = sum of qty x unit_minor over all lines, excluded ones included.
 */
#include <stdlib.h>
#include <string.h>

#include "../common/plugin_util.h"

#define MAX_RULES 512
#define CATEGORY_MAX 48
#define MAX_BASKET_LINES 1000

typedef struct {
    char category[CATEGORY_MAX + 1];
    int64_t multiplier;
} category_rule;

typedef struct {
    char currency[4];
    int64_t minor_per_point;
    size_t nrules, nexcluded;
    category_rule rules[MAX_RULES];
    char excluded[MAX_RULES][CATEGORY_MAX + 1];
} retailer_state;

static int load(const alliance_host *h, const alliance_json *cfg, void **state, alliance_error *err)
{
    static const char *const keys[] = {"currency", "minor_per_point", "category_multipliers",
                                       "excluded_categories", NULL};
    retailer_state *s = calloc(1, sizeof(*s));
    if (s == NULL)
        return pu_fail(err, "out_of_memory", "out of memory");
    if (pu_only(h, cfg, keys, err) || pu_currency(h, cfg, s->currency, err) ||
        pu_int(h, cfg, "minor_per_point", "minor_per_point", 1, &s->minor_per_point, err))
        goto fail;
    const alliance_json *m = h->json_get(cfg, "category_multipliers");
    if (m != NULL && h->json_type(m) != ALLIANCE_JSON_OBJECT) {
        pu_fail(err, "invalid_category_multipliers", "category_multipliers must be an object");
        goto fail;
    }
    for (size_t i = 0; m != NULL && i < h->json_size(m); i++) {
        const alliance_json *v;
        const char *cat = h->json_member(m, i, &v);
        int64_t mult;
        if (i >= MAX_RULES || strlen(cat) == 0 || strlen(cat) > CATEGORY_MAX ||
            h->json_int(v, &mult) != 0 || mult < 1) {
            pu_fail(err, "invalid_category_multipliers",
                    "category_multipliers maps categories to integers >= 1");
            goto fail;
        }
        snprintf(s->rules[s->nrules].category, CATEGORY_MAX + 1, "%s", cat);
        s->rules[s->nrules++].multiplier = mult;
    }
    const alliance_json *x = h->json_get(cfg, "excluded_categories");
    if (x != NULL && h->json_type(x) != ALLIANCE_JSON_ARRAY) {
        pu_fail(err, "invalid_excluded_categories", "excluded_categories must be an array");
        goto fail;
    }
    for (size_t i = 0; x != NULL && i < h->json_size(x); i++) {
        size_t len = 0;
        const char *cat = h->json_string(h->json_at(x, i), &len);
        if (i >= MAX_RULES || cat == NULL || len == 0 || len > CATEGORY_MAX) {
            pu_fail(err, "invalid_excluded_categories",
                    "excluded_categories lists category strings");
            goto fail;
        }
        snprintf(s->excluded[s->nexcluded++], CATEGORY_MAX + 1, "%s", cat);
    }
    *state = s;
    return ALLIANCE_OK;
fail:
    free(s);
    return ALLIANCE_REFUSED;
}

static int is_excluded(const retailer_state *s, const char *cat)
{
    for (size_t i = 0; i < s->nexcluded; i++)
        if (strcmp(s->excluded[i], cat) == 0)
            return 1;
    return 0;
}

static int64_t multiplier(const retailer_state *s, const char *cat)
{
    for (size_t i = 0; i < s->nrules; i++)
        if (strcmp(s->rules[i].category, cat) == 0)
            return s->rules[i].multiplier;
    return 1;
}

static int translate(const alliance_host *h, const void *state, const alliance_json *data,
                     alliance_translation *out, alliance_error *err)
{
    const retailer_state *s = state;
    if (pu_type(h, data, "purchase", err) || pu_same_currency(h, data, s->currency, err))
        return ALLIANCE_REFUSED;
    const alliance_json *lines = h->json_get(data, "lines");
    if (lines == NULL)
        return pu_fail(err, "missing_lines", "lines is required");
    size_t n = h->json_size(lines);
    if (h->json_type(lines) != ALLIANCE_JSON_ARRAY || n == 0 || n > MAX_BASKET_LINES)
        return pu_fail(err, "invalid_lines", "lines must be an array of 1 to %d basket lines",
                       MAX_BASKET_LINES);

    int64_t base = 0;
    out->nlines = 0;
    for (size_t i = 0; i < n; i++) {
        const alliance_json *line = h->json_at(lines, i);
        char where[64];
        int64_t qty, unit, amount, points;
        if (h->json_type(line) != ALLIANCE_JSON_OBJECT)
            return pu_fail(err, "invalid_lines", "lines[%zu] must be an object", i);
        snprintf(where, sizeof(where), "lines[%zu].sku", i);
        if (pu_string(h, line, "sku", where, 64, err) == NULL)
            return ALLIANCE_REFUSED;
        snprintf(where, sizeof(where), "lines[%zu].category", i);
        const char *cat = pu_string(h, line, "category", where, CATEGORY_MAX, err);
        if (cat == NULL)
            return ALLIANCE_REFUSED;
        snprintf(where, sizeof(where), "lines[%zu].qty", i);
        if (pu_int(h, line, "qty", where, 1, &qty, err))
            return ALLIANCE_REFUSED;
        snprintf(where, sizeof(where), "lines[%zu].unit_minor", i);
        if (pu_int(h, line, "unit_minor", where, 1, &unit, err))
            return ALLIANCE_REFUSED;
        if (__builtin_mul_overflow(qty, unit, &amount) ||
            __builtin_add_overflow(base, amount, &base))
            return pu_fail(err, "unit_minor_overflow", "lines[%zu]: qty x unit_minor overflows", i);
        if (is_excluded(s, cat))
            continue;
        if (pu_mul_div(amount, multiplier(s, cat), s->minor_per_point, &points) != 0)
            return pu_fail(err, "unit_minor_overflow", "lines[%zu]: amount x multiplier overflows",
                           i);
        size_t j = 0;
        while (j < out->nlines && strcmp(out->lines[j].category, cat) != 0)
            j++;
        if (j == out->nlines) {
            if (pu_line(out, points, cat, 1, err))
                return ALLIANCE_REFUSED;
        } else if (__builtin_add_overflow(out->lines[j].points, points, &out->lines[j].points)) {
            return pu_fail(err, "unit_minor_overflow", "points of category %s overflow", cat);
        }
    }
    out->base_amount_minor = base;
    memcpy(out->currency, s->currency, 4);
    return ALLIANCE_OK;
}

PU_PLUGIN("retailer", "1.0.0", load, translate,
          "{\"summary\":\"Retail baskets by product category\",\"config\":{"
          "\"currency\":{\"type\":\"currency\",\"required\":true,\"description\":\"the partner's "
          "money, ISO 4217\"},"
          "\"minor_per_point\":{\"type\":\"integer\",\"required\":true,\"min\":1,\"description\":"
          "\"minor units of spend for one point\"},"
          "\"category_multipliers\":{\"type\":\"object\",\"required\":false,\"default\":{},"
          "\"description\":\"category to a multiplier >= 1\"},"
          "\"excluded_categories\":{\"type\":\"array\",\"required\":false,\"default\":[],"
          "\"description\":\"categories that earn nothing\"}"
          "},\"data\":{"
          "\"type\":{\"type\":\"string\",\"required\":true,\"description\":\"purchase\"},"
          "\"currency\":{\"type\":\"currency\",\"required\":true,\"description\":\"must be the "
          "partner's\"},"
          "\"lines\":{\"type\":\"array\",\"required\":true,\"description\":\"basket lines {sku, "
          "category, qty >= 1, unit_minor >= 1}\"}"
          "}}")
