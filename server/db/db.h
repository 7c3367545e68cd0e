/*
 * One database connection, owned by one thread (each worker has its own).
 * It connects lazily, reconnects by itself after the database comes back, and
 * maps the client library's errors to the few outcomes the API cares about.
 */
#ifndef AL_DB_H
#define AL_DB_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <mysql.h>

#include "db/db_url.h"

typedef enum {
    AL_DB_OK = 0,
    AL_DB_DOWN,      /* unreachable or connection lost: 503 */
    AL_DB_DUPLICATE, /* a unique key refused the row: usually 409 */
    AL_DB_RETRY,     /* deadlock or lock wait timeout: run the transaction again */
    AL_DB_ERROR,     /* anything else: 500, logged */
    AL_DB_RANGE      /* a figure does not fit in 64 bits: refused, never clamped (422) */
} al_db_status;

typedef struct al_db {
    MYSQL *conn;
    al_db_url url;
    unsigned timeout_s;     /* connect */
    unsigned io_timeout_s;  /* each read or write of a statement: a hung database fails after it */
    int64_t retry_after_ms; /* no reconnect attempt before this (monotonic) */
    /*
     * The lane of the thread that owns the connection (a committer's index), or
     * -1. The ledger writes the balance shard of this number, so committers do
     * not wait on each other's balance rows.
     */
    int lane;
    bool quiet;  /* no log line for a lost or refused connection (the probe says it once) */
    bool multi;  /* several statements may go in one round trip (al_db_script); set before use */
    bool galera; /* a Galera node (found at connect, with multi): scripts go one statement a time */
    pthread_mutex_t fd_lock; /* guards fd, which al_db_interrupt reads from another thread */
    int fd;                  /* the connection's socket, or -1 */
} al_db;

/* SQL that formats a DATETIME column: RFC 3339 UTC with microseconds, or with seconds only. */
#define AL_SQL_RFC3339(col) "DATE_FORMAT(" col ", '%Y-%m-%dT%H:%i:%s.%fZ')"
#define AL_SQL_RFC3339_S(col) "DATE_FORMAT(" col ", '%Y-%m-%dT%H:%i:%sZ')"
/* ... or as a DATETIME again ("YYYY-MM-DD HH:MM:SS.ffffff"), to bind back into a query. */
#define AL_SQL_DATETIME(col) "DATE_FORMAT(" col ", '%Y-%m-%d %H:%i:%s.%f')"

/* A value bound to one '?' of a statement. */
typedef struct al_db_param {
    enum { AL_PARAM_STR, AL_PARAM_INT, AL_PARAM_NULL } kind;
    const char *str;
    size_t len;
    int64_t num;
} al_db_param;

#define AL_STR(s) ((al_db_param){.kind = AL_PARAM_STR, .str = (s), .len = strlen(s)})
#define AL_INT(v) ((al_db_param){.kind = AL_PARAM_INT, .num = (v)})
#define AL_NULL ((al_db_param){.kind = AL_PARAM_NULL})
/* A string, or NULL when s is NULL. */
#define AL_STR_OR_NULL(s) ((s) ? AL_STR(s) : AL_NULL)

/* A thread that uses the client library starts and ends with these. */
void al_db_thread_start(void);
void al_db_thread_end(void);

/*
 * Sets up db from a parsed URL; does not connect yet. timeout_s bounds the
 * connect, io_timeout_s every read and write (a short one on the request path
 * and in the committers, a long one for reports).
 */
void al_db_init(al_db *db, const al_db_url *url, unsigned timeout_s, unsigned io_timeout_s);

/*
 * From any thread: makes the call that db's owner is blocked in fail at once
 * (the socket is shut down); the owner sees AL_DB_DOWN and reconnects later.
 * For a stop that must not wait on a hung database.
 */
void al_db_interrupt(al_db *db);

/* Connects when not connected (rate limited after a failure). */
al_db_status al_db_ensure(al_db *db);

/* Round trip to the database; reconnects first when needed. */
al_db_status al_db_ping(al_db *db);

/*
 * Runs sql with each '?' replaced by the next param, quoted and escaped.
 * With res non-NULL the (buffered) result set is returned there; free it with
 * mysql_free_result.
 */
al_db_status al_db_exec(al_db *db, const char *sql, const al_db_param *params, size_t nparams,
                        MYSQL_RES **res);

/*
 * Several statements, ';'-separated ('?' parameters across all of them), in
 * one round trip, on a connection with multi set. The result sets, in order
 * (statements without one give none), go to results (at most nres; *got says
 * how many; the caller frees them). The first statement that fails stops the
 * rest and gives the status; its results are freed then. On a Galera node the
 * statements go one a round trip (db.c says why); the outcome is the same.
 */
al_db_status al_db_script(al_db *db, const char *sql, const al_db_param *params, size_t nparams,
                          MYSQL_RES **results, size_t nres, size_t *got);

/*
 * Runs a query whose rows are read as they arrive (mysql_use_result), not
 * held: each(row, lengths, ctx) sees every row until it returns non-zero.
 * The connection serves nothing else meanwhile. AL_DB_STREAM_STOP reads out
 * the rest and keeps the connection; AL_DB_STREAM_ABANDON drops the
 * connection at once (mariadb_cancel) without reading the rest: the next
 * call connects again.
 */
#define AL_DB_STREAM_STOP 1
#define AL_DB_STREAM_ABANDON 2
al_db_status al_db_stream(al_db *db, const char *sql, const al_db_param *params, size_t nparams,
                          int (*each)(MYSQL_ROW row, unsigned long *lengths, void *ctx), void *ctx);

/*
 * The one row a query answers, or none: *row is that row (NULL: not found),
 * valid until al_db_free_result(*res). More than one row is an error (the
 * query was meant to name one).
 */
al_db_status al_db_row(al_db *db, const char *sql, const al_db_param *params, size_t nparams,
                       MYSQL_RES **res, MYSQL_ROW *row);

/*
 * The rows a query answers as an array: fill(row, element) makes each
 * element (size bytes, zeroed first) of one row, and returns 0, AL_DB_RANGE (a
 * figure that does not fit) or -1 (out of memory). *out (malloc'd, free it)
 * holds *n elements, also after a failure.
 */
al_db_status al_db_list(al_db *db, const char *sql, const al_db_param *params, size_t nparams,
                        size_t size, int (*fill)(MYSQL_ROW row, void *element), void **out,
                        size_t *n);

/* Frees a result; NULL is fine. */
void al_db_free_result(MYSQL_RES *res);

/* Rows the last statement changed (an INSERT IGNORE: the rows it inserted). */
uint64_t al_db_affected(const al_db *db);

/* The AUTO_INCREMENT id of the last INSERT. */
uint64_t al_db_insert_id(const al_db *db);

/*
 * A whole number the database wrote (a SUM is a DECIMAL and may pass 2^63):
 * true with *out when it fits in 64 bits; NULL reads as 0.
 */
bool al_db_i64(const char *text, int64_t *out);

/* One row, one column, as an integer: 0 and *out, or a status (no row: AL_DB_ERROR). */
al_db_status al_db_int(al_db *db, const char *sql, const al_db_param *params, size_t nparams,
                       int64_t *out, bool *found);

/* Creates the URL's database when it does not exist (start-up only). */
al_db_status al_db_create_database(al_db *db);

const char *al_db_error(const al_db *db);

/* Closes the connection; al_db_init's db can connect again after it. */
void al_db_close(al_db *db);

/* Closes the connection and frees what al_db_init set up. */
void al_db_free(al_db *db);

#endif
