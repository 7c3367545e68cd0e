/*
 * bank: points for card spend, by merchant category code (MCC).
 *
 * config {"currency","spend_minor_per_point","mcc_multipliers":{mcc:int},"excluded_mcc":[mcc]}
 * data   {"type":"purchase","amount_minor","currency","mcc"}
 * points = floor(amount_minor x multiplier(mcc, default 1) / spend_minor_per_point);
 * an excluded MCC earns 0 (the transaction is still activity). Base amount = amount_minor.
 */
#include <stdlib.h>
#include <string.h>

#include "../common/plugin_util.h"

#define MAX_MCC 1024

typedef struct {
    char mcc[5];
    int64_t multiplier;
} mcc_rule;

typedef struct {
    char currency[4];
    int64_t spend_minor_per_point;
    size_t nrules, nexcluded;
    mcc_rule rules[MAX_MCC];
    char excluded[MAX_MCC][5];
} bank_state;

static int valid_mcc(const char *s)
{
    if (s == NULL || strlen(s) != 4)
        return 0;
    for (int i = 0; i < 4; i++)
        if (s[i] < '0' || s[i] > '9')
            return 0;
    return 1;
}

static int load(const alliance_host *h, const alliance_json *cfg, void **state, alliance_error *err)
{
    static const char *const keys[] = {"currency", "spend_minor_per_point", "mcc_multipliers",
                                       "excluded_mcc", NULL};
    bank_state *s = calloc(1, sizeof(*s));
    if (s == NULL)
        return pu_fail(err, "out_of_memory", "out of memory");
    if (pu_only(h, cfg, keys, err) || pu_currency(h, cfg, s->currency, err) ||
        pu_int(h, cfg, "spend_minor_per_point", "spend_minor_per_point", 1,
               &s->spend_minor_per_point, err))
        goto fail;

    const alliance_json *m = h->json_get(cfg, "mcc_multipliers");
    if (m != NULL && h->json_type(m) != ALLIANCE_JSON_OBJECT) {
        pu_fail(err, "invalid_mcc_multipliers", "mcc_multipliers must be an object");
        goto fail;
    }
    for (size_t i = 0; m != NULL && i < h->json_size(m); i++) {
        const alliance_json *v;
        const char *mcc = h->json_member(m, i, &v);
        int64_t mult;
        if (!valid_mcc(mcc) || i >= MAX_MCC || h->json_int(v, &mult) != 0 || mult < 1) {
            pu_fail(err, "invalid_mcc_multipliers",
                    "mcc_multipliers maps 4-digit MCCs to integers >= 1 (at most %d)", MAX_MCC);
            goto fail;
        }
        memcpy(s->rules[s->nrules].mcc, mcc, 5);
        s->rules[s->nrules++].multiplier = mult;
    }

    const alliance_json *x = h->json_get(cfg, "excluded_mcc");
    if (x != NULL && h->json_type(x) != ALLIANCE_JSON_ARRAY) {
        pu_fail(err, "invalid_excluded_mcc", "excluded_mcc must be an array");
        goto fail;
    }
    for (size_t i = 0; x != NULL && i < h->json_size(x); i++) {
        const char *mcc = h->json_string(h->json_at(x, i), NULL);
        if (!valid_mcc(mcc) || i >= MAX_MCC) {
            pu_fail(err, "invalid_excluded_mcc", "excluded_mcc lists 4-digit MCC strings");
            goto fail;
        }
        memcpy(s->excluded[s->nexcluded++], mcc, 5);
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
    const bank_state *s = state;
    int64_t amount;
    if (pu_type(h, data, "purchase", err) ||
        pu_int(h, data, "amount_minor", "amount_minor", 1, &amount, err) ||
        pu_same_currency(h, data, s->currency, err))
        return ALLIANCE_REFUSED;
    const char *mcc = pu_string(h, data, "mcc", "mcc", 4, err);
    if (mcc == NULL)
        return ALLIANCE_REFUSED;
    if (!valid_mcc(mcc))
        return pu_fail(err, "invalid_mcc", "mcc must be 4 digits");

    int64_t points = 0, multiplier = 1;
    int excluded = 0;
    for (size_t i = 0; i < s->nexcluded; i++)
        if (strcmp(s->excluded[i], mcc) == 0)
            excluded = 1;
    for (size_t i = 0; i < s->nrules; i++)
        if (strcmp(s->rules[i].mcc, mcc) == 0)
            multiplier = s->rules[i].multiplier;
    if (!excluded && pu_mul_div(amount, multiplier, s->spend_minor_per_point, &points) != 0)
        return pu_fail(err, "amount_minor_overflow", "amount_minor x multiplier overflows");

    char category[16];
    snprintf(category, sizeof(category), "mcc:%s", mcc);
    out->base_amount_minor = amount;
    memcpy(out->currency, s->currency, 4);
    return pu_line(out, points, category, 1, err);
}

PU_PLUGIN("bank", "1.0.0", load, translate,
          "{\"summary\":\"Card spend by merchant category code\",\"config\":{"
          "\"currency\":{\"type\":\"currency\",\"required\":true,\"description\":\"the partner's "
          "money, ISO 4217\"},"
          "\"spend_minor_per_point\":{\"type\":\"integer\",\"required\":true,\"min\":1,"
          "\"description\":\"minor units of spend for one point\"},"
          "\"mcc_multipliers\":{\"type\":\"object\",\"required\":false,\"default\":{},"
          "\"description\":\"4-digit MCC to a multiplier >= 1 (at most 64)\"},"
          "\"excluded_mcc\":{\"type\":\"array\",\"required\":false,\"default\":[],\"description\":"
          "\"4-digit MCCs that earn nothing\"}"
          "},\"data\":{"
          "\"type\":{\"type\":\"string\",\"required\":true,\"description\":\"purchase\"},"
          "\"amount_minor\":{\"type\":\"integer\",\"required\":true,\"min\":1,\"description\":"
          "\"the purchase in minor units\"},"
          "\"currency\":{\"type\":\"currency\",\"required\":true,\"description\":\"must be the "
          "partner's\"},"
          "\"mcc\":{\"type\":\"string\",\"required\":true,\"description\":\"merchant category "
          "code, 4 digits\"}"
          "}}")
