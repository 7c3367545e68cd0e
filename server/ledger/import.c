/* History import; see import.h and docs/analytics.md. */
#include "ledger/import.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "core/log.h"
#include "ledger/ledger.h"

/* Lines a database transaction books at most. */
#define CHUNK 500
/* Times a chunk runs again after a deadlock or a racing import of the same id. */
#define TRIES 5

/* A statement of n tuples: head, tuple, ", " tuple ..., tail. */
static char *tuples(const char *head, const char *tuple, size_t n, const char *tail)
{
    size_t hl = strlen(head), tl = strlen(tuple), al = strlen(tail);
    char *s = malloc(hl + n * (tl + 2) + al + 1), *p = s;
    if (s == NULL)
        return NULL;
    memcpy(p, head, hl);
    p += hl;
    for (size_t i = 0; i < n; i++) {
        if (i > 0) {
            memcpy(p, ", ", 2);
            p += 2;
        }
        memcpy(p, tuple, tl);
        p += tl;
    }
    memcpy(p, tail, al + 1);
    return s;
}

/* Runs head + n tuples + tail with params; frees nothing of the caller's. */
static al_db_status exec_tuples(al_db *db, const char *head, const char *tuple, size_t n,
                                const char *tail, const al_db_param *params, size_t nparams,
                                MYSQL_RES **res)
{
    char *sql = tuples(head, tuple, n, tail);
    if (sql == NULL)
        return AL_DB_ERROR;
    al_db_status st = al_db_exec(db, sql, params, nparams, res);
    free(sql);
    return st;
}

static int by_member(const void *a, const void *b)
{
    const al_import_line *const *x = a, *const *y = b;
    return strcmp((*x)->member, (*y)->member);
}

typedef struct {
    char account[AL_ACCOUNT_MAX];
    int64_t shard, delta;
} balance_row;

static int by_account(const void *a, const void *b)
{
    const balance_row *x = a, *y = b;
    int c = strcmp(x->account, y->account);
    return c ? c : (x->shard > y->shard) - (x->shard < y->shard);
}

/* Marks the chunk's lines whose (partner, id) is booked already. */
static al_db_status mark_booked(al_db *db, const char *tenant, al_import_line **c, size_t n,
                                al_db_param *prm)
{
    size_t k = 0;
    prm[k++] = AL_STR(tenant);
    for (size_t i = 0; i < n; i++) {
        prm[k++] = AL_STR(c[i]->partner);
        prm[k++] = AL_STR(c[i]->id);
    }
    MYSQL_RES *res = NULL;
    al_db_status st = exec_tuples(db,
                                  "SELECT partner_id, transaction_id FROM transactions "
                                  "WHERE tenant_id = ? AND (partner_id, transaction_id) IN (",
                                  "(?, ?)", n, ")", prm, k, &res);
    if (st != AL_DB_OK)
        return st;
    MYSQL_ROW row;
    while (res != NULL && (row = mysql_fetch_row(res)) != NULL)
        for (size_t i = 0; i < n; i++)
            if (strcmp(c[i]->partner, row[0]) == 0 && strcmp(c[i]->id, row[1]) == 0)
                c[i]->duplicate = true;
    if (res != NULL)
        mysql_free_result(res);
    return AL_DB_OK;
}

/* The members of lines f (sorted by member): enrolled if new, then credited. */
static al_db_status credit_members(al_db *db, const char *tenant, al_import_line **f, size_t n,
                                   al_db_param *prm, al_import_totals *t)
{
    size_t k = 0, members = 0;
    for (size_t i = 0; i < n; i++)
        if (i == 0 || strcmp(f[i]->member, f[i - 1]->member) != 0) {
            prm[k++] = AL_STR(tenant);
            prm[k++] = AL_STR(f[i]->member);
            members++;
        }
    al_db_status st = exec_tuples(db,
                                  "INSERT IGNORE INTO members (tenant_id, member_id, profile) "
                                  "VALUES ",
                                  "(?, ?, '{}')", members, "", prm, k, NULL);
    if (st != AL_DB_OK)
        return st;
    t->members_created += (int64_t)al_db_affected(db);
    k = 0;
    for (size_t i = 0; i < n;) {
        size_t j = i;
        int64_t points = 0;
        const char *last = f[i]->occurred_at;
        for (; j < n && strcmp(f[j]->member, f[i]->member) == 0; j++) {
            points += f[j]->points;
            if (strcmp(f[j]->occurred_at, last) > 0)
                last = f[j]->occurred_at;
        }
        prm[k++] = AL_STR(tenant);
        prm[k++] = AL_STR(f[i]->member);
        prm[k++] = AL_INT(points);
        prm[k++] = AL_INT(points);
        prm[k++] = AL_STR(last);
        i = j;
    }
    return exec_tuples(db,
                       "INSERT INTO members (tenant_id, member_id, profile, available, "
                       "lifetime_earned, last_activity_at) VALUES ",
                       "(?, ?, '{}', ?, ?, ?)", members,
                       " ON DUPLICATE KEY UPDATE available = available + VALUES(available), "
                       "lifetime_earned = lifetime_earned + VALUES(lifetime_earned), "
                       "last_activity_at = GREATEST(IFNULL(last_activity_at, "
                       "VALUES(last_activity_at)), VALUES(last_activity_at))",
                       prm, k, NULL);
}

