/* One line of a history import, parsed and checked; see import.h. Pure: no database. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "ledger/import_line.h"

#include "core/limits.h"

__attribute__((format(printf, 5, 6))) static int bad(const char **code, const char *c, char *msg,
                                                     size_t size, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    *code = c;
    vsnprintf(msg, size, fmt, ap);
    va_end(ap);
    return -1;
}

static int id_field(json_t *obj, const char *field, char *out, const char **code, char *msg,
                    size_t size)
{
    json_t *v = json_object_get(obj, field);
    if (v == NULL)
        return bad(code, "missing_field", msg, size, "%s is required", field);
    const char *s = json_string_value(v);
    if (s == NULL || !al_id_valid(s))
        return bad(code, "invalid_field", msg, size, "%s must match [A-Za-z0-9._:-]{1,64}", field);
    snprintf(out, AL_ID_MAX + 1, "%s", s);
    return 0;
}

/* A whole number from 0 to max (the documented maxima, core/limits.h). */
static int amount_field(json_t *obj, const char *field, long long max, int64_t *out,
                        const char **code, char *msg, size_t size)
{
    json_t *v = json_object_get(obj, field);
    if (v == NULL)
        return bad(code, "missing_field", msg, size, "%s is required", field);
    if (!json_is_integer(v) || json_integer_value(v) < 0 || json_integer_value(v) > max)
        return bad(code, "invalid_field", msg, size, "%s must be an integer from 0 to %lld", field,
                   max);
    *out = json_integer_value(v);
    return 0;
}

int al_import_parse_line(const char *text, size_t len, al_import_line *out, const char **code,
                         char *message, size_t message_size)
{
    static const char *const fields[] = {"id",           "partner", "member",  "occurred_at",
                                         "amount_minor", "points",  "currency"};
    memset(out, 0, sizeof(*out));
    json_error_t err;
    json_t *obj = json_loadb(text, len, JSON_REJECT_DUPLICATES, &err);
    int rc = -1;
    if (!json_is_object(obj)) {
        bad(code, "invalid_json", message, message_size, "%s", "the line is no JSON object");
        goto done;
    }
    const char *key;
    json_t *value;
    json_object_foreach (obj, key, value) {
        size_t i = 0;
        while (i < sizeof(fields) / sizeof(fields[0]) && strcmp(fields[i], key) != 0)
            i++;
        if (i == sizeof(fields) / sizeof(fields[0])) {
            *code = "unknown_field";
            snprintf(message, message_size, "unknown field: %.64s", key);
            goto done;
        }
    }
    if (id_field(obj, "id", out->id, code, message, message_size) != 0 ||
        id_field(obj, "partner", out->partner, code, message, message_size) != 0 ||
        id_field(obj, "member", out->member, code, message, message_size) != 0 ||
        amount_field(obj, "amount_minor", AL_MAX_AMOUNT_MINOR, &out->amount_minor, code, message,
                     message_size) != 0 ||
        amount_field(obj, "points", AL_MAX_POINTS, &out->points, code, message, message_size) != 0)
        goto done;
    json_t *when = json_object_get(obj, "occurred_at");
    if (when == NULL) {
        bad(code, "missing_field", message, message_size, "%s is required", "occurred_at");
        goto done;
    }
    if (!json_is_string(when) || al_rfc3339_to_sql(json_string_value(when), out->occurred_at)) {
        bad(code, "invalid_field", message, message_size,
            "%s must be an RFC 3339 time (Z or an offset)", "occurred_at");
        goto done;
    }
    json_t *cur = json_object_get(obj, "currency");
    if (cur != NULL) {
        const char *c = json_string_value(cur);
        if (c == NULL || strlen(c) != 3 || strspn(c, "ABCDEFGHIJKLMNOPQRSTUVWXYZ") != 3) {
            bad(code, "invalid_field", message, message_size, "%s must be an ISO 4217 code",
                "currency");
            goto done;
        }
        memcpy(out->currency, c, 4);
    }
    rc = 0;
done:
    json_decref(obj);
    return rc;
}
