/* One thread's database connection; see db.h. */
#include "db/db.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include <errmsg.h>
#include <mysqld_error.h>

#include "core/ids.h"
#include "core/log.h"
#include "core/metrics.h"

/* After a failed connect, requests get 503 at once for this long. */
#define RETRY_MS 200

void al_db_thread_start(void)
{
    mysql_thread_init();
}

void al_db_thread_end(void)
{
    mysql_thread_end();
}

void al_db_init(al_db *db, const al_db_url *url, unsigned timeout_s, unsigned io_timeout_s)
{
    memset(db, 0, sizeof(*db));
    db->url = *url;
    db->timeout_s = timeout_s;
    db->io_timeout_s = io_timeout_s;
    db->lane = -1;
    db->fd = -1;
    pthread_mutex_init(&db->fd_lock, NULL);
}

static void set_fd(al_db *db, int fd)
{
    pthread_mutex_lock(&db->fd_lock);
    db->fd = fd;
    pthread_mutex_unlock(&db->fd_lock);
}

void al_db_close(al_db *db)
{
    if (db->conn != NULL) {
        set_fd(db, -1);
        mysql_close(db->conn);
        db->conn = NULL;
    }
}

void al_db_free(al_db *db)
{
    al_db_close(db);
    pthread_mutex_destroy(&db->fd_lock);
}

void al_db_interrupt(al_db *db)
{
    pthread_mutex_lock(&db->fd_lock);
    if (db->fd >= 0)
        shutdown(db->fd, SHUT_RDWR); /* the fd stays open: its owner closes it */
    pthread_mutex_unlock(&db->fd_lock);
}

static bool connection_lost(unsigned err)
{
    switch (err) {
    case CR_SERVER_GONE_ERROR:
    case CR_SERVER_LOST:
    case CR_CONNECTION_ERROR:
    case CR_CONN_HOST_ERROR:
    case CR_SERVER_LOST_EXTENDED:
    case ER_SERVER_SHUTDOWN:
    case ER_CONNECTION_KILLED:
    case ER_QUERY_INTERRUPTED: return true;
    default: return false;
    }
}

/* Maps the last error; forgets a dead connection so the next call reconnects. */
static al_db_status fail_kind(al_db *db);

/* Maps the last error (fail_kind), counted for the metrics. */
static al_db_status fail(al_db *db)
{
    al_db_status st = fail_kind(db);
    al_metrics_db_error(st == AL_DB_DOWN        ? AL_METRIC_DB_DOWN
                        : st == AL_DB_RETRY     ? AL_METRIC_DB_RETRY
                        : st == AL_DB_DUPLICATE ? AL_METRIC_DB_DUPLICATE
                        : st == AL_DB_RANGE     ? AL_METRIC_DB_RANGE
                                                : AL_METRIC_DB_ERROR);
    return st;
}

static al_db_status fail_kind(al_db *db)
{
    unsigned err = mysql_errno(db->conn);
    if (err == ER_DUP_ENTRY || err == ER_DUP_ENTRY_WITH_KEY_NAME)
        return AL_DB_DUPLICATE;
    /*
     * On a Galera cluster a certification conflict (another node committed a
     * write to the same row first) comes as a deadlock, at any statement or at
     * COMMIT; a replication failure at COMMIT as "error during commit". The
     * transaction was rolled back whole: running it again is safe.
     */
    if (err == ER_LOCK_DEADLOCK || err == ER_LOCK_WAIT_TIMEOUT || err == ER_ERROR_DURING_COMMIT)
        return AL_DB_RETRY;
    /* A Galera node outside the primary component ("WSREP has not yet prepared node"). */
    if (err == ER_UNKNOWN_COM_ERROR) {
        if (!db->quiet)
            al_log(AL_LOG_WARN, "database node not ready: %s", mysql_error(db->conn));
        al_db_close(db);
        return AL_DB_DOWN;
    }
    if (err == ER_DATA_OUT_OF_RANGE || err == ER_WARN_DATA_OUT_OF_RANGE) {
        al_log(AL_LOG_WARN, "a figure does not fit: %s", mysql_error(db->conn));
        return AL_DB_RANGE; /* the transaction is rolled back, nothing clamped */
    }
    if (connection_lost(err)) {
        if (!db->quiet)
            al_log(AL_LOG_WARN, "database connection lost: %s", mysql_error(db->conn));
        al_db_close(db);
        return AL_DB_DOWN;
    }
    al_log(AL_LOG_ERROR, "database error %u: %s", err, mysql_error(db->conn));
    return AL_DB_ERROR;
}

