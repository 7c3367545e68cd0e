/*
 * Configuration: one table of keys drives the JSON file, the environment
 * overrides and the --help text, so the three can never disagree.
 */
#include "core/config.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "core/ids.h"
#include "core/text.h"

/* make install's folders (CMakeLists.txt sets them from the install prefix). */
#ifndef ALLIANCE_DEFAULT_PLUGIN_DIR
#define ALLIANCE_DEFAULT_PLUGIN_DIR "/usr/local/lib/allianced/plugins"
#endif
#ifndef ALLIANCE_DEFAULT_SCHEMA_DIR
#define ALLIANCE_DEFAULT_SCHEMA_DIR "/usr/local/share/allianced/schema"
#endif

typedef enum { KEY_STRING, KEY_INT, KEY_LISTEN, KEY_LEVEL, KEY_HEX256 } key_kind;

typedef struct {
    const char *name; /* dotted path in the JSON file */
    key_kind kind;
    size_t offset;
    const char *def;
    int64_t min, max; /* for KEY_INT */
    const char *help;
} key_spec;

#define STR_KEY(n, field, d, h)                                                                    \
    {                                                                                              \
        n, KEY_STRING, offsetof(al_config, field), d, 0, 0, h                                      \
    }
#define INT_KEY(n, field, d, lo, hi, h)                                                            \
    {                                                                                              \
        n, KEY_INT, offsetof(al_config, field), d, lo, hi, h                                       \
    }

static const key_spec keys[] = {
    {"listen", KEY_LISTEN, offsetof(al_config, listen), "127.0.0.1:8080", 0, 0,
     "address and port to listen on (host:port, port 0 picks a free one)"},
    INT_KEY("threads", threads, "2", 1, 256, "worker threads"),
    STR_KEY("db", db, "mysql://alliance:alliance@localhost/alliance",
            "database: mysql://user:pass@host[:port]/db[?socket=PATH]"),
    STR_KEY("db_clusters", db_clusters, "",
            "more database clusters, each tenant on one: \"name=URL name=URL\" (the cluster of db "
            "is \"main\", the default for new tenants)"),
    STR_KEY("operator_token", operator_token, "",
            "bearer token of the operator, at least 32 characters (empty: operator calls "
            "refused)"),
    STR_KEY("plugin_dir", plugin_dir, ALLIANCE_DEFAULT_PLUGIN_DIR,
            "folder partner plugins are loaded from"),
    STR_KEY("schema_dir", schema_dir, ALLIANCE_DEFAULT_SCHEMA_DIR,
            "folder of NNN_name.sql migrations"),
    STR_KEY("pid_file", pid_file, "",
            "file the server writes its process id to while it runs (empty: none)"),
    STR_KEY("tls.cert", tls_cert, "", "PEM certificate chain; TLS when set"),
    STR_KEY("tls.key", tls_key, "", "PEM private key for tls.cert"),
    {"log_level", KEY_LEVEL, offsetof(al_config, log_level), "info", 0, 0,
     "debug, info, warn or error"},
    {"master_key", KEY_HEX256, offsetof(al_config, master_key), "", 0, 0,
     "64 hex digits: the AES-256 key partner secrets are stored under"},
    {"settlement_key", KEY_HEX256, offsetof(al_config, settlement_key), "", 0, 0,
     "64 hex digits: the Ed25519 seed closed statements are signed with"},
    INT_KEY("max_body_bytes", max_body_bytes, "1048576", 1024, 64LL * 1024 * 1024,
            "largest request body accepted (else 413)"),
    INT_KEY("db_connect_timeout_s", db_connect_timeout_s, "2", 1, 60,
            "seconds to wait for the database when connecting"),
    INT_KEY("db_timeout_s", db_timeout_s, "5", 1, 600,
            "seconds a statement of a worker or committer may wait on the database "
            "(then 503 database_unavailable)"),
    INT_KEY("report_db_timeout_s", report_db_timeout_s, "120", 1, 86400,
            "seconds a statement of a report thread or the sweeper may wait on the database"),
    INT_KEY("max_connections", max_connections, "4096", 1, 1000000,
            "open connections per worker; at the cap the worker stops accepting until one closes"),
    INT_KEY("header_timeout_s", header_timeout_s, "10", 1, 600,
            "seconds a request's headers may take to arrive, however slowly they are sent"),
    INT_KEY("idle_timeout_s", idle_timeout_s, "60", 1, 3600,
            "seconds a connection may stay silent before it is closed"),
    INT_KEY("ledger_committers", ledger_committers, "2", 1, 64,
            "group commit threads, each with a connection"),
    INT_KEY("node_index", node_index, "0", 0, 1000,
            "this server's place among the nodes sharing one database or cluster (0, 1, ...): "
            "each node's committers write balance shards of their own, so nodes on a Galera "
            "cluster do not conflict on them"),
    INT_KEY("ledger_batch_max", ledger_batch_max, "128", 1, 10000,
            "most operations one group commit transaction takes"),
    INT_KEY("ledger_sets", ledger_sets, "1", 0, 1,
            "1: committers book earnings and redemptions as sets (few statements a batch); "
            "0: each alone under a savepoint (the reference path, to compare with)"),
    INT_KEY("report_threads", report_threads, "1", 1, 16,
            "threads for long work (analytics, statements, imports, sweeps asked for), "
            "each with a connection"),
    INT_KEY("expiry_sweep_s", expiry_sweep_s, "60", 0, 86400,
            "seconds between sweeps that lapse holds and expire points (0: off)"),
    INT_KEY("shutdown_grace_s", shutdown_grace_s, "10", 0, 600,
            "seconds in-flight requests get to finish on SIGTERM"),
    INT_KEY("webhook_attempts", webhook_attempts, "10", 1, 100,
            "tries a webhook delivery gets before it is dead (a dead letter, sent again on "
            "request)"),
    INT_KEY("webhook_backoff_s", webhook_backoff_s, "5", 1, 3600,
            "seconds before the second try; each next waits twice as long (at most an hour)"),
    INT_KEY("webhook_timeout_s", webhook_timeout_s, "10", 1, 300,
            "seconds a receiver gets to answer a delivery"),
    INT_KEY("webhook_poll_ms", webhook_poll_ms, "200", 10, 60000,
            "milliseconds between looks at the outbox and the deliveries due (0 events waiting)"),
    INT_KEY("console_session_s", console_session_s, "1800", 60, 86400,
            "seconds a console sign-in lasts without use (each use in its second half renews it)"),
};
#define NKEYS (sizeof(keys) / sizeof(keys[0]))

