/*
 * insurer: points for premiums paid, with product multipliers, a bonus for
 * claim-free years and a fixed bonus for renewals.
 *
 * config {"currency","premium_minor_per_point","product_multiplier_pct":{product:int},
 *         "renewal_bonus_points","claim_free_bonus_pct_per_year","claim_free_bonus_pct_max"}
 * data   {"type":"premium","amount_minor","currency","product","renewal":bool,
 *         "claim_free_years":int}
 * pct = product_multiplier_pct(product, default 100)
 *       + min(claim_free_years x claim_free_bonus_pct_per_year, claim_free_bonus_pct_max)
 * points = floor(amount_minor x pct / (100 x premium_minor_per_point))
 *          + (renewal ? renewal_bonus_points : 0)
 * Lines: "premium:<product>" (qualifying) and, on renewal, "renewal_bonus" (not
 * qualifying). Base amount = amount_minor.
 */
#include <stdlib.h>
#include <string.h>

#include "../common/plugin_util.h"

#define MAX_PRODUCTS 256
#define PRODUCT_MAX 48

typedef struct {
    char product[PRODUCT_MAX + 1];
    int64_t pct;
} product_rule;

typedef struct {
    char currency[4];
    int64_t premium_minor_per_point, renewal_bonus_points;
    int64_t claim_free_pct_per_year, claim_free_pct_max;
    size_t nproducts;
    product_rule products[MAX_PRODUCTS];
} insurer_state;

static int load(const alliance_host *h, const alliance_json *cfg, void **state, alliance_error *err)
{
    static const char *const keys[] = {"currency",
                                       "premium_minor_per_point",
                                       "product_multiplier_pct",
                                       "renewal_bonus_points",
                                       "claim_free_bonus_pct_per_year",
                                       "claim_free_bonus_pct_max",
                                       NULL};
    insurer_state *s = calloc(1, sizeof(*s));
    if (s == NULL)
        return pu_fail(err, "out_of_memory", "out of memory");
    if (pu_only(h, cfg, keys, err) || pu_currency(h, cfg, s->currency, err) ||
        pu_int(h, cfg, "premium_minor_per_point", "premium_minor_per_point", 1,
               &s->premium_minor_per_point, err) ||
        pu_int(h, cfg, "renewal_bonus_points", "renewal_bonus_points", 0, &s->renewal_bonus_points,
               err) ||
        pu_int(h, cfg, "claim_free_bonus_pct_per_year", "claim_free_bonus_pct_per_year", 0,
               &s->claim_free_pct_per_year, err) ||
        pu_int(h, cfg, "claim_free_bonus_pct_max", "claim_free_bonus_pct_max", 0,
               &s->claim_free_pct_max, err))
        goto fail;
    if (s->premium_minor_per_point > INT64_MAX / 100 || s->claim_free_pct_max > 1000000 ||
        s->claim_free_pct_per_year > 1000000) {
        pu_fail(err, "invalid_config", "a rate is out of range");
        goto fail;
    }
    const alliance_json *m = h->json_get(cfg, "product_multiplier_pct");
    if (m != NULL && h->json_type(m) != ALLIANCE_JSON_OBJECT) {
        pu_fail(err, "invalid_product_multiplier_pct", "product_multiplier_pct must be an object");
        goto fail;
    }
    for (size_t i = 0; m != NULL && i < h->json_size(m); i++) {
        const alliance_json *v;
        const char *product = h->json_member(m, i, &v);
        int64_t pct;
        if (i >= MAX_PRODUCTS || strlen(product) == 0 || strlen(product) > PRODUCT_MAX ||
            h->json_int(v, &pct) != 0 || pct < 0 || pct > 1000000) {
            pu_fail(err, "invalid_product_multiplier_pct",
                    "product_multiplier_pct maps product names to percentages 0..1000000");
            goto fail;
        }
        snprintf(s->products[s->nproducts].product, PRODUCT_MAX + 1, "%s", product);
        s->products[s->nproducts++].pct = pct;
    }
    *state = s;
    return ALLIANCE_OK;
fail:
    free(s);
    return ALLIANCE_REFUSED;
}