static MYSQL *connect_to(const al_db *db, const char *database, unsigned *err, char *msg,
                         size_t msg_size)
{
    MYSQL *m = mysql_init(NULL);
    if (m == NULL) {
        *err = CR_OUT_OF_MEMORY;
        snprintf(msg, msg_size, "out of memory");
        return NULL;
    }
    unsigned t = db->timeout_s;
    unsigned io_timeout = db->io_timeout_s;
    mysql_options(m, MYSQL_OPT_CONNECT_TIMEOUT, &t);
    mysql_options(m, MYSQL_OPT_READ_TIMEOUT, &io_timeout);
    mysql_options(m, MYSQL_OPT_WRITE_TIMEOUT, &io_timeout);
    mysql_options(m, MYSQL_SET_CHARSET_NAME, "utf8mb4");
    /* Times in the database are UTC, as in the API. */
    mysql_options(m, MYSQL_INIT_COMMAND, "SET time_zone = '+00:00'");
    /*
     * Read committed: the ledger locks the rows it changes (FOR UPDATE,
     * conditional updates, unique keys) and needs no gap locks, which only
     * make concurrent first-time inserts deadlock.
     */
    mysql_options(m, MYSQL_INIT_COMMAND, "SET SESSION TRANSACTION ISOLATION LEVEL READ COMMITTED");
    const al_db_url *u = &db->url;
    unsigned long flags = CLIENT_FOUND_ROWS | (db->multi ? CLIENT_MULTI_STATEMENTS : 0);
    if (mysql_real_connect(m, u->host, u->user, u->password, database, u->port,
                           u->socket[0] ? u->socket : NULL, flags) == NULL) {
        *err = mysql_errno(m);
        snprintf(msg, msg_size, "%s", mysql_error(m));
        mysql_close(m);
        return NULL;
    }
    return m;
}

/*
 * Whether the connection is to a Galera node (wsrep on): scripts then go one
 * statement a round trip (see al_db_script).
 */
static void note_galera(al_db *db)
{
    db->galera = false;
    if (mysql_query(db->conn, "SELECT @@wsrep_on") != 0)
        return; /* the next statement says what is wrong */
    MYSQL_RES *r = mysql_store_result(db->conn);
    MYSQL_ROW row = r != NULL ? mysql_fetch_row(r) : NULL;
    db->galera = row != NULL && row[0] != NULL && strcmp(row[0], "1") == 0;
    if (r != NULL)
        mysql_free_result(r);
}

al_db_status al_db_ensure(al_db *db)
{
    if (db->conn != NULL)
        return AL_DB_OK;
    int64_t now = al_monotonic_ms();
    if (now < db->retry_after_ms)
        return AL_DB_DOWN;
    unsigned err = 0;
    char msg[256];
    db->conn = connect_to(db, db->url.database, &err, msg, sizeof(msg));
    if (db->conn == NULL) {
        db->retry_after_ms = now + RETRY_MS;
        if (!db->quiet)
            al_log(AL_LOG_WARN, "database unavailable: %s", msg);
        return AL_DB_DOWN;
    }
    db->retry_after_ms = 0;
    set_fd(db, (int)mysql_get_socket(db->conn));
    if (db->multi)
        note_galera(db);
    return AL_DB_OK;
}

