/* Host services for plugins, over jansson; see host.h. */
#include "plugins/host.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "core/log.h"

static const json_t *J(const alliance_json *v)
{
    return (const json_t *)v;
}

static void host_log(int level, const char *plugin, const char *message)
{
    al_log_level l = level <= ALLIANCE_LOG_DEBUG  ? AL_LOG_DEBUG
                     : level == ALLIANCE_LOG_INFO ? AL_LOG_INFO
                     : level == ALLIANCE_LOG_WARN ? AL_LOG_WARN
                                                  : AL_LOG_ERROR;
    al_log(l, "plugin %.32s: %.900s", plugin ? plugin : "?", message ? message : "");
}

static int64_t host_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int host_json_type(const alliance_json *v)
{
    if (v == NULL)
        return ALLIANCE_JSON_MISSING;
    switch (json_typeof(J(v))) {
    case JSON_OBJECT: return ALLIANCE_JSON_OBJECT;
    case JSON_ARRAY: return ALLIANCE_JSON_ARRAY;
    case JSON_STRING: return ALLIANCE_JSON_STRING;
    case JSON_INTEGER: return ALLIANCE_JSON_INT;
    case JSON_REAL: return ALLIANCE_JSON_REAL;
    case JSON_TRUE:
    case JSON_FALSE: return ALLIANCE_JSON_BOOL;
    case JSON_NULL: return ALLIANCE_JSON_NULL;
    }
    return ALLIANCE_JSON_NULL;
}

static const alliance_json *host_json_get(const alliance_json *obj, const char *key)
{
    if (obj == NULL || key == NULL || !json_is_object(J(obj)))
        return NULL;
    return al_json_in(json_object_get(J(obj), key));
}

static int host_json_int(const alliance_json *v, int64_t *out)
{
    if (v == NULL || !json_is_integer(J(v)))
        return -1;
    *out = (int64_t)json_integer_value(J(v));
    return 0;
}

static int host_json_bool(const alliance_json *v, int *out)
{
    if (v == NULL || !json_is_boolean(J(v)))
        return -1;
    *out = json_is_true(J(v));
    return 0;
}

static const char *host_json_string(const alliance_json *v, size_t *len)
{
    if (v == NULL || !json_is_string(J(v)))
        return NULL;
    const char *s = json_string_value(J(v));
    size_t n = json_string_length(J(v));
    if (memchr(s, '\0', n) != NULL)
        return NULL; /* "\u0000" inside: not a C string */
    if (len != NULL)
        *len = n;
    return s;
}

static size_t host_json_size(const alliance_json *v)
{
    if (v == NULL)
        return 0;
    if (json_is_array(J(v)))
        return json_array_size(J(v));
    if (json_is_object(J(v)))
        return json_object_size(J(v));
    return 0;
}

static const alliance_json *host_json_at(const alliance_json *arr, size_t i)
{
    if (arr == NULL || !json_is_array(J(arr)))
        return NULL;
    return al_json_in(json_array_get(J(arr), i));
}

static const char *host_json_member(const alliance_json *obj, size_t i, const alliance_json **value)
{
    *value = NULL;
    if (obj == NULL || !json_is_object(J(obj)))
        return NULL;
    json_t *o = (json_t *)J(obj); /* jansson's iterator takes a non-const object */
    void *it = json_object_iter(o);
    for (size_t k = 0; it != NULL && k < i; k++)
        it = json_object_iter_next(o, it);
    if (it == NULL)
        return NULL;
    *value = al_json_in(json_object_iter_value(it));
    return json_object_iter_key(it);
}

static const alliance_host host = {
    .abi_major = ALLIANCE_PLUGIN_ABI_MAJOR,
    .abi_minor = ALLIANCE_PLUGIN_ABI_MINOR,
    .log = host_log,
    .now_ms = host_now_ms,
    .json_type = host_json_type,
    .json_get = host_json_get,
    .json_int = host_json_int,
    .json_bool = host_json_bool,
    .json_string = host_json_string,
    .json_size = host_json_size,
    .json_at = host_json_at,
    .json_member = host_json_member,
};

const alliance_host *al_plugin_host(void)
{
    return &host;
}

bool al_plugin_word_valid(const char *s, size_t max_len)
{
    size_t n = 0;
    for (; s[n] != '\0'; n++)
        if (n >= max_len ||
            !((s[n] >= 'a' && s[n] <= 'z') || (s[n] >= '0' && s[n] <= '9') || s[n] == '_'))
            return false;
    return n > 0;
}

void al_plugin_error_sanitize(alliance_error *err)
{
    err->code[ALLIANCE_CODE_MAX - 1] = '\0';
    err->message[ALLIANCE_MESSAGE_MAX - 1] = '\0';
    if (!al_plugin_word_valid(err->code, ALLIANCE_CODE_MAX - 1))
        snprintf(err->code, sizeof(err->code), "plugin_error");
    if (err->message[0] == '\0')
        snprintf(err->message, sizeof(err->message), "the partner's plugin refused it");
}
