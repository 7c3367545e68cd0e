/*
 * Helpers the reference plugins share: reading fields through the host's JSON
 * services with the error codes every plugin uses, and exact integer
 * arithmetic. Header-only, so each plugin stays one self-contained .so.
 *
 * Codes: missing_<field>, invalid_<field> (wrong type, zero, negative, out of
 * range), <field>_overflow, unknown_field, currency_mismatch.
 */
#ifndef ALLIANCE_PLUGIN_UTIL_H
#define ALLIANCE_PLUGIN_UTIL_H

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "alliance/plugin.h"

__attribute__((format(printf, 3, 4))) static inline int
pu_fail(alliance_error *err, const char *code, const char *fmt, ...)
{
    va_list ap;
    snprintf(err->code, sizeof(err->code), "%s", code);
    va_start(ap, fmt);
    vsnprintf(err->message, sizeof(err->message), fmt, ap);
    va_end(ap);
    return ALLIANCE_REFUSED;
}

/* code = prefix + field + suffix, e.g. "invalid_" "amount_minor" "". */
static inline int pu_field_fail(alliance_error *err, const char *prefix, const char *field,
                                const char *suffix, const char *where, const char *what)
{
    char code[ALLIANCE_CODE_MAX];
    snprintf(code, sizeof(code), "%s%s%s", prefix, field, suffix);
    return pu_fail(err, code, "%s %s", where, what);
}

/* An integer field >= min. where is how the message names it ("lines[2].qty"). */
static inline int pu_int(const alliance_host *h, const alliance_json *obj, const char *field,
                         const char *where, int64_t min, int64_t *out, alliance_error *err)
{
    const alliance_json *v = h->json_get(obj, field);
    *out = 0;
    if (v == NULL)
        return pu_field_fail(err, "missing_", field, "", where, "is required");
    if (h->json_int(v, out) != 0)
        return pu_field_fail(err, "invalid_", field, "", where, "must be an integer");
    if (*out < min) {
        char what[64];
        snprintf(what, sizeof(what), "must be at least %lld", (long long)min);
        return pu_field_fail(err, "invalid_", field, "", where, what);
    }
    return ALLIANCE_OK;
}

/* A non-empty string field of at most max_len bytes, or NULL (err filled in). */
static inline const char *pu_string(const alliance_host *h, const alliance_json *obj,
                                    const char *field, const char *where, size_t max_len,
                                    alliance_error *err)
{
    const alliance_json *v = h->json_get(obj, field);
    size_t len = 0;
    if (v == NULL) {
        pu_field_fail(err, "missing_", field, "", where, "is required");
        return NULL;
    }
    const char *s = h->json_string(v, &len);
    if (s == NULL) {
        pu_field_fail(err, "invalid_", field, "", where, "must be a string");
        return NULL;
    }
    if (len == 0 || len > max_len) {
        pu_field_fail(err, "invalid_", field, "", where, "has a bad length");
        return NULL;
    }
    return s;
}

/* The transaction's "type" must be expected. */
static inline int pu_type(const alliance_host *h, const alliance_json *data, const char *expected,
                          alliance_error *err)
{
    const char *type = pu_string(h, data, "type", "type", 32, err);
    if (type == NULL)
        return ALLIANCE_REFUSED;
    if (strcmp(type, expected) != 0)
        return pu_fail(err, "invalid_type", "type must be \"%s\"", expected);
    return ALLIANCE_OK;
}

/* A three-letter upper-case ISO 4217 code. */
static inline int pu_currency(const alliance_host *h, const alliance_json *obj, char out[4],
                              alliance_error *err)
{
    const char *s = pu_string(h, obj, "currency", "currency", 3, err);
    if (s == NULL)
        return ALLIANCE_REFUSED;
    if (strlen(s) != 3 || s[0] < 'A' || s[0] > 'Z' || s[1] < 'A' || s[1] > 'Z' || s[2] < 'A' ||
        s[2] > 'Z')
        return pu_fail(err, "invalid_currency", "currency must be an ISO 4217 code like CNY");
    memcpy(out, s, 4);
    return ALLIANCE_OK;
}

/* A transaction's currency must be the partner's. */
static inline int pu_same_currency(const alliance_host *h, const alliance_json *data,
                                   const char expected[4], alliance_error *err)
{
    char got[4];
    if (pu_currency(h, data, got, err) != ALLIANCE_OK)
        return ALLIANCE_REFUSED;
    if (strcmp(got, expected) != 0)
        return pu_fail(err, "currency_mismatch", "currency %s is not the partner's %s", got,
                       expected);
    return ALLIANCE_OK;
}

/* Refuses members of obj not in the NULL-ended list (typos in a config are costly). */
static inline int pu_only(const alliance_host *h, const alliance_json *obj,
                          const char *const *allowed, alliance_error *err)
{
    if (h->json_type(obj) != ALLIANCE_JSON_OBJECT)
        return pu_fail(err, "invalid_config", "must be a JSON object");
    for (size_t i = 0; i < h->json_size(obj); i++) {
        const alliance_json *v;
        const char *key = h->json_member(obj, i, &v);
        const char *const *a = allowed;
        while (*a != NULL && strcmp(*a, key) != 0)
            a++;
        if (*a == NULL)
            return pu_fail(err, "unknown_field", "unknown field %.64s", key);
    }
    return ALLIANCE_OK;
}

/* floor(a * b / c) for a, b >= 0 and c > 0; -1 when a * b overflows int64. */
static inline int pu_mul_div(int64_t a, int64_t b, int64_t c, int64_t *out)
{
    int64_t product;
    if (__builtin_mul_overflow(a, b, &product))
        return -1;
    *out = product / c;
    return 0;
}

/* Appends a line; refuses when the host's array is full. */
static inline int pu_line(alliance_translation *t, int64_t points, const char *category,
                          int qualifying, alliance_error *err)
{
    if (t->nlines == t->max_lines)
        return pu_fail(err, "too_many_lines", "more than %zu points lines", t->max_lines);
    alliance_points_line *l = &t->lines[t->nlines++];
    l->points = points;
    snprintf(l->category, sizeof(l->category), "%s", category);
    l->qualifying = qualifying;
    return ALLIANCE_OK;
}

/*
 * The end of every reference plugin: a config_free that frees the state
 * (one malloc'd block), the descriptor, and the exported entry point.
 * Needs <stdlib.h>; `describe_json` is a string literal.
 */
#define PU_PLUGIN(plugin_name, plugin_version, load_fn, translate_fn, describe_json)               \
    static void pu_config_free(void *state)                                                        \
    {                                                                                              \
        free(state);                                                                               \
    }                                                                                              \
    static const char *pu_describe(void)                                                           \
    {                                                                                              \
        return (describe_json);                                                                    \
    }                                                                                              \
    static const alliance_plugin pu_plugin = {                                                     \
        .abi_major = ALLIANCE_PLUGIN_ABI_MAJOR,                                                    \
        .abi_minor = ALLIANCE_PLUGIN_ABI_MINOR,                                                    \
        .name = (plugin_name),                                                                     \
        .version = (plugin_version),                                                               \
        .config_load = (load_fn),                                                                  \
        .translate = (translate_fn),                                                               \
        .describe = pu_describe,                                                                   \
        .config_free = pu_config_free,                                                             \
    };                                                                                             \
    ALLIANCE_PLUGIN_EXPORT const alliance_plugin *alliance_plugin_entry(void)                      \
    {                                                                                              \
        return &pu_plugin;                                                                         \
    }

#endif