/* Both sides of every booking of f, summed per balance row, in key order (as bookings lock). */
static al_db_status move_balances(al_db *db, const char *tenant, al_import_line **f, size_t n,
                                  al_db_param *prm)
{
    balance_row *rows = calloc(2 * n, sizeof(*rows));
    if (rows == NULL)
        return AL_DB_ERROR;
    size_t m = 0;
    for (size_t i = 0; i < n; i++) {
        if (f[i]->points == 0)
            continue;
        al_member_account(rows[m].account, f[i]->member);
        rows[m++].delta = f[i]->points;
        al_partner_account(rows[m].account, f[i]->partner, "issued");
        rows[m].shard = al_shard_of(rows[m].account, f[i]->member, db->lane);
        rows[m++].delta = -f[i]->points;
    }
    qsort(rows, m, sizeof(*rows), by_account);
    size_t k = 0, distinct = 0;
    for (size_t i = 0; i < m; i++) {
        if (distinct > 0 && by_account(&rows[i], &rows[distinct - 1]) == 0) {
            rows[distinct - 1].delta += rows[i].delta;
            continue;
        }
        rows[distinct++] = rows[i];
    }
    for (size_t i = 0; i < distinct; i++) {
        prm[k++] = AL_STR(tenant);
        prm[k++] = AL_STR(rows[i].account);
        prm[k++] = AL_INT(rows[i].shard);
        prm[k++] = AL_INT(rows[i].delta);
    }
    al_db_status st =
        distinct == 0
            ? AL_DB_OK
            : exec_tuples(db,
                          "INSERT INTO account_balances (tenant_id, account, shard, balance) "
                          "VALUES ",
                          "(?, ?, ?, ?)", distinct,
                          " ON DUPLICATE KEY UPDATE balance = balance + VALUES(balance)", prm, k,
                          NULL);
    free(rows);
    return st;
}

/*
 * The bookings, lots and transactions rows of f. A multi-row INSERT takes
 * consecutive AUTO_INCREMENT ids (innodb_autoinc_lock_mode 0 or 1, checked
 * before), so row i's id is the first id + i.
 */
static al_db_status book_rows(al_db *db, const char *tenant, al_import_line **f, size_t n,
                              int expiry_months, al_db_param *prm,
                              char (*accounts)[2][AL_ACCOUNT_MAX])
{
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        al_partner_account(accounts[i][0], f[i]->partner, "issued");
        al_member_account(accounts[i][1], f[i]->member);
        prm[k++] = AL_STR(tenant);
        prm[k++] = AL_STR(accounts[i][0]);
        prm[k++] = AL_STR(accounts[i][1]);
        prm[k++] = AL_INT(f[i]->points);
        prm[k++] = AL_STR(f[i]->member);
        prm[k++] = AL_STR(f[i]->partner);
        prm[k++] = AL_STR(f[i]->id);
    }
    al_db_status st =
        exec_tuples(db,
                    "INSERT INTO bookings (tenant_id, kind, from_account, "
                    "to_account, points, member_id, partner_id, ref_id, detail) "
                    "VALUES ",
                    "(?, 'import', ?, ?, ?, ?, ?, ?, '{\"import\":true}')", n, "", prm, k, NULL);
    if (st != AL_DB_OK)
        return st;
    uint64_t booking = al_db_insert_id(db), lot = 0;

    size_t lots = 0;
    k = 0;
    for (size_t i = 0; i < n; i++) {
        if (f[i]->points == 0)
            continue;
        prm[k++] = AL_STR(tenant);
        prm[k++] = AL_STR(f[i]->member);
        prm[k++] = AL_STR(f[i]->partner);
        prm[k++] = AL_INT((int64_t)(booking + i));
        prm[k++] = AL_INT(f[i]->points);
        prm[k++] = AL_INT(f[i]->points);
        prm[k++] = AL_STR(f[i]->occurred_at);
        prm[k++] = AL_STR(f[i]->occurred_at);
        prm[k++] = AL_INT(expiry_months);
        lots++;
    }
    if (lots > 0) {
        st = exec_tuples(db,
                         "INSERT INTO lots (tenant_id, member_id, partner_id, booking_id, points, "
                         "remaining, earned_at, expires_at) VALUES ",
                         "(?, ?, ?, ?, ?, ?, ?, " AL_SQL_EXPIRES_AT("?") ")", lots, "", prm, k,
                         NULL);
        if (st != AL_DB_OK)
            return st;
        lot = al_db_insert_id(db);
    }

    k = 0;
    for (size_t i = 0; i < n; i++) {
        prm[k++] = AL_STR(tenant);
        prm[k++] = AL_STR(f[i]->partner);
        prm[k++] = AL_STR(f[i]->id);
        prm[k++] = AL_STR(f[i]->member);
        prm[k++] = AL_INT((int64_t)(booking + i));
        prm[k++] = f[i]->points > 0 ? AL_INT((int64_t)lot++) : AL_NULL;
        prm[k++] = AL_INT(f[i]->points);
        prm[k++] = AL_INT(f[i]->amount_minor);
        prm[k++] = AL_STR(f[i]->currency);
        prm[k++] = AL_STR(f[i]->occurred_at);
        prm[k++] = AL_INT(f[i]->points);
    }
    return exec_tuples(db,
                       "INSERT INTO transactions (tenant_id, partner_id, transaction_id, "
                       "member_id, booking_id, lot_id, points, base_amount_minor, currency, "
                       "occurred_at, qualifying_points) VALUES ",
                       "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", n, "", prm, k, NULL);
}