static char **str_field(al_config *cfg, const key_spec *k)
{
    return (char **)((char *)cfg + k->offset);
}

static int64_t *int_field(al_config *cfg, const key_spec *k)
{
    return (int64_t *)((char *)cfg + k->offset);
}

static int parse_int(const char *s, int64_t *out)
{
    char *end = NULL;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (errno != 0 || end == s || *end != '\0' || isspace((unsigned char)*s))
        return -1;
    *out = v;
    return 0;
}

/* Sets one key from text; the one place values are checked. */
static int set_key(al_config *cfg, const key_spec *k, const char *value, const char *origin,
                   char err[AL_CONFIG_ERR_MAX])
{
    if (k->kind == KEY_INT) {
        int64_t v;
        if (parse_int(value, &v) != 0 || v < k->min || v > k->max) {
            snprintf(err, AL_CONFIG_ERR_MAX,
                     "%s: %s must be an integer from %" PRId64 " to %" PRId64, origin, k->name,
                     k->min, k->max);
            return -1;
        }
        *int_field(cfg, k) = v;
        return 0;
    }
    if (k->kind == KEY_LISTEN) {
        char host[256];
        int port;
        if (al_parse_listen(value, host, sizeof(host), &port) != 0) {
            snprintf(err, AL_CONFIG_ERR_MAX, "%s: %s must be host:port with a port from 0 to 65535",
                     origin, k->name);
            return -1;
        }
    }
    if (k->kind == KEY_LEVEL && strcmp(value, "debug") != 0 && strcmp(value, "info") != 0 &&
        strcmp(value, "warn") != 0 && strcmp(value, "error") != 0) {
        snprintf(err, AL_CONFIG_ERR_MAX, "%s: %s must be debug, info, warn or error", origin,
                 k->name);
        return -1;
    }
    if (k->kind == KEY_HEX256 && value[0] != '\0' &&
        (strlen(value) != 64 || strspn(value, "0123456789abcdefABCDEF") != 64)) {
        snprintf(err, AL_CONFIG_ERR_MAX, "%s: %s must be 64 hex digits", origin, k->name);
        return -1;
    }
    char *copy = strdup(value);
    if (copy == NULL) {
        snprintf(err, AL_CONFIG_ERR_MAX, "out of memory");
        return -1;
    }
    char **field = str_field(cfg, k);
    free(*field);
    *field = copy;
    return 0;
}

int al_config_defaults(al_config *cfg)
{
    char err[AL_CONFIG_ERR_MAX];
    memset(cfg, 0, sizeof(*cfg));
    for (size_t i = 0; i < NKEYS; i++)
        if (set_key(cfg, &keys[i], keys[i].def, "default", err) != 0)
            return -1;
    return 0;
}

static const key_spec *find_key(const char *name)
{
    for (size_t i = 0; i < NKEYS; i++)
        if (strcmp(keys[i].name, name) == 0)
            return &keys[i];
    return NULL;
}

