/* The audit log; see audit.h. */
#include "audit/audit.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define GENESIS "0000000000000000000000000000000000000000000000000000000000000000"

/* The hash of a row: SHA-256 of [prev_hash, seq, at, actor, request_id, action, target, before,
 * after]. */
static int row_hash(const char *prev, int64_t seq, const char *at, const char *actor,
                    const char *request_id, const char *action, const char *target,
                    const char *before, const char *after, char out[65])
{
    json_t *a = json_pack("[s,I,s,s,s,s,s,s?,s?]", prev, (json_int_t)seq, at, actor, request_id,
                          action, target, before, after);
    char *text = a ? json_dumps(a, JSON_COMPACT | JSON_ENSURE_ASCII) : NULL;
    json_decref(a);
    if (text == NULL)
        return -1;
    al_sha256_hex(text, strlen(text), out);
    free(text);
    return 0;
}

static void now_rfc3339(char out[32])
{
    struct timespec ts;
    struct tm tm;
    clock_gettime(CLOCK_REALTIME, &ts);
    gmtime_r(&ts.tv_sec, &tm);
    size_t n = strftime(out, 32, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(out + n, 32 - n, ".%06ldZ", ts.tv_nsec / 1000);
}

/* The row after the chain's last (locked to the end of the caller's transaction). */
static al_db_status insert_row(al_db *db, const al_audit_entry *e, const char *before,
                               const char *after)
{
    al_db_param t[] = {AL_STR(e->tenant)};
    MYSQL_RES *res = NULL;
    MYSQL_ROW row = NULL;
    al_db_status st = al_db_row(db,
                                "SELECT seq, hash FROM audit_log WHERE tenant_id = ? "
                                "ORDER BY seq DESC LIMIT 1 FOR UPDATE",
                                t, 1, &res, &row);
    int64_t seq = 1;
    char prev[65] = GENESIS, at[32], hash[65];
    if (st == AL_DB_OK && row != NULL) {
        seq = strtoll(row[0], NULL, 10) + 1;
        snprintf(prev, sizeof(prev), "%s", row[1]);
    }
    al_db_free_result(res);
    now_rfc3339(at);
    if (st == AL_DB_OK && row_hash(prev, seq, at, e->actor, e->request_id, e->action, e->target,
                                   before, after, hash) != 0)
        st = AL_DB_ERROR;
    al_db_param p[] = {
        AL_STR(e->tenant),     AL_INT(seq),       AL_STR(at),        AL_STR(e->actor),
        AL_STR(e->request_id), AL_STR(e->action), AL_STR(e->target), AL_STR_OR_NULL(before),
        AL_STR_OR_NULL(after), AL_STR(prev),      AL_STR(hash)};
    if (st == AL_DB_OK)
        st = al_db_exec(db,
                        "INSERT INTO audit_log (tenant_id, seq, at, actor, request_id, action, "
                        "target, before_json, after_json, prev_hash, hash) "
                        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                        p, 11, NULL);
    return st;
}

al_db_status al_audit_append_in(al_db *db, const al_audit_entry *e)
{
    char *before = e->before ? json_dumps(e->before, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
    char *after = e->after ? json_dumps(e->after, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
    al_db_status st = insert_row(db, e, before, after);
    free(before);
    free(after);
    return st;
}

al_db_status al_audit_append(al_db *db, const al_audit_entry *e)
{
    al_db_status st = AL_DB_RETRY;
    /* Two first rows of a tenant at once: one of them is a duplicate; it goes again. */
    for (int i = 0; i < 5 && (st == AL_DB_RETRY || st == AL_DB_DUPLICATE); i++) {
        st = al_db_exec(db, "START TRANSACTION", NULL, 0, NULL);
        if (st == AL_DB_OK)
            st = al_audit_append_in(db, e);
        if (st == AL_DB_OK)
            st = al_db_exec(db, "COMMIT", NULL, 0, NULL);
        if (st != AL_DB_OK)
            al_db_exec(db, "ROLLBACK", NULL, 0, NULL);
    }
    return st;
}

static json_t *parsed_or_null(const char *text)
{
    json_t *j = text ? json_loads(text, 0, NULL) : NULL;
    return j ? j : json_null();
}

al_db_status al_audit_list(al_db *db, const char *tenant, int64_t after, int limit, json_t **rows)
{
    al_db_param p[] = {AL_STR(tenant), AL_INT(after), AL_INT(limit)};
    MYSQL_RES *res = NULL;
    *rows = NULL;
    al_db_status st = al_db_exec(db,
                                 "SELECT seq, at, actor, request_id, action, target, before_json, "
                                 "after_json, hash FROM audit_log WHERE tenant_id = ? AND seq > ? "
                                 "ORDER BY seq LIMIT ?",
                                 p, 3, &res);
    if (st != AL_DB_OK)
        return st;
    json_t *list = json_array();
    MYSQL_ROW r;
    while ((r = mysql_fetch_row(res)) != NULL)
        json_array_append_new(list, json_pack("{s:I,s:s,s:s,s:s,s:s,s:s,s:o,s:o,s:s}", "seq",
                                              (json_int_t)strtoll(r[0], NULL, 10), "at", r[1],
                                              "actor", r[2], "request_id", r[3], "action", r[4],
                                              "target", r[5], "before", parsed_or_null(r[6]),
                                              "after", parsed_or_null(r[7]), "hash", r[8]));
    mysql_free_result(res);
    *rows = list;
    return AL_DB_OK;
}

al_db_status al_audit_verify(al_db *db, const char *tenant, int64_t *rows, int64_t *broken)
{
    *rows = 0;
    *broken = 0;
    al_db_param p[] = {AL_STR(tenant)};
    MYSQL_RES *res = NULL;
    al_db_status st = al_db_exec(db,
                                 "SELECT seq, at, actor, request_id, action, target, before_json, "
                                 "after_json, prev_hash, hash FROM audit_log WHERE tenant_id = ? "
                                 "ORDER BY seq",
                                 p, 1, &res);
    if (st != AL_DB_OK)
        return st;
    char prev[65] = GENESIS, hash[65];
    MYSQL_ROW r;
    while ((r = mysql_fetch_row(res)) != NULL && *broken == 0) {
        int64_t seq = strtoll(r[0], NULL, 10);
        (*rows)++;
        /* A link holds when the row follows the one before, names its hash and hashes to its own.
         */
        bool holds = seq == *rows && strcmp(r[8], prev) == 0 &&
                     row_hash(r[8], seq, r[1], r[2], r[3], r[4], r[5], r[6], r[7], hash) == 0 &&
                     strcmp(hash, r[9]) == 0;
        if (!holds)
            *broken = seq;
        snprintf(prev, sizeof(prev), "%s", r[9]);
    }
    mysql_free_result(res);
    return AL_DB_OK;
}
