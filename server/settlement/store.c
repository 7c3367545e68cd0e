/* Settlement's SQL; see store.h. */
#include "settlement/store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "ledger/accounts.h"

/* Contract intervals [f, t) per partner, for pricing each booking by its time. */
#define CONTRACTS                                                                                  \
    "WITH c AS (SELECT partner_id, effective_from AS f, currency AS cur, "                         \
    "IFNULL(LEAD(effective_from) OVER (PARTITION BY partner_id ORDER BY effective_from), "         \
    "'9999-12-31') AS t, issue_minor_per_1000 AS ir, redeem_minor_per_1000 AS rr "                 \
    "FROM partner_contracts WHERE tenant_id = ?) "

/* Points into member accounts less points out of them, of bookings b. */
#define MEMBER_DELTA(b)                                                                            \
    "SUM(IF(" b "to_account LIKE " AL_SQL_MEMBER_ACCOUNTS ", " b "points, 0)) - "                  \
    "SUM(IF(" b "from_account LIKE " AL_SQL_MEMBER_ACCOUNTS ", " b "points, 0))"

static void copy(char *out, size_t size, const char *s)
{
    snprintf(out, size, "%s", s ? s : "");
}

static int period_row_of(MYSQL_ROW row, void *element)
{
    al_period_row *r = element;
    copy(r->partner, sizeof(r->partner), row[0]);
    copy(r->kind, sizeof(r->kind), row[1]);
    copy(r->currency, sizeof(r->currency), row[2]);
    r->issue_per_1000 = strtoll(row[4], NULL, 10);
    r->redeem_per_1000 = strtoll(row[5], NULL, 10);
    return al_db_i64(row[3], &r->points) && al_db_i64(row[6], &r->member_delta) ? 0 : AL_DB_RANGE;
}

al_db_status al_period_rows(al_db *db, const char *tenant, const char *start, const char *end,
                            al_period_row **out, size_t *n)
{
    al_db_param p[] = {AL_STR(tenant), AL_STR(tenant), AL_STR(start), AL_STR(end)};
    void *list = NULL;
    al_db_status st = al_db_list(
        db,
        /* A reversal is priced when its earning was booked (origin), the rest when booked. */
        CONTRACTS "SELECT IFNULL(b.partner_id, ''), b.kind, IFNULL(c.cur, ''), "
                  "SUM(b.points), IFNULL(c.ir, 0), IFNULL(c.rr, 0), " MEMBER_DELTA(
                      "b.") " FROM bookings b "
                            "LEFT JOIN bookings o ON o.booking_id = b.origin_booking_id "
                            "LEFT JOIN c ON c.partner_id = b.partner_id "
                            "AND IFNULL(o.booked_at, b.booked_at) >= c.f "
                            "AND IFNULL(o.booked_at, b.booked_at) < c.t "
                            "WHERE b.tenant_id = ? AND b.booked_at >= ? "
                            "AND b.booked_at < ? "
                            "GROUP BY b.partner_id, b.kind, c.f ORDER BY 1",
        p, 4, sizeof(**out), period_row_of, &list, n);
    *out = list;
    return st;
}

static int provenance_of(MYSQL_ROW row, void *element)
{
    al_provenance_row *r = element;
    copy(r->issuer, sizeof(r->issuer), row[0]);
    copy(r->redeemer, sizeof(r->redeemer), row[1]);
    copy(r->currency, sizeof(r->currency), row[2]);
    return al_db_i64(row[3], &r->points) && al_db_i64(row[4], &r->value_num) ? 0 : AL_DB_RANGE;
}

al_db_status al_provenance_rows(al_db *db, const char *tenant, const char *start, const char *end,
                                al_provenance_row **out, size_t *n)
{
    al_db_param p[] = {AL_STR(tenant), AL_STR(tenant), AL_STR(start), AL_STR(end)};
    void *list = NULL;
    al_db_status st =
        al_db_list(db,
                   CONTRACTS "SELECT IFNULL(lc.issuer_partner, ''), lc.redeemer_partner, c.cur, "
                             "SUM(lc.points), SUM(lc.points * c.rr) FROM lot_consumptions lc "
                             "JOIN bookings b ON b.booking_id = lc.booking_id "
                             "JOIN c ON c.partner_id = lc.redeemer_partner "
                             "AND b.booked_at >= c.f AND b.booked_at < c.t "
                             "WHERE lc.tenant_id = ? AND b.kind = 'redeem' "
                             "AND b.booked_at >= ? AND b.booked_at < ? "
                             "GROUP BY lc.issuer_partner, lc.redeemer_partner, c.cur "
                             "ORDER BY 1, 2",
                   p, 4, sizeof(**out), provenance_of, &list, n);
    *out = list;
    return st;
}