al_db_status al_db_create_database(al_db *db)
{
    unsigned err = 0;
    char msg[256];
    MYSQL *m = connect_to(db, NULL, &err, msg, sizeof(msg));
    if (m == NULL) {
        al_log(AL_LOG_ERROR, "database unavailable: %s", msg);
        return AL_DB_DOWN;
    }
    char sql[128];
    /* The name was checked against [A-Za-z0-9_] when the URL was parsed. */
    snprintf(sql, sizeof(sql), "CREATE DATABASE IF NOT EXISTS `%s`", db->url.database);
    al_db_status st = AL_DB_OK;
    if (mysql_query(m, sql) != 0) {
        al_log(AL_LOG_ERROR, "cannot create database %s: %s", db->url.database, mysql_error(m));
        st = AL_DB_ERROR;
    }
    mysql_close(m);
    return st;
}

al_db_status al_db_ping(al_db *db)
{
    al_db_status st = al_db_ensure(db);
    if (st != AL_DB_OK)
        return st;
    if (mysql_ping(db->conn) != 0)
        return fail(db);
    return AL_DB_OK;
}

/* Appends n bytes to a growing buffer. */
typedef struct {
    char *p;
    size_t len, cap;
} sqlbuf;

/* Makes room for n more bytes and a NUL. */
static int reserve(sqlbuf *b, size_t n)
{
    if (b->len + n + 1 <= b->cap)
        return 0;
    size_t cap = b->cap ? b->cap : 256;
    while (cap < b->len + n + 1)
        cap *= 2;
    char *np = realloc(b->p, cap);
    if (np == NULL)
        return -1;
    b->p = np;
    b->cap = cap;
    return 0;
}

static int put(sqlbuf *b, const char *s, size_t n)
{
    if (reserve(b, n) != 0)
        return -1;
    memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = '\0';
    return 0;
}

static int put_param(sqlbuf *b, MYSQL *conn, const al_db_param *prm)
{
    char num[32];
    switch (prm->kind) {
    case AL_PARAM_INT:
        return put(b, num, (size_t)snprintf(num, sizeof(num), "%lld", (long long)prm->num));
    case AL_PARAM_NULL: return put(b, "NULL", 4);
    case AL_PARAM_STR: break;
    }
    if (put(b, "'", 1) != 0)
        return -1;
    /* Escaping may double every byte. */
    if (reserve(b, 2 * prm->len + 1) != 0)
        return -1;
    b->len += mysql_real_escape_string(conn, b->p + b->len, prm->str, prm->len);
    return put(b, "'", 1);
}

/* Sends sql with its '?' replaced by params; 0, or a status. */
static al_db_status send_query(al_db *db, const char *sql, const al_db_param *params,
                               size_t nparams)
{
    al_db_status st = al_db_ensure(db);
    if (st != AL_DB_OK)
        return st;

    sqlbuf b = {0};
    size_t used = 0;
    for (const char *p = sql; *p != '\0'; p++) {
        int rc;
        if (*p == '?' && used < nparams)
            rc = put_param(&b, db->conn, &params[used++]);
        else
            rc = put(&b, p, 1);
        if (rc != 0) {
            free(b.p);
            al_log(AL_LOG_ERROR, "out of memory building a query");
            return AL_DB_ERROR;
        }
    }
    if (used != nparams) {
        free(b.p);
        al_log(AL_LOG_ERROR, "query has fewer '?' than parameters: %.200s", sql);
        return AL_DB_ERROR;
    }
    bool in_transaction = (db->conn->server_status & SERVER_STATUS_IN_TRANS) != 0;
    int rc = mysql_real_query(db->conn, b.p, (unsigned long)b.len);
    if (rc != 0 && mysql_errno(db->conn) == CR_SERVER_GONE_ERROR && !in_transaction) {
        /*
         * The statement could not be sent: the server this connection knew is
         * gone (a restart, a Galera node that left and came back while the
         * connection sat idle) and never saw it. Outside a transaction it goes
         * once more, on a new connection, rather than failing a request.
         */
        al_db_close(db);
        db->retry_after_ms = 0;
        st = al_db_ensure(db);
        if (st != AL_DB_OK) {
            free(b.p);
            return st;
        }
        rc = mysql_real_query(db->conn, b.p, (unsigned long)b.len);
    }
    free(b.p);
    return rc != 0 ? fail(db) : AL_DB_OK;
}