static int apply_object(al_config *cfg, json_t *obj, const char *prefix,
                        char err[AL_CONFIG_ERR_MAX])
{
    const char *name;
    json_t *value;
    json_object_foreach (obj, name, value) {
        char path[128];
        int n = snprintf(path, sizeof(path), "%s%s", prefix, name);
        if (n < 0 || (size_t)n >= sizeof(path)) {
            snprintf(err, AL_CONFIG_ERR_MAX, "config: key too long");
            return -1;
        }
        if (json_is_object(value)) {
            char sub[130];
            snprintf(sub, sizeof(sub), "%s.", path);
            if (apply_object(cfg, value, sub, err) != 0)
                return -1;
            continue;
        }
        const key_spec *k = find_key(path);
        if (k == NULL) {
            snprintf(err, AL_CONFIG_ERR_MAX, "config: unknown key %s", path);
            return -1;
        }
        char num[32];
        const char *text;
        if (k->kind == KEY_INT && json_is_integer(value)) {
            snprintf(num, sizeof(num), "%" JSON_INTEGER_FORMAT, json_integer_value(value));
            text = num;
        } else if (k->kind != KEY_INT && json_is_string(value)) {
            text = json_string_value(value);
        } else {
            snprintf(err, AL_CONFIG_ERR_MAX, "config: %s must be %s", path,
                     k->kind == KEY_INT ? "an integer" : "a string");
            return -1;
        }
        if (set_key(cfg, k, text, "config", err) != 0)
            return -1;
    }
    return 0;
}

/*
 * A config file's text as JSON: a line whose first non-blank character is
 * '#' is a comment, blanked (its line break kept, so errors name the right
 * line). A '#' anywhere else is the JSON's.
 */
static char *strip_comments(const char *text, size_t len)
{
    char *out = malloc(len + 1);
    if (out == NULL)
        return NULL;
    memcpy(out, text, len);
    out[len] = '\0';
    for (size_t i = 0; i < len;) {
        size_t j = i;
        while (j < len && (out[j] == ' ' || out[j] == '\t'))
            j++;
        size_t end = j;
        while (end < len && out[end] != '\n')
            end++;
        if (j < len && out[j] == '#')
            memset(out + j, ' ', end - j);
        i = end + 1;
    }
    return out;
}

int al_config_load_json(al_config *cfg, const char *raw, size_t len, char err[AL_CONFIG_ERR_MAX])
{
    char *text = strip_comments(raw, len);
    if (text == NULL) {
        snprintf(err, AL_CONFIG_ERR_MAX, "out of memory");
        return -1;
    }
    json_error_t jerr;
    json_t *root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
    free(text);
    if (root == NULL) {
        snprintf(err, AL_CONFIG_ERR_MAX, "config: line %d: %s", jerr.line, jerr.text);
        return -1;
    }
    int rc = -1;
    if (!json_is_object(root))
        snprintf(err, AL_CONFIG_ERR_MAX, "config: must be a JSON object");
    else
        rc = apply_object(cfg, root, "", err);
    json_decref(root);
    return rc;
}

int al_config_load_file(al_config *cfg, const char *path, char err[AL_CONFIG_ERR_MAX])
{
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        snprintf(err, AL_CONFIG_ERR_MAX, "config: cannot open %s: %s", path, strerror(errno));
        return -1;
    }
    char *buf = NULL;
    size_t len = 0, cap = 0;
    int rc = -1;
    for (;;) {
        if (len == cap) {
            cap = cap ? cap * 2 : 4096;
            if (cap > (size_t)1024 * 1024) {
                snprintf(err, AL_CONFIG_ERR_MAX, "config: %s is too large", path);
                goto done;
            }
            char *nb = realloc(buf, cap);
            if (nb == NULL) {
                snprintf(err, AL_CONFIG_ERR_MAX, "out of memory");
                goto done;
            }
            buf = nb;
        }
        size_t n = fread(buf + len, 1, cap - len, f);
        len += n;
        if (n == 0)
            break;
    }
    if (ferror(f)) {
        snprintf(err, AL_CONFIG_ERR_MAX, "config: cannot read %s", path);
        goto done;
    }
    rc = al_config_load_json(cfg, buf, len, err);
done:
    free(buf);
    fclose(f);
    return rc;
}

/* "tls.cert" -> "ALLIANCE_TLS_CERT" */
static void env_name(const char *key, char *out, size_t size)
{
    size_t n = (size_t)snprintf(out, size, "ALLIANCE_");
    for (const char *p = key; *p != '\0' && n + 1 < size; p++)
        out[n++] = *p == '.' ? '_' : (char)toupper((unsigned char)*p);
    out[n] = '\0';
}