static int translate(const alliance_host *h, const void *state, const alliance_json *data,
                     alliance_translation *out, alliance_error *err)
{
    const insurer_state *s = state;
    int64_t amount, years;
    int renewal;
    if (pu_type(h, data, "premium", err) ||
        pu_int(h, data, "amount_minor", "amount_minor", 1, &amount, err) ||
        pu_same_currency(h, data, s->currency, err))
        return ALLIANCE_REFUSED;
    const char *product = pu_string(h, data, "product", "product", PRODUCT_MAX, err);
    if (product == NULL || pu_int(h, data, "claim_free_years", "claim_free_years", 0, &years, err))
        return ALLIANCE_REFUSED;
    const alliance_json *r = h->json_get(data, "renewal");
    if (r == NULL)
        return pu_fail(err, "missing_renewal", "renewal is required");
    if (h->json_bool(r, &renewal) != 0)
        return pu_fail(err, "invalid_renewal", "renewal must be true or false");

    int64_t pct = 100;
    for (size_t i = 0; i < s->nproducts; i++)
        if (strcmp(s->products[i].product, product) == 0)
            pct = s->products[i].pct;
    int64_t bonus;
    if (__builtin_mul_overflow(years, s->claim_free_pct_per_year, &bonus) ||
        bonus > s->claim_free_pct_max)
        bonus = s->claim_free_pct_max;
    pct += bonus;

    int64_t points;
    if (pu_mul_div(amount, pct, 100 * s->premium_minor_per_point, &points) != 0)
        return pu_fail(err, "amount_minor_overflow", "amount_minor x percentage overflows");
    char category[ALLIANCE_CATEGORY_MAX];
    snprintf(category, sizeof(category), "premium:%s", product);
    out->base_amount_minor = amount;
    memcpy(out->currency, s->currency, 4);
    if (pu_line(out, points, category, 1, err))
        return ALLIANCE_REFUSED;
    if (renewal && pu_line(out, s->renewal_bonus_points, "renewal_bonus", 0, err))
        return ALLIANCE_REFUSED;
    return ALLIANCE_OK;
}

PU_PLUGIN("insurer", "1.0.0", load, translate,
          "{\"summary\":\"Insurance premiums, claim-free years and renewals\",\"config\":{"
          "\"currency\":{\"type\":\"currency\",\"required\":true,\"description\":\"the partner's "
          "money, ISO 4217\"},"
          "\"premium_minor_per_point\":{\"type\":\"integer\",\"required\":true,\"min\":1,"
          "\"description\":\"minor units of premium for one point\"},"
          "\"product_multiplier_pct\":{\"type\":\"object\",\"required\":false,\"default\":{},"
          "\"description\":\"product to a multiplier in percent (default 100)\"},"
          "\"renewal_bonus_points\":{\"type\":\"integer\",\"required\":true,\"min\":0,"
          "\"description\":\"points added for a renewal\"},"
          "\"claim_free_bonus_pct_per_year\":{\"type\":\"integer\",\"required\":true,\"min\":0,"
          "\"max\":1000000,\"description\":\"bonus percent per claim-free year\"},"
          "\"claim_free_bonus_pct_max\":{\"type\":\"integer\",\"required\":true,\"min\":0,\"max\":"
          "1000000,\"description\":\"cap of the claim-free bonus, percent\"}"
          "},\"data\":{"
          "\"type\":{\"type\":\"string\",\"required\":true,\"description\":\"premium\"},"
          "\"amount_minor\":{\"type\":\"integer\",\"required\":true,\"min\":1,\"description\":"
          "\"the premium in minor units\"},"
          "\"currency\":{\"type\":\"currency\",\"required\":true,\"description\":\"must be the "
          "partner's\"},"
          "\"product\":{\"type\":\"string\",\"required\":true,\"description\":\"the product, for "
          "product_multiplier_pct\"},"
          "\"renewal\":{\"type\":\"boolean\",\"required\":true,\"description\":\"a renewal earns "
          "renewal_bonus_points\"},"
          "\"claim_free_years\":{\"type\":\"integer\",\"required\":true,\"min\":0,\"description\":"
          "\"claim-free years so far\"}"
          "}}")