al_db_status al_db_exec(al_db *db, const char *sql, const al_db_param *params, size_t nparams,
                        MYSQL_RES **res)
{
    if (res != NULL)
        *res = NULL;
    al_db_status st = send_query(db, sql, params, nparams);
    if (st != AL_DB_OK)
        return st;
    MYSQL_RES *r = mysql_store_result(db->conn);
    if (r == NULL && mysql_field_count(db->conn) != 0)
        return fail(db);
    if (res != NULL)
        *res = r;
    else if (r != NULL)
        mysql_free_result(r);
    return AL_DB_OK;
}

/*
 * A script as separate statements, in order: what al_db_script does on a
 * Galera node. There, a transaction that a replicated write aborts (a
 * brute-force abort) in the middle of a multi-statement packet can lose its
 * deadlock error: the statements after it then run on their own, outside the
 * transaction, and commit. One statement a round trip gets the error at the
 * next statement, as Galera promises. The statements of sql are split at ';'
 * (the scripts put no ';' inside a literal) and take their '?' in order.
 */
static al_db_status script_one_by_one(al_db *db, const char *sql, const al_db_param *params,
                                      size_t nparams, MYSQL_RES **results, size_t nres, size_t *got)
{
    al_db_status st = AL_DB_OK;
    size_t used = 0;
    for (const char *p = sql; st == AL_DB_OK && *p != '\0';) {
        size_t len = strcspn(p, ";");
        size_t marks = 0, blank = 1;
        for (size_t i = 0; i < len; i++) {
            marks += p[i] == '?';
            blank = blank && (p[i] == ' ' || p[i] == '\n');
        }
        if (marks > nparams - used) {
            al_log(AL_LOG_ERROR, "script has more '?' than parameters: %.200s", sql);
            st = AL_DB_ERROR;
            break;
        }
        char *one = blank ? NULL : strndup(p, len);
        if (!blank && one == NULL)
            st = AL_DB_ERROR;
        MYSQL_RES *r = NULL;
        if (one != NULL)
            st = al_db_exec(db, one, params + used, marks, &r);
        free(one);
        if (r != NULL && *got < nres)
            results[(*got)++] = r;
        else if (r != NULL)
            mysql_free_result(r);
        used += marks;
        p += len + (p[len] == ';');
    }
    if (st == AL_DB_OK && used != nparams) {
        al_log(AL_LOG_ERROR, "script has fewer '?' than parameters: %.200s", sql);
        st = AL_DB_ERROR;
    }
    if (st != AL_DB_OK) {
        for (size_t i = 0; i < *got; i++)
            mysql_free_result(results[i]);
        *got = 0;
    }
    return st;
}

al_db_status al_db_script(al_db *db, const char *sql, const al_db_param *params, size_t nparams,
                          MYSQL_RES **results, size_t nres, size_t *got)
{
    *got = 0;
    al_db_status st = al_db_ensure(db);
    if (st != AL_DB_OK)
        return st;
    if (db->galera)
        return script_one_by_one(db, sql, params, nparams, results, nres, got);
    st = send_query(db, sql, params, nparams);
    for (int more = 0; st == AL_DB_OK && more == 0;) {
        MYSQL_RES *r = mysql_store_result(db->conn);
        if (r == NULL && mysql_field_count(db->conn) != 0) {
            st = fail(db);
            break;
        }
        if (r != NULL && *got < nres)
            results[(*got)++] = r;
        else if (r != NULL)
            mysql_free_result(r);
        more = mysql_next_result(db->conn); /* -1: no more; > 0: a statement failed */
        if (more > 0)
            st = fail(db);
    }
    if (st != AL_DB_OK) {
        for (size_t i = 0; i < *got; i++)
            mysql_free_result(results[i]);
        *got = 0;
    }
    return st;
}

