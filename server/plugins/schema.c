/* Plugins' field specs; see schema.h. */
#include "plugins/schema.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

static const char *const types[] = {"string",   "integer", "number", "boolean",
                                    "currency", "object",  "array"};

static bool known_type(const char *t)
{
    for (size_t i = 0; t != NULL && i < sizeof(types) / sizeof(types[0]); i++)
        if (strcmp(types[i], t) == 0)
            return true;
    return false;
}

static bool specs_valid(const json_t *fields, const char *section, char *why, size_t size)
{
    if (fields == NULL)
        return true;
    if (!json_is_object(fields)) {
        snprintf(why, size, "\"%s\" is not an object of field specs", section);
        return false;
    }
    const char *name;
    json_t *spec;
    json_object_foreach ((json_t *)fields, name, spec) {
        json_t *req = json_object_get(spec, "required");
        json_t *min = json_object_get(spec, "min"), *max = json_object_get(spec, "max");
        if (!json_is_object(spec) ||
            !known_type(json_string_value(json_object_get(spec, "type")))) {
            snprintf(why, size, "%s.%.64s has no spec {\"type\": string, integer, ...}", section,
                     name);
            return false;
        }
        if (!json_is_boolean(req) || (min != NULL && !json_is_integer(min)) ||
            (max != NULL && !json_is_integer(max))) {
            snprintf(why, size, "%s.%.64s: required must be a boolean, min and max integers",
                     section, name);
            return false;
        }
    }
    return true;
}

bool al_schema_valid(const json_t *description, char *why, size_t why_size)
{
    return specs_valid(json_object_get(description, "config"), "config", why, why_size) &&
           specs_valid(json_object_get(description, "data"), "data", why, why_size);
}

static bool currency_code(const char *s)
{
    return s != NULL && strlen(s) == 3 && s[0] >= 'A' && s[0] <= 'Z' && s[1] >= 'A' &&
           s[1] <= 'Z' && s[2] >= 'A' && s[2] <= 'Z';
}

/* Whether v is of type t; a reason to print when not. */
static bool typed(const json_t *v, const char *t, const char **expected)
{
    *expected = t;
    if (strcmp(t, "string") == 0)
        return json_is_string(v);
    if (strcmp(t, "integer") == 0)
        return json_is_integer(v);
    if (strcmp(t, "number") == 0)
        return json_is_number(v);
    if (strcmp(t, "boolean") == 0)
        return json_is_boolean(v);
    if (strcmp(t, "object") == 0)
        return json_is_object(v);
    if (strcmp(t, "array") == 0)
        return json_is_array(v);
    *expected = "an ISO 4217 code like CNY";
    return currency_code(json_string_value(v));
}

int al_schema_check_config(const json_t *description, const json_t *config, char code[64],
                           char *message, size_t message_size)
{
    const json_t *specs = json_object_get(description, "config");
    const char *name;
    json_t *spec;
    json_object_foreach ((json_t *)specs, name, spec) {
        json_t *v = json_object_get(config, name);
        const char *expected;
        if (v == NULL) {
            if (!json_is_true(json_object_get(spec, "required")))
                continue;
            snprintf(code, 64, "missing_field");
            snprintf(message, message_size, "config.%.64s is required", name);
            return -1;
        }
        if (!typed(v, json_string_value(json_object_get(spec, "type")), &expected)) {
            snprintf(code, 64, "invalid_field");
            snprintf(message, message_size, "config.%.64s must be %s", name, expected);
            return -1;
        }
        json_t *min = json_object_get(spec, "min"), *max = json_object_get(spec, "max");
        if (json_is_integer(v) &&
            ((min != NULL && json_integer_value(v) < json_integer_value(min)) ||
             (max != NULL && json_integer_value(v) > json_integer_value(max)))) {
            snprintf(code, 64, "invalid_field");
            if (max != NULL)
                snprintf(message, message_size, "config.%.64s must be from %lld to %lld", name,
                         (long long)(min ? json_integer_value(min) : INT64_MIN),
                         (long long)json_integer_value(max));
            else
                snprintf(message, message_size, "config.%.64s must be at least %lld", name,
                         (long long)json_integer_value(min));
            return -1;
        }
    }
    return 0;
}