int al_config_load_env(al_config *cfg, const char *(*getenv_fn)(const char *),
                       char err[AL_CONFIG_ERR_MAX])
{
    for (size_t i = 0; i < NKEYS; i++) {
        char var[64];
        env_name(keys[i].name, var, sizeof(var));
        const char *value = getenv_fn(var);
        if (value != NULL && set_key(cfg, &keys[i], value, var, err) != 0)
            return -1;
    }
    return 0;
}

int al_config_check(const al_config *cfg, char err[AL_CONFIG_ERR_MAX])
{
    if ((cfg->tls_cert[0] == '\0') != (cfg->tls_key[0] == '\0')) {
        snprintf(err, AL_CONFIG_ERR_MAX, "config: tls.cert and tls.key go together");
        return -1;
    }
    /* A short token is one an attacker can guess: the operator may do anything. */
    if (cfg->operator_token[0] != '\0' && strlen(cfg->operator_token) < AL_OPERATOR_TOKEN_MIN) {
        snprintf(err, AL_CONFIG_ERR_MAX,
                 "config: operator_token must be at least %d characters (empty: no operator)",
                 AL_OPERATOR_TOKEN_MIN);
        return -1;
    }
    return 0;
}

void al_config_describe(char *buf, size_t size)
{
    size_t n = 0;
    for (size_t i = 0; i < NKEYS && n < size; i++) {
        char var[64];
        env_name(keys[i].name, var, sizeof(var));
        int w = snprintf(buf + n, size - n, "  %-22s %-30s %s (default \"%s\")\n", keys[i].name,
                         var, keys[i].help, keys[i].def);
        if (w < 0)
            break;
        n += (size_t)w;
    }
}

/* The keys whose values are secrets: never printed, better set in the environment. */
static bool secret_key(const key_spec *k)
{
    return strcmp(k->name, "operator_token") == 0 || strcmp(k->name, "master_key") == 0 ||
           strcmp(k->name, "settlement_key") == 0;
}

char *al_config_print(const al_config *cfg)
{
    al_text t = {0};
    al_text_printf(&t, "# allianced configuration: JSON, where a line starting with '#' is a "
                       "comment.\n"
                       "# Each key says its environment variable (which wins over this file) and "
                       "its default.\n"
                       "# The secrets (operator_token, master_key, settlement_key) are left empty "
                       "here:\n"
                       "# set them in the environment (the systemd unit reads "
                       "/etc/allianced/secrets.env).\n"
                       "{\n");
    const char *group = NULL; /* the open object of dotted keys ("tls"), or NULL */
    for (size_t i = 0; i < NKEYS && !t.failed; i++) {
        const key_spec *k = &keys[i];
        const char *dot = strchr(k->name, '.');
        size_t glen = dot ? (size_t)(dot - k->name) : 0;
        bool last = i + 1 == NKEYS;
        if (dot != NULL && group == NULL) {
            al_text_printf(&t, "  \"%.*s\": {\n", (int)glen, k->name);
            group = k->name;
        }
        char var[64];
        env_name(k->name, var, sizeof(var));
        const char *indent = group ? "    " : "  ";
        const char *key = group ? dot + 1 : k->name;
        /* Within a group a comma follows unless the next key leaves it. */
        bool next_in_group = group && !last && strncmp(keys[i + 1].name, k->name, glen + 1) == 0;
        const char *comma = group ? (next_in_group ? "," : "") : (last ? "" : ",");
        al_text_printf(&t, "%s# %s (%s; default %s%s%s): %s\n", indent, k->name, var,
                       k->kind == KEY_INT ? "" : "\"", k->def, k->kind == KEY_INT ? "" : "\"",
                       k->help);
        if (k->kind == KEY_INT)
            al_text_printf(&t, "%s\"%s\": %" PRId64 "%s\n", indent, key,
                           *(const int64_t *)((const char *)cfg + k->offset), comma);
        else {
            const char *v = secret_key(k) ? "" : *(char *const *)((const char *)cfg + k->offset);
            json_t *str = json_string(v ? v : "");
            char *quoted = str ? json_dumps(str, JSON_ENCODE_ANY) : NULL;
            json_decref(str);
            if (quoted == NULL)
                t.failed = true; /* out of memory, as a write would have said */
            else
                al_text_printf(&t, "%s\"%s\": %s%s\n", indent, key, quoted, comma);
            free(quoted);
        }
        if (group != NULL && (last || !next_in_group)) {
            al_text_printf(&t, "  }%s\n", last ? "" : ",");
            group = NULL;
        }
    }
    al_text_printf(&t, "}\n");
    return al_text_take(&t);
}

void al_config_free(al_config *cfg)
{
    for (size_t i = 0; i < NKEYS; i++)
        if (keys[i].kind != KEY_INT) {
            char **field = str_field(cfg, &keys[i]);
            free(*field);
            *field = NULL;
        }
}
