/*
 * alliance/plugin.h: the one header a partner plugin includes.
 *
 * A plugin turns one kind of partner's native transactions into points. It is
 * a shared object that exports one function, alliance_plugin_entry(), which
 * returns a const descriptor. The descriptor starts with the ABI version: the
 * host reads those two fields first and refuses a plugin whose major differs
 * from its own or whose minor is newer, before it looks at anything else.
 *
 * The host hands its services to the plugin as a table (alliance_host): a
 * plugin links no symbol of the server. Everything a plugin reads of a
 * partner's config or transaction comes through that table's JSON readers, so
 * a plugin needs no JSON library of its own.
 *
 * Rules of change (see docs/plugins.md):
 *   - adding a field at the END of alliance_host or alliance_plugin, or a new
 *     optional callback, is a minor bump;
 *   - changing or removing anything is a major bump.
 *
 * Changelog:
 *   1.0  first version: config_load, translate, describe, config_free; host
 *        services log, now_ms and the JSON readers. Reversals are the host's:
 *        points x refunded / base_amount_minor, rounded half up, on the
 *        running total of refunds (docs/ledger.md).
 *   1.1  describe(): each field of "config" and "data" is a spec object
 *        {"type", "required", "min", "max", "default", "description"} (type:
 *        string, integer, number, boolean, currency, object, array); the host
 *        refuses a plugin whose specs are not, checks a partner's config
 *        against them before config_load (400 naming the field), and shows them
 *        in GET /v1/plugins. A 1.0 plugin's free-text description still loads.
 */
#ifndef ALLIANCE_PLUGIN_H
#define ALLIANCE_PLUGIN_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define ALLIANCE_PLUGIN_ABI_MAJOR 1
#define ALLIANCE_PLUGIN_ABI_MINOR 1

/* The name of the one function a plugin exports. */
#define ALLIANCE_PLUGIN_ENTRY "alliance_plugin_entry"

/* Put before alliance_plugin_entry's definition: exported even with -fvisibility=hidden. */
#define ALLIANCE_PLUGIN_EXPORT __attribute__((visibility("default")))

/* Limits the host guarantees and enforces. */
#define ALLIANCE_CODE_MAX 64     /* error code, snake_case, with the NUL */
#define ALLIANCE_MESSAGE_MAX 256 /* error message, with the NUL */
#define ALLIANCE_CATEGORY_MAX 64 /* points line category, with the NUL */
#define ALLIANCE_NAME_MAX 32     /* plugin name [a-z0-9_]{1,31} */

/* Return values of callbacks. */
#define ALLIANCE_OK 0
#define ALLIANCE_REFUSED 1 /* err is filled in; the partner sees it in a 422 (400 for config) */

/* Log levels of alliance_host.log. */
#define ALLIANCE_LOG_DEBUG 0
#define ALLIANCE_LOG_INFO 1
#define ALLIANCE_LOG_WARN 2
#define ALLIANCE_LOG_ERROR 3

/* JSON value types as alliance_host.json_type reports them. */
#define ALLIANCE_JSON_MISSING 0 /* the value is NULL: the member is absent */
#define ALLIANCE_JSON_NULL 1
#define ALLIANCE_JSON_BOOL 2
#define ALLIANCE_JSON_INT 3
#define ALLIANCE_JSON_REAL 4
#define ALLIANCE_JSON_STRING 5
#define ALLIANCE_JSON_ARRAY 6
#define ALLIANCE_JSON_OBJECT 7

/* A JSON value owned by the host, valid for the duration of the callback. */
typedef struct alliance_json alliance_json;

/* Why a callback refused: a stable snake_case code and a message for humans. */
typedef struct alliance_error {
    char code[ALLIANCE_CODE_MAX];
    char message[ALLIANCE_MESSAGE_MAX];
} alliance_error;

/* One line of a translation. The lines' points add up to the transaction's. */
typedef struct alliance_points_line {
    int64_t points;                       /* >= 0 */
    char category[ALLIANCE_CATEGORY_MAX]; /* what earned them: an MCC, a product, ... */
    int qualifying;                       /* 1: counts toward tier qualification */
} alliance_points_line;

/* What translate fills in. The host owns lines and sets max_lines. */
typedef struct alliance_translation {
    alliance_points_line *lines;
    size_t nlines;
    size_t max_lines;
    int64_t base_amount_minor; /* money the points were earned on; reversals are pro rata */
    char currency[4];          /* ISO 4217 of base_amount_minor */
} alliance_translation;

/* Services of the host. New entries are only ever added at the end. */
typedef struct alliance_host {
    uint32_t abi_major;
    uint32_t abi_minor;

    /* Writes one log line attributed to the plugin. */
    void (*log)(int level, const char *plugin, const char *message);
    /* Wall clock, milliseconds since the Unix epoch. */
    int64_t (*now_ms)(void);

    /* JSON readers. Each accepts NULL (a missing value) and then reports MISSING / fails. */
    int (*json_type)(const alliance_json *value);
    /* The member of an object, or NULL. */
    const alliance_json *(*json_get)(const alliance_json *object, const char *key);
    /* 0 and *out for an integer; -1 for anything else. */
    int (*json_int)(const alliance_json *value, int64_t *out);
    /* 0 and *out (0 or 1) for a boolean; -1 for anything else. */
    int (*json_bool)(const alliance_json *value, int *out);
    /* The string (NUL-terminated, may contain no NUL) and its length in bytes, or NULL. */
    const char *(*json_string)(const alliance_json *value, size_t *len);
    /* Elements of an array or members of an object; 0 for anything else. */
    size_t (*json_size)(const alliance_json *value);
    /* Element i of an array, or NULL. */
    const alliance_json *(*json_at)(const alliance_json *array, size_t i);
    /* Member i of an object (in document order): its key, and its value in *value. */
    const char *(*json_member)(const alliance_json *object, size_t i, const alliance_json **value);
} alliance_host;

/* The descriptor a plugin returns. Version first: it protects the rest. */
typedef struct alliance_plugin {
    uint32_t abi_major; /* ALLIANCE_PLUGIN_ABI_MAJOR the plugin was built with */
    uint32_t abi_minor; /* ALLIANCE_PLUGIN_ABI_MINOR the plugin was built with */
    const char *name;   /* [a-z0-9_]{1,31}, unique among loaded plugins */
    const char *version;

    /*
     * Validates a partner's config and builds the plugin's state for it. On
     * refusal, err names the field (the partner sees 400 with err's code).
     */
    int (*config_load)(const alliance_host *host, const alliance_json *config, void **state,
                       alliance_error *err);

    /* Turns one native transaction (the request's "data") into points lines. */
    int (*translate)(const alliance_host *host, const void *state, const alliance_json *data,
                     alliance_translation *out, alliance_error *err);

    /*
     * A static JSON document: {"summary", "config": {FIELD: SPEC}, "data":
     * {FIELD: SPEC}}, SPEC = {"type", "required", "min", "max", "default",
     * "description"} (ABI 1.1; see the changelog above and docs/plugins.md).
     */
    const char *(*describe)(void);

    /* Frees what config_load built. */
    void (*config_free)(void *state);
} alliance_plugin;

/* The one symbol a plugin exports. */
typedef const alliance_plugin *(*alliance_plugin_entry_fn)(void);
ALLIANCE_PLUGIN_EXPORT const alliance_plugin *alliance_plugin_entry(void);

#ifdef __cplusplus
}
#endif

#endif