al_db_status al_outstanding_from_bookings(al_db *db, const char *tenant, const char *t,
                                          int64_t *out)
{
    bool found;
    al_db_param p[] = {AL_STR(tenant), AL_STR(t)};
    return al_db_int(db,
                     "SELECT IFNULL(" MEMBER_DELTA("") ", 0) FROM bookings "
                                                       "WHERE tenant_id = ? AND booked_at < ?",
                     p, 2, out, &found);
}

al_db_status al_outstanding_from_balances(al_db *db, const char *tenant, const char *t,
                                          int64_t *out)
{
    bool found;
    int64_t now = 0, since = 0;
    al_db_param p[] = {AL_STR(tenant)};
    al_db_status st = al_db_int(db,
                                "SELECT IFNULL(SUM(balance), 0) FROM account_balances "
                                "WHERE tenant_id = ? AND account LIKE " AL_SQL_MEMBER_ACCOUNTS,
                                p, 1, &now, &found);
    al_db_param q[] = {AL_STR(tenant), AL_STR(t)};
    if (st == AL_DB_OK)
        st = al_db_int(db,
                       "SELECT IFNULL(" MEMBER_DELTA("") ", 0) FROM bookings "
                                                         "WHERE tenant_id = ? AND booked_at >= ?",
                       q, 2, &since, &found);
    *out = now - since;
    return st;
}

al_db_status al_closed_closing_at(al_db *db, const char *tenant, const char *t, int64_t *out,
                                  bool *found)
{
    al_db_param p[] = {AL_STR(tenant), AL_STR(t)};
    MYSQL_RES *res = NULL;
    *found = false;
    al_db_status st = al_db_exec(db,
                                 "SELECT document FROM settlements WHERE tenant_id = ? AND "
                                 "status = 'closed' AND period_end = ? LIMIT 1",
                                 p, 2, &res);
    if (st != AL_DB_OK)
        return st;
    MYSQL_ROW row = mysql_fetch_row(res);
    json_t *doc = row ? json_loads(row[0], 0, NULL) : NULL;
    json_t *closing =
        json_object_get(json_object_get(doc, "reconciliation"), "closing_outstanding");
    if ((*found = json_is_integer(closing)))
        *out = json_integer_value(closing);
    json_decref(doc);
    mysql_free_result(res);
    return AL_DB_OK;
}

al_db_status al_closed_overlapping(al_db *db, const char *tenant, const char *start,
                                   const char *end, int64_t except, int64_t *count)
{
    bool found;
    al_db_param p[] = {AL_STR(tenant), AL_STR(end), AL_STR(start), AL_INT(except)};
    return al_db_int(db,
                     "SELECT COUNT(*) FROM settlements WHERE tenant_id = ? AND "
                     "status = 'closed' AND period_start < ? AND period_end > ? "
                     "AND settlement_id <> ?",
                     p, 4, count, &found);
}

al_db_status al_last_closed_end(al_db *db, const char *tenant, char out[AL_SQL_TIME], bool *found)
{
    al_db_param p[] = {AL_STR(tenant)};
    MYSQL_RES *res = NULL;
    MYSQL_ROW row;
    al_db_status st = al_db_row(
        db,
        "SELECT " AL_SQL_DATETIME("MAX(period_end)") " FROM settlements "
                                                     "WHERE tenant_id = ? AND status = 'closed'",
        p, 1, &res, &row);
    *found = st == AL_DB_OK && row != NULL && row[0] != NULL;
    if (*found)
        copy(out, AL_SQL_TIME, row[0]);
    al_db_free_result(res);
    return st;
}

al_db_status al_draft_replace(al_db *db, const char *tenant, const char *start, const char *end,
                              const char *csv, int64_t *id)
{
    al_db_param d[] = {AL_STR(tenant), AL_STR(start), AL_STR(end)};
    al_db_status st = al_db_exec(db,
                                 "DELETE FROM settlements WHERE tenant_id = ? AND status = 'draft' "
                                 "AND period_start = ? AND period_end = ?",
                                 d, 3, NULL);
    al_db_param i[] = {AL_STR(tenant), AL_STR(start), AL_STR(end), AL_STR(csv)};
    if (st == AL_DB_OK)
        st = al_db_exec(db,
                        "INSERT INTO settlements (tenant_id, period_start, period_end, status, "
                        "document, csv) VALUES (?, ?, ?, 'draft', '', ?)",
                        i, 4, NULL);
    *id = (int64_t)al_db_insert_id(db);
    return st;
}

al_db_status al_statement_set_document(al_db *db, int64_t id, const char *document)
{
    al_db_param u[] = {AL_STR(document), AL_INT(id)};
    return al_db_exec(db, "UPDATE settlements SET document = ? WHERE settlement_id = ?", u, 2,
                      NULL);
}

