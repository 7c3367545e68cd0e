/*
 * The server's configuration: a JSON file (lines starting with '#' are
 * comments), then ALLIANCE_* environment variables on top. Every key is described once, in the
 * table in config.c; the file parser, the environment overrides and the reference in the README all
 * follow that table.
 */
#ifndef AL_CONFIG_H
#define AL_CONFIG_H

#include <stddef.h>
#include <stdint.h>

#define AL_CONFIG_ERR_MAX 256

typedef struct al_config {
    char *listen;         /* "host:port" */
    char *db;             /* mysql://user:pass@host[:port]/db[?socket=PATH] */
    char *db_clusters;    /* "name=URL name=URL": more clusters beside db's ("main") */
    char *operator_token; /* bearer token of the operator */
    char *plugin_dir;     /* where partner plugins are loaded from */
    char *schema_dir;     /* where NNN_name.sql migrations live */
    char *pid_file;       /* the process id while serving, for signals; "" for none */
    char *tls_cert;       /* PEM certificate chain; TLS when set with tls_key */
    char *tls_key;        /* PEM private key */
    char *log_level;      /* "debug", "info", "warn", "error" */
    char *master_key;     /* 64 hex digits, or empty: partners cannot be made */
    char *settlement_key; /* 64 hex digits (Ed25519 seed), or empty: no closing */
    int64_t threads;      /* worker threads */
    int64_t max_body_bytes;
    int64_t db_connect_timeout_s;
    int64_t db_timeout_s;        /* workers' and committers' statements */
    int64_t report_db_timeout_s; /* report threads' and the sweeper's */
    int64_t max_connections;     /* per worker */
    int64_t header_timeout_s;
    int64_t idle_timeout_s;
    int64_t shutdown_grace_s;
    int64_t expiry_sweep_s;
    int64_t ledger_committers;
    int64_t node_index; /* among the server nodes on one database: picks the balance shards */
    int64_t ledger_batch_max;
    int64_t ledger_sets;
    int64_t report_threads;
    int64_t webhook_attempts, webhook_backoff_s, webhook_timeout_s, webhook_poll_ms;
    int64_t console_session_s; /* a console session's life without use */
} al_config;

/* Sets every key to its default. */
int al_config_defaults(al_config *cfg);

/*
 * Applies a JSON document (the text of a config file) over cfg. An unknown key
 * or a bad value fails with a message naming the key in err.
 */
int al_config_load_json(al_config *cfg, const char *text, size_t len, char err[AL_CONFIG_ERR_MAX]);

/* Reads and applies a config file. */
int al_config_load_file(al_config *cfg, const char *path, char err[AL_CONFIG_ERR_MAX]);

/*
 * Applies ALLIANCE_<KEY> overrides (the key upper-cased, '.' as '_') using
 * getenv_fn (getenv in the server, a table in the tests).
 */
int al_config_load_env(al_config *cfg, const char *(*getenv_fn)(const char *),
                       char err[AL_CONFIG_ERR_MAX]);

/* Checks what no single key can: TLS needs both files, and so on. */
int al_config_check(const al_config *cfg, char err[AL_CONFIG_ERR_MAX]);

/* Writes the key reference (name, variable, default, meaning) to a string. */
void al_config_describe(char *buf, size_t size);

/*
 * cfg as a commented config file (every key, its variable, its default and
 * meaning; the secrets left empty): what --print-config writes and make
 * install installs. malloc'd; NULL when out of memory.
 */
char *al_config_print(const al_config *cfg);

void al_config_free(al_config *cfg);

/* The shortest operator token the server starts with. */
#define AL_OPERATOR_TOKEN_MIN 32

#endif