al_db_status al_db_stream(al_db *db, const char *sql, const al_db_param *params, size_t nparams,
                          int (*each)(MYSQL_ROW row, unsigned long *lengths, void *ctx), void *ctx)
{
    al_db_status st = send_query(db, sql, params, nparams);
    if (st != AL_DB_OK)
        return st;
    MYSQL_RES *r = mysql_use_result(db->conn);
    if (r == NULL)
        return mysql_field_count(db->conn) != 0 ? fail(db) : AL_DB_OK;
    MYSQL_ROW row;
    int stop = 0;
    while (stop == 0 && (row = mysql_fetch_row(r)) != NULL)
        stop = each(row, mysql_fetch_lengths(r), ctx);
    if (stop == 0 && mysql_errno(db->conn) != 0) {
        mysql_free_result(r);
        return fail(db);
    }
    if (stop == AL_DB_STREAM_ABANDON) {
        mariadb_cancel(db->conn); /* so freeing the result reads no more rows */
        mysql_free_result(r);
        al_db_close(db);
        return AL_DB_OK;
    }
    mysql_free_result(r); /* reads and drops what a stop left unread */
    return AL_DB_OK;
}

al_db_status al_db_row(al_db *db, const char *sql, const al_db_param *params, size_t nparams,
                       MYSQL_RES **res, MYSQL_ROW *row)
{
    *row = NULL;
    al_db_status st = al_db_exec(db, sql, params, nparams, res);
    if (st != AL_DB_OK || *res == NULL)
        return st;
    if (mysql_num_rows(*res) > 1) {
        al_log(AL_LOG_ERROR, "a query for one row answered %llu: %.200s",
               (unsigned long long)mysql_num_rows(*res), sql);
        return AL_DB_ERROR;
    }
    *row = mysql_fetch_row(*res);
    return AL_DB_OK;
}

al_db_status al_db_list(al_db *db, const char *sql, const al_db_param *params, size_t nparams,
                        size_t size, int (*fill)(MYSQL_ROW row, void *element), void **out,
                        size_t *n)
{
    MYSQL_RES *res = NULL;
    *out = NULL;
    *n = 0;
    al_db_status st = al_db_exec(db, sql, params, nparams, &res);
    if (st != AL_DB_OK || res == NULL)
        return st;
    size_t rows = (size_t)mysql_num_rows(res);
    char *list = calloc(rows ? rows : 1, size);
    MYSQL_ROW row;
    int rc;
    while (list != NULL && st == AL_DB_OK && (row = mysql_fetch_row(res)) != NULL)
        if ((rc = fill(row, list + (*n)++ * size)) != 0)
            st = rc == AL_DB_RANGE ? AL_DB_RANGE : AL_DB_ERROR;
    mysql_free_result(res);
    *out = list;
    return list != NULL ? st : AL_DB_ERROR;
}

void al_db_free_result(MYSQL_RES *res)
{
    if (res != NULL)
        mysql_free_result(res);
}

uint64_t al_db_affected(const al_db *db)
{
    return db->conn ? (uint64_t)mysql_affected_rows(db->conn) : 0;
}

uint64_t al_db_insert_id(const al_db *db)
{
    return db->conn ? (uint64_t)mysql_insert_id(db->conn) : 0;
}

bool al_db_i64(const char *text, int64_t *out)
{
    long long v = 0;
    if (text != NULL && !al_parse_int(text, INT64_MIN, INT64_MAX, &v))
        return false;
    *out = v;
    return true;
}

al_db_status al_db_int(al_db *db, const char *sql, const al_db_param *params, size_t nparams,
                       int64_t *out, bool *found)
{
    MYSQL_RES *res = NULL;
    al_db_status st = al_db_exec(db, sql, params, nparams, &res);
    if (st != AL_DB_OK)
        return st;
    MYSQL_ROW row = res ? mysql_fetch_row(res) : NULL;
    *found = row != NULL && row[0] != NULL;
    *out = 0;
    bool fits = !*found || al_db_i64(row[0], out);
    if (res != NULL)
        mysql_free_result(res);
    return fits ? AL_DB_OK : AL_DB_RANGE;
}

const char *al_db_error(const al_db *db)
{
    return db->conn ? mysql_error(db->conn) : "not connected";
}