al_db_status al_statement_load(al_db *db, const char *tenant, int64_t id, int margin_s,
                               al_statement_row *out, bool *found)
{
    al_db_param p[] = {AL_INT(margin_s), AL_INT(id), AL_STR(tenant)};
    MYSQL_RES *res = NULL;
    MYSQL_ROW row;
    memset(out, 0, sizeof(*out));
    al_db_status st =
        al_db_row(db,
                  "SELECT settlement_id, status, document, csv, "
                  "IFNULL(signature, ''), " AL_SQL_DATETIME("period_start") ", " AL_SQL_DATETIME(
                      "period_end") ", period_end <= NOW(6) - INTERVAL ? SECOND "
                                    "FROM settlements WHERE settlement_id = ? "
                                    "AND tenant_id = ?",
                  p, 3, &res, &row);
    *found = false;
    if (st == AL_DB_OK && row != NULL) {
        out->id = strtoll(row[0], NULL, 10);
        out->closed = strcmp(row[1], "closed") == 0;
        out->document = strdup(row[2]);
        out->csv = strdup(row[3]);
        copy(out->signature, sizeof(out->signature), row[4]);
        copy(out->start, sizeof(out->start), row[5]);
        copy(out->end, sizeof(out->end), row[6]);
        out->over = strcmp(row[7], "1") == 0;
        *found = out->document != NULL && out->csv != NULL;
        if (!*found)
            st = AL_DB_ERROR;
    }
    al_db_free_result(res);
    return st;
}

static int summary_of(MYSQL_ROW row, void *element)
{
    al_statement_summary *m = element;
    m->id = strtoll(row[0], NULL, 10);
    m->number = row[1] ? strtoll(row[1], NULL, 10) : 0;
    copy(m->status, sizeof(m->status), row[2]);
    copy(m->period_start, sizeof(m->period_start), row[3]);
    copy(m->period_end, sizeof(m->period_end), row[4]);
    copy(m->created_at, sizeof(m->created_at), row[5]);
    copy(m->closed_at, sizeof(m->closed_at), row[6]);
    return 0;
}

al_db_status al_statements_page(al_db *db, const char *tenant, bool closed_only, int64_t after,
                                int64_t limit, al_statement_summary **out, size_t *n)
{
    al_db_param p[] = {AL_STR(tenant), AL_INT(after), AL_INT(closed_only), AL_INT(limit)};
    void *list = NULL;
    al_db_status
        st = al_db_list(db,
                        "SELECT settlement_id, number, status, " AL_SQL_RFC3339_S("period_start") ", " AL_SQL_RFC3339_S("period_end") ", " AL_SQL_RFC3339_S(
                            "created_at") ", IFNULL(" AL_SQL_RFC3339_S("closed_at") ", '') "
                                                                                    "FROM "
                                                                                    "settlements "
                                                                                    "WHERE "
                                                                                    "tenant_id = ? "
                                                                                    "AND "
                                                                                    "settlement_id "
                                                                                    "> ? "
                                                                                    "AND (? = 0 OR "
                                                                                    "status = "
                                                                                    "'closed') "
                                                                                    "ORDER BY "
                                                                                    "settlement_id "
                                                                                    "LIMIT ?",
                        p, 4, sizeof(**out), summary_of, &list, n);
    *out = list;
    return st;
}

void al_statement_row_clear(al_statement_row *r)
{
    free(r->document);
    free(r->csv);
    r->document = r->csv = NULL;
}

al_db_status al_settlement_lock(al_db *db, const char *tenant)
{
    /* A write, not only a lock: on a Galera cluster two nodes' closes conflict on it. */
    al_db_param t[] = {AL_STR(tenant)};
    return al_db_exec(db,
                      "UPDATE tenants SET settlement_closes = settlement_closes + 1 "
                      "WHERE tenant_id = ?",
                      t, 1, NULL);
}

al_db_status al_next_number(al_db *db, const char *tenant, int64_t *number)
{
    bool found;
    al_db_param t[] = {AL_STR(tenant)};
    return al_db_int(db, "SELECT IFNULL(MAX(number), 0) + 1 FROM settlements WHERE tenant_id = ?",
                     t, 1, number, &found);
}

al_db_status al_statement_mark_closed(al_db *db, int64_t id, int64_t number, const char *document,
                                      const char *csv, const char *signature)
{
    al_db_param u[] = {AL_INT(number), AL_STR(document), AL_STR(csv), AL_STR(signature),
                       AL_INT(id)};
    return al_db_exec(db,
                      "UPDATE settlements SET status = 'closed', number = ?, document = ?, "
                      "csv = ?, signature = ?, closed_at = NOW(6) WHERE settlement_id = ?",
                      u, 5, NULL);
}