/* One chunk in one transaction; the lines already booked are skipped. */
static al_db_status book_chunk(al_db *db, const char *tenant, al_import_line **c, size_t n,
                               int expiry_months, al_import_totals *t)
{
    al_import_totals mine = {0};
    al_import_line *fresh[CHUNK];
    static _Thread_local al_db_param prm[CHUNK * 11 + 1]; /* the most a statement binds */
    static _Thread_local char accounts[CHUNK][2][AL_ACCOUNT_MAX];
    al_db_status st = al_ledger_begin(db);
    if (st == AL_DB_OK)
        st = mark_booked(db, tenant, c, n, prm);
    size_t nf = 0;
    for (size_t i = 0; st == AL_DB_OK && i < n; i++) {
        if (c[i]->duplicate) {
            mine.duplicates++;
            continue;
        }
        fresh[nf++] = c[i];
        mine.imported++;
        mine.points += c[i]->points;
        mine.amount_minor += c[i]->amount_minor;
    }
    if (st == AL_DB_OK && nf > 0) {
        qsort((void *)fresh, nf, sizeof(al_import_line *), by_member);
        st = credit_members(db, tenant, fresh, nf, prm, &mine);
        if (st == AL_DB_OK)
            st = book_rows(db, tenant, fresh, nf, expiry_months, prm, accounts);
        if (st == AL_DB_OK)
            st = move_balances(db, tenant, fresh, nf, prm);
    }
    if (st == AL_DB_OK)
        st = al_ledger_commit(db);
    if (st != AL_DB_OK) {
        al_ledger_rollback(db);
        return st;
    }
    t->imported += mine.imported;
    t->duplicates += mine.duplicates;
    t->members_created += mine.members_created;
    t->points += mine.points;
    t->amount_minor += mine.amount_minor;
    return AL_DB_OK;
}

al_db_status al_import_book(al_db *db, const char *tenant, al_import_line *lines, size_t n,
                            int expiry_months, bool (*stop)(void), al_import_totals *totals)
{
    int64_t mode = 0;
    bool found = false;
    al_db_status st = al_db_int(db, "SELECT @@innodb_autoinc_lock_mode", NULL, 0, &mode, &found);
    if (st != AL_DB_OK)
        return st;
    if (mode > 1) {
        al_log(AL_LOG_ERROR, "history import needs innodb_autoinc_lock_mode 0 or 1, not %lld",
               (long long)mode);
        return AL_DB_ERROR;
    }
    al_import_line *chunk[CHUNK];
    for (size_t start = 0; start < n;) {
        if (stop != NULL && stop()) {
            totals->stopped = true;
            return AL_DB_OK;
        }
        totals->lines_done = start;
        size_t m = 0, next = start;
        for (; next < n && m < CHUNK; next++) {
            if (lines[next].duplicate) /* a repeat within the body */
                totals->duplicates++;
            else
                chunk[m++] = &lines[next];
        }
        for (int attempt = 0;; attempt++) {
            for (size_t i = 0; i < m; i++)
                chunk[i]->duplicate = false;
            st = m ? book_chunk(db, tenant, chunk, m, expiry_months, totals) : AL_DB_OK;
            if ((st != AL_DB_RETRY && st != AL_DB_DUPLICATE) || attempt + 1 == TRIES)
                break;
        }
        if (st != AL_DB_OK)
            return st;
        start = next;
    }
    totals->lines_done = n;
    return AL_DB_OK;
}
