/*
 * Inter-partner settlement (tenant admin). A statement covers the bookings
 * whose booking time is in [period_start, period_end): per partner the points
 * issued, reversed and redeemed, the fee it owes the alliance and the
 * reimbursement the alliance owes it, each priced by the contract in force
 * when the booking was booked, with one rounding (half away from zero) per
 * statement line; the provenance matrix (issued by P, redeemed at Q); the
 * alliance's totals; and the reconciliation of outstanding points.
 *
 * POST /v1/settlements computes a draft (again for the same period: a fresh
 * draft); POST /v1/settlements/{id}/close recomputes it, checks the
 * reconciliation, numbers it, signs it (Ed25519) and keeps it byte for byte;
 * GET /v1/settlements/{id} and /statement.csv answer the stored bytes with the
 * signature in X-Alliance-Signature (verify with GET /v1/settlements/public-key).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <jansson.h>
#include <openssl/crypto.h>

#include "api/booking.h"
#include "api/context.h"
#include "api/outcome.h"
#include "api/routes.h"
#include "auth/secrets.h"
#include "db/db.h"

/* A period must be over this long before it closes: no booking can still be in flight. */
#define CLOSE_MARGIN_S 5

/* Contract intervals [f, t) per partner, for pricing each booking by its time. */
#define CONTRACTS                                                                                  \
    "WITH c AS (SELECT partner_id, effective_from AS f, currency AS cur, "                         \
    "IFNULL(LEAD(effective_from) OVER (PARTITION BY partner_id ORDER BY effective_from), "         \
    "'9999-12-31') AS t, issue_minor_per_1000 AS ir, redeem_minor_per_1000 AS rr "                 \
    "FROM partner_contracts WHERE tenant_id = ?) "

/* round(num / 1000), half away from zero, exactly. */
static int64_t per_mille(__int128 num)
{
    __int128 q = (num < 0 ? -num : num) * 2 + 1000;
    q /= 2000;
    return (int64_t)(num < 0 ? -q : q);
}

typedef struct {
    char partner[AL_ID_MAX + 1];
    char currency[4];
    int64_t issued, reversed, redeemed;
    __int128 fee_num, reimb_num; /* points x rate, before the one rounding */
} partner_line;

typedef struct {
    partner_line *lines;
    size_t n, cap;
} lines_t;

static partner_line *line_for(lines_t *ls, const char *partner)
{
    for (size_t i = 0; i < ls->n; i++)
        if (strcmp(ls->lines[i].partner, partner) == 0)
            return &ls->lines[i];
    if (ls->n == ls->cap) {
        size_t cap = ls->cap ? ls->cap * 2 : 16;
        partner_line *nl = realloc(ls->lines, cap * sizeof(*nl));
        if (nl == NULL)
            return NULL;
        ls->lines = nl;
        ls->cap = cap;
    }
    partner_line *l = &ls->lines[ls->n++];
    memset(l, 0, sizeof(*l));
    snprintf(l->partner, sizeof(l->partner), "%s", partner);
    return l;
}

/* Sum of the member accounts' movements of bookings before t: outstanding points at t. */
static al_db_status outstanding_at(al_db *db, const char *tenant, const char *t, int64_t *out)
{
    bool found;
    al_db_param p[] = {AL_STR(tenant), AL_STR(t)};
    return al_db_int(db,
                     "SELECT IFNULL(SUM(IF(to_account LIKE 'member:%', points, 0)) - "
                     "SUM(IF(from_account LIKE 'member:%', points, 0)), 0) FROM bookings "
                     "WHERE tenant_id = ? AND booked_at < ?",
                     p, 2, out, &found);
}

/*
 * Outstanding points when a period starts: the closing figure of the closed
 * statement that ends there (statements chain), else from all the bookings before.
 */
static al_db_status opening_outstanding(al_db *db, const char *tenant, const char *start,
                                        int64_t *out)
{
    al_db_param p[] = {AL_STR(tenant), AL_STR(start)};
    MYSQL_RES *res = NULL;
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
    bool chained = json_is_integer(closing);
    if (chained)
        *out = json_integer_value(closing);
    json_decref(doc);
    mysql_free_result(res);
    return chained ? AL_DB_OK : outstanding_at(db, tenant, start, out);
}

/* The same from the other source: today's balances less what moved since t. */
static al_db_status outstanding_by_balances(al_db *db, const char *tenant, const char *t,
                                            int64_t *out)
{
    bool found;
    int64_t now = 0, since = 0;
    al_db_param p[] = {AL_STR(tenant)};
    al_db_status st = al_db_int(db,
                                "SELECT IFNULL(SUM(balance), 0) FROM account_balances "
                                "WHERE tenant_id = ? AND account LIKE 'member:%'",
                                p, 1, &now, &found);
    al_db_param q[] = {AL_STR(tenant), AL_STR(t)};
    if (st == AL_DB_OK)
        st = al_db_int(db,
                       "SELECT IFNULL(SUM(IF(to_account LIKE 'member:%', points, 0)) - "
                       "SUM(IF(from_account LIKE 'member:%', points, 0)), 0) FROM bookings "
                       "WHERE tenant_id = ? AND booked_at >= ?",
                       q, 2, &since, &found);
    *out = now - since;
    return st;
}

/* Computes the statement of [start, end) as a JSON document and its CSV. */
static al_db_status compute(al_db *db, const char *tenant, const char *start, const char *end,
                            json_t **doc_out, char **csv_out, bool *balanced)
{
    al_db_status st;
    lines_t ls = {0};
    MYSQL_RES *res = NULL;
    MYSQL_ROW row;
    /*
     * One pass over the period: per partner, kind and contract, the points
     * and the member accounts' net movement; partner-less bookings (expiry,
     * the alliance's own events) come with no price.
     */
    int64_t expired = 0, all_issued = 0, delta = 0;
    al_db_param p[] = {AL_STR(tenant), AL_STR(tenant), AL_STR(start), AL_STR(end)};
    st = al_db_exec(db,
                    CONTRACTS
                    "SELECT IFNULL(b.partner_id, ''), b.kind, IFNULL(c.cur, ''), SUM(b.points), "
                    "IFNULL(c.ir, 0), IFNULL(c.rr, 0), "
                    "SUM(IF(b.to_account LIKE 'member:%', b.points, 0)) - "
                    "SUM(IF(b.from_account LIKE 'member:%', b.points, 0)) "
                    "FROM bookings b LEFT JOIN c ON c.partner_id = b.partner_id "
                    "AND b.booked_at >= c.f AND b.booked_at < c.t "
                    "WHERE b.tenant_id = ? AND b.booked_at >= ? AND b.booked_at < ? "
                    "GROUP BY b.partner_id, b.kind, c.f ORDER BY 1",
                    p, 4, &res);
    if (st != AL_DB_OK)
        return st;
    while ((row = mysql_fetch_row(res)) != NULL) {
        int64_t pts = strtoll(row[3], NULL, 10), ir = strtoll(row[4], NULL, 10),
                rr = strtoll(row[5], NULL, 10);
        delta += strtoll(row[6], NULL, 10);
        bool earning = strcmp(row[1], "earn") == 0 || strcmp(row[1], "event") == 0;
        if (strcmp(row[1], "expire") == 0)
            expired += pts;
        bool imported = strcmp(row[1], "import") == 0; /* history, settled before it came */
        if (earning || imported)
            all_issued += pts;
        if (row[0][0] == '\0' || row[2][0] == '\0' || imported)
            continue; /* the alliance's own, or imported: issued, not billed */
        partner_line *l = line_for(&ls, row[0]);
        if (l == NULL)
            continue;
        snprintf(l->currency, sizeof(l->currency), "%s", row[2]);
        if (strcmp(row[1], "redeem") == 0) {
            l->redeemed += pts;
            l->reimb_num += (__int128)pts * rr;
        } else if (strcmp(row[1], "reversal") == 0) {
            l->reversed += pts;
            l->fee_num -= (__int128)pts * ir;
        } else if (earning) {
            l->issued += pts;
            l->fee_num += (__int128)pts * ir;
        }
    }
    mysql_free_result(res);

    json_t *partners = json_array(), *totals = json_object();
    struct evbuffer *csv = evbuffer_new();
    evbuffer_add_printf(csv, "line,partner,issuer,currency,points_issued,points_reversed,"
                             "points_redeemed,fee_minor,reimbursement_minor,net_minor\r\n");
    int64_t issued = 0, reversed = 0, redeemed = 0;
    for (size_t i = 0; i < ls.n; i++) {
        partner_line *l = &ls.lines[i];
        int64_t fee = per_mille(l->fee_num), reimb = per_mille(l->reimb_num);
        json_array_append_new(
            partners,
            json_pack("{s:s,s:s,s:I,s:I,s:I,s:I,s:I,s:I}", "partner", l->partner, "currency",
                      l->currency, "points_issued", (json_int_t)l->issued, "points_reversed",
                      (json_int_t)l->reversed, "points_redeemed", (json_int_t)l->redeemed,
                      "fee_minor", (json_int_t)fee, "reimbursement_minor", (json_int_t)reimb,
                      "net_minor", (json_int_t)(fee - reimb)));
        evbuffer_add_printf(csv, "partner,%s,,%s,%lld,%lld,%lld,%lld,%lld,%lld\r\n", l->partner,
                            l->currency, (long long)l->issued, (long long)l->reversed,
                            (long long)l->redeemed, (long long)fee, (long long)reimb,
                            (long long)(fee - reimb));
        /* Money totals per currency: each the exact sum of its lines. */
        json_t *t = json_object_get(totals, l->currency);
        if (t == NULL) {
            t = json_pack("{s:I,s:I,s:I}", "fee_income_minor", (json_int_t)0,
                          "reimbursement_cost_minor", (json_int_t)0, "net_minor", (json_int_t)0);
            json_object_set_new(totals, l->currency, t);
        }
        json_object_set_new(
            t, "fee_income_minor",
            json_integer(json_integer_value(json_object_get(t, "fee_income_minor")) + fee));
        json_object_set_new(
            t, "reimbursement_cost_minor",
            json_integer(json_integer_value(json_object_get(t, "reimbursement_cost_minor")) +
                         reimb));
        json_object_set_new(
            t, "net_minor",
            json_integer(json_integer_value(json_object_get(t, "net_minor")) + fee - reimb));
        issued += l->issued;
        reversed += l->reversed;
        redeemed += l->redeemed;
    }
    free(ls.lines);

    /* Provenance: points issued by P and redeemed at Q, valued at Q's redemption price. */
    json_t *matrix = json_array();
    al_db_param q[] = {AL_STR(tenant), AL_STR(tenant), AL_STR(start), AL_STR(end)};
    st = al_db_exec(db,
                    CONTRACTS "SELECT IFNULL(lc.issuer_partner, ''), lc.redeemer_partner, c.cur, "
                              "SUM(lc.points), SUM(lc.points * c.rr) FROM lot_consumptions lc "
                              "JOIN bookings b ON b.booking_id = lc.booking_id "
                              "JOIN c ON c.partner_id = lc.redeemer_partner "
                              "AND b.booked_at >= c.f AND b.booked_at < c.t "
                              "WHERE lc.tenant_id = ? AND b.kind = 'redeem' "
                              "AND b.booked_at >= ? AND b.booked_at < ? "
                              "GROUP BY lc.issuer_partner, lc.redeemer_partner, c.cur "
                              "ORDER BY 1, 2",
                    q, 4, &res);
    while (st == AL_DB_OK && (row = mysql_fetch_row(res)) != NULL) {
        int64_t value = per_mille((__int128)strtoll(row[4], NULL, 10));
        json_array_append_new(matrix, json_pack("{s:s,s:s,s:s,s:I,s:I}", "issuer", row[0],
                                                "redeemer", row[1], "currency", row[2], "points",
                                                (json_int_t)strtoll(row[3], NULL, 10),
                                                "value_minor", (json_int_t)value));
        evbuffer_add_printf(csv, "provenance,%s,%s,%s,,,%lld,,%lld,\r\n", row[1], row[0], row[2],
                            strtoll(row[3], NULL, 10), (long long)value);
    }
    if (res != NULL)
        mysql_free_result(res);

    int64_t opening = 0, closing = 0, closing_check = 0;
    if (st == AL_DB_OK)
        st = opening_outstanding(db, tenant, start, &opening);
    closing = opening + delta;
    if (st == AL_DB_OK)
        st = outstanding_by_balances(db, tenant, end, &closing_check);
    if (st != AL_DB_OK) {
        json_decref(partners);
        json_decref(totals);
        json_decref(matrix);
        evbuffer_free(csv);
        return st;
    }
    *balanced =
        opening + all_issued - reversed - redeemed - expired == closing && closing == closing_check;
    evbuffer_add_printf(csv, "totals,,,,%lld,%lld,%lld,,,\r\n", (long long)issued,
                        (long long)reversed, (long long)redeemed);
    evbuffer_add_printf(csv,
                        "reconciliation,opening %lld + issued %lld - reversed %lld - redeemed "
                        "%lld - expired %lld = closing %lld,,,,,,,,\r\n",
                        (long long)opening, (long long)all_issued, (long long)reversed,
                        (long long)redeemed, (long long)expired, (long long)closing);
    *doc_out = json_pack(
        "{s:s,s:s,s:o,s:o,s:{s:I,s:I,s:I,s:I,s:o},s:{s:I,s:I,s:I,s:I,s:I,s:I,s:b}}", "period_start",
        start, "period_end", end, "partners", partners, "provenance", matrix, "totals",
        "points_issued", (json_int_t)all_issued, "points_reversed", (json_int_t)reversed,
        "points_redeemed", (json_int_t)redeemed, "points_expired", (json_int_t)expired, "money",
        totals, "reconciliation", "opening_outstanding", (json_int_t)opening, "issued",
        (json_int_t)all_issued, "reversed", (json_int_t)reversed, "redeemed", (json_int_t)redeemed,
        "expired", (json_int_t)expired, "closing_outstanding", (json_int_t)closing, "balanced",
        *balanced);
    size_t len = evbuffer_get_length(csv);
    *csv_out = malloc(len + 1);
    if (*csv_out != NULL) {
        evbuffer_remove(csv, *csv_out, len);
        (*csv_out)[len] = '\0';
    }
    evbuffer_free(csv);
    return *doc_out && *csv_out ? AL_DB_OK : AL_DB_ERROR;
}

/* The statement as stored: the document with its identity and status first. */
static char *statement_text(long long id, const char *status, int number, json_t *doc)
{
    json_t *head = json_pack("{s:I,s:s}", "id", (json_int_t)id, "status", status);
    if (number > 0)
        json_object_set_new(head, "number", json_integer(number));
    json_object_update(head, doc);
    char *text = json_dumps(head, JSON_COMPACT | JSON_PRESERVE_ORDER);
    json_decref(head);
    return text;
}

/* Parses period_start/period_end into DATETIMEs; replies 400 when they are not a period. */
static int period_of(al_exchange *x, json_t *body, char start[27], char end[27])
{
    static const char *const fields[] = {"period_start", "period_end", NULL};
    json_t *s = json_object_get(body, "period_start"), *e = json_object_get(body, "period_end");
    if (al_body_only(x, body, fields) != 0)
        return -1;
    if (!json_is_string(s) || !json_is_string(e) ||
        al_rfc3339_to_sql(json_string_value(s), start) != 0 ||
        al_rfc3339_to_sql(json_string_value(e), end) != 0 || strcmp(start, end) >= 0) {
        al_reply_error(x, 400, "invalid_period",
                       "period_start and period_end are RFC 3339 UTC times, start before end");
        return -1;
    }
    return 0;
}

/* Refuses (409) a period [start, end) that overlaps a closed statement (other than except). */
static bool overlaps_closed(al_db *db, const char *tenant, const char *start, const char *end,
                            long long except, al_outcome *o)
{
    int64_t n = 0;
    bool found;
    al_db_param p[] = {AL_STR(tenant), AL_STR(end), AL_STR(start), AL_INT(except)};
    al_db_status st = al_db_int(db,
                                "SELECT COUNT(*) FROM settlements WHERE tenant_id = ? AND "
                                "status = 'closed' AND period_start < ? AND period_end > ? "
                                "AND settlement_id <> ?",
                                p, 4, &n, &found);
    if (st != AL_DB_OK) {
        al_db_failed(o, st);
        return true;
    }
    if (n > 0) {
        al_refuse(o, AL_CONFLICT, "period_overlaps_closed",
                  "the period overlaps a closed statement; nothing is billed twice");
        return true;
    }
    return false;
}

/* Refuses (409) closing a period that starts after the last closed one ends: no gaps. */
static bool leaves_gap(al_db *db, const char *tenant, const char *start, al_outcome *o)
{
    al_db_param p[] = {AL_STR(tenant)};
    MYSQL_RES *res = NULL;
    al_db_status st = al_db_exec(db,
                                 "SELECT DATE_FORMAT(MAX(period_end), '%Y-%m-%d %H:%i:%s.%f') "
                                 "FROM settlements WHERE tenant_id = ? AND status = 'closed'",
                                 p, 1, &res);
    if (st != AL_DB_OK) {
        al_db_failed(o, st);
        return true;
    }
    MYSQL_ROW row = mysql_fetch_row(res);
    bool gap = row != NULL && row[0] != NULL && strcmp(row[0], start) < 0;
    if (gap)
        al_refuse(o, AL_CONFLICT, "period_gap",
                  "the last closed period ends at %s; the next one must start there", row[0]);
    mysql_free_result(res);
    return gap;
}

typedef struct {
    char tenant[AL_ID_MAX + 1];
    char start[27], end[27];
} draft_query;

/* Computes a draft statement and keeps it (a report: it may read millions of bookings). */
static bool draft_report(al_db *db, void *ctx, al_outcome *o)
{
    const draft_query *q = ctx;
    json_t *doc = NULL;
    char *csv = NULL, *text = NULL;
    bool balanced = false;
    if (overlaps_closed(db, q->tenant, q->start, q->end, 0, o))
        return false;
    al_db_status st = compute(db, q->tenant, q->start, q->end, &doc, &csv, &balanced);
    /* One draft a period: computing it again replaces it. */
    al_db_param d[] = {AL_STR(q->tenant), AL_STR(q->start), AL_STR(q->end)};
    if (st == AL_DB_OK)
        st = al_db_exec(db, "START TRANSACTION", NULL, 0, NULL);
    if (st == AL_DB_OK)
        st = al_db_exec(db,
                        "DELETE FROM settlements WHERE tenant_id = ? AND status = 'draft' "
                        "AND period_start = ? AND period_end = ?",
                        d, 3, NULL);
    al_db_param i[] = {AL_STR(q->tenant), AL_STR(q->start), AL_STR(q->end), AL_STR(csv ? csv : "")};
    if (st == AL_DB_OK)
        st = al_db_exec(db,
                        "INSERT INTO settlements (tenant_id, period_start, period_end, status, "
                        "document, csv) VALUES (?, ?, ?, 'draft', '', ?)",
                        i, 4, NULL);
    long long id = (long long)al_db_insert_id(db);
    text = st == AL_DB_OK ? statement_text(id, "draft", 0, doc) : NULL;
    al_db_param u[] = {AL_STR(text ? text : "{}"), AL_INT(id)};
    if (st == AL_DB_OK)
        st = al_db_exec(db, "UPDATE settlements SET document = ? WHERE settlement_id = ?", u, 2,
                        NULL);
    if (st == AL_DB_OK)
        st = al_db_exec(db, "COMMIT", NULL, 0, NULL);
    free(csv);
    json_decref(doc);
    if (st != AL_DB_OK) {
        free(text);
        al_db_exec(db, "ROLLBACK", NULL, 0, NULL);
        return al_db_failed(o, st);
    }
    o->result = AL_CREATED;
    o->reply_text = text;
    return true;
}

void al_api_settlement_create(al_exchange *x)
{
    json_t *body = NULL;
    draft_query q;
    if (al_body_object(x, &body) != 0)
        return;
    if (period_of(x, body, q.start, q.end) == 0) {
        snprintf(q.tenant, sizeof(q.tenant), "%s", x->tenant);
        al_run_report(x, draft_report, &q, sizeof(q), NULL);
    }
    json_decref(body);
}

/* Loads a statement of the caller's tenant; NULL after replying 404. */
static MYSQL_RES *load(al_exchange *x, MYSQL_ROW *row)
{
    char *end = NULL;
    long long id = strtoll(x->params[0], &end, 10);
    if (*end != '\0' || id < 1) {
        al_reply_error(x, 404, "not_found", "no such statement");
        return NULL;
    }
    al_db_param p[] = {AL_INT(id), AL_STR(x->tenant)};
    MYSQL_RES *res = NULL;
    al_db_status st = al_db_exec(al_db_of(x),
                                 "SELECT settlement_id, status, document, csv, "
                                 "IFNULL(signature, ''), "
                                 "DATE_FORMAT(period_start, '%Y-%m-%d %H:%i:%s.%f'), "
                                 "DATE_FORMAT(period_end, '%Y-%m-%d %H:%i:%s.%f'), "
                                 "period_end <= NOW(6) - INTERVAL 5 SECOND "
                                 "FROM settlements WHERE settlement_id = ? AND tenant_id = ?",
                                 p, 2, &res);
    if (st != AL_DB_OK) {
        al_reply_db_failure(x, st);
        return NULL;
    }
    *row = mysql_fetch_row(res);
    if (*row == NULL) {
        mysql_free_result(res);
        al_reply_error(x, 404, "not_found", "no such statement");
        return NULL;
    }
    return res;
}

static void reply_stored(al_exchange *x, bool as_csv)
{
    MYSQL_ROW row;
    MYSQL_RES *res = load(x, &row);
    if (res == NULL)
        return;
    /* The signature covers "document" and "csv" as "<document>\n<csv>". */
    if (row[4][0] != '\0')
        evhttp_add_header(evhttp_request_get_output_headers(x->req), "X-Alliance-Signature",
                          row[4]);
    if (as_csv)
        al_reply_text(x, 200, "text/csv; charset=utf-8", row[3], strlen(row[3]));
    else
        al_reply_raw(x, 200, row[2]);
    mysql_free_result(res);
}

void al_api_settlement_get(al_exchange *x)
{
    reply_stored(x, false);
}

void al_api_settlement_csv(al_exchange *x)
{
    reply_stored(x, true);
}

void al_api_settlement_public_key(al_exchange *x)
{
    char pub[65];
    if (!al_ctx_of(x)->keys->has_settlement_key ||
        al_ed25519_public_hex(al_ctx_of(x)->keys->settlement_key, pub)) {
        al_reply_error(x, 503, "settlement_key_missing", "the server signs no statements");
        return;
    }
    al_reply_json(x, 200, json_pack("{s:s,s:s}", "algorithm", "Ed25519", "public_key", pub));
}

typedef struct {
    char tenant[AL_ID_MAX + 1];
    long long id;
    char start[27], end[27];
    uint8_t key[32];
} close_query;

/* Closes a statement: computed again, reconciled, numbered, signed and kept (a report). */
static bool close_report(al_db *db, void *ctx, al_outcome *o)
{
    const close_query *q = ctx;
    json_t *doc = NULL;
    char *csv = NULL, *text = NULL, *signed_text = NULL, sig[129];
    bool balanced = false, ok = false;
    int64_t number = 0;
    bool found;
    al_db_param t[] = {AL_STR(q->tenant)};
    /* The tenant row serialises closes: one numbering, no overlaps. */
    al_db_status st = al_db_exec(db, "START TRANSACTION", NULL, 0, NULL);
    if (st == AL_DB_OK)
        st = al_db_int(db, "SELECT 1 FROM tenants WHERE tenant_id = ? FOR UPDATE", t, 1, &number,
                       &found);
    if (st == AL_DB_OK && (overlaps_closed(db, q->tenant, q->start, q->end, q->id, o) ||
                           leaves_gap(db, q->tenant, q->start, o))) {
        al_db_exec(db, "ROLLBACK", NULL, 0, NULL);
        return false;
    }
    if (st == AL_DB_OK)
        st = compute(db, q->tenant, q->start, q->end, &doc, &csv, &balanced);
    if (st == AL_DB_OK && !balanced) {
        al_db_exec(db, "ROLLBACK", NULL, 0, NULL);
        char *why = json_dumps(json_object_get(doc, "reconciliation"), JSON_COMPACT);
        al_refuse(o, AL_REFUSED, "reconciliation_failed",
                  "the statement does not reconcile with the ledger: %.180s", why ? why : "");
        free(why);
        goto done;
    }
    if (st == AL_DB_OK)
        st = al_db_int(db, "SELECT IFNULL(MAX(number), 0) + 1 FROM settlements WHERE tenant_id = ?",
                       t, 1, &number, &found);
    if (st == AL_DB_OK) {
        text = statement_text(q->id, "closed", (int)number, doc);
        if (text == NULL || asprintf(&signed_text, "%s\n%s", text, csv) < 0 ||
            al_ed25519_sign_hex(q->key, signed_text, strlen(signed_text), sig) != 0)
            st = AL_DB_ERROR;
    }
    al_db_param u[] = {AL_INT(number), AL_STR(text ? text : ""), AL_STR(csv ? csv : ""),
                       AL_STR(st == AL_DB_OK ? sig : ""), AL_INT(q->id)};
    if (st == AL_DB_OK)
        st = al_db_exec(db,
                        "UPDATE settlements SET status = 'closed', number = ?, document = ?, "
                        "csv = ?, signature = ?, closed_at = NOW(6) WHERE settlement_id = ?",
                        u, 5, NULL);
    if (st == AL_DB_OK)
        st = al_db_exec(db, "COMMIT", NULL, 0, NULL);
    if (st != AL_DB_OK) {
        al_db_exec(db, "ROLLBACK", NULL, 0, NULL);
        al_db_failed(o, st);
        goto done;
    }
    o->result = AL_DONE;
    o->reply_text = text;
    text = NULL;
    snprintf(o->signature, sizeof(o->signature), "%s", sig);
    ok = true;
done:
    free(signed_text);
    free(text);
    free(csv);
    json_decref(doc);
    return ok;
}

/* The copy of the signing key a close carried is wiped after the answer. */
static void forget_key(void *ctx)
{
    OPENSSL_cleanse(((close_query *)ctx)->key, sizeof(((close_query *)ctx)->key));
}

void al_api_settlement_close(al_exchange *x)
{
    if (!al_ctx_of(x)->keys->has_settlement_key) {
        al_reply_error(x, 503, "settlement_key_missing",
                       "the server has no settlement_key (ALLIANCE_SETTLEMENT_KEY) to sign with");
        return;
    }
    MYSQL_ROW row;
    MYSQL_RES *res = load(x, &row);
    if (res == NULL)
        return;
    close_query q;
    snprintf(q.tenant, sizeof(q.tenant), "%s", x->tenant);
    q.id = strtoll(row[0], NULL, 10);
    bool closed = strcmp(row[1], "closed") == 0, over = strcmp(row[7], "1") == 0;
    snprintf(q.start, sizeof(q.start), "%s", row[5]);
    snprintf(q.end, sizeof(q.end), "%s", row[6]);
    mysql_free_result(res);
    if (closed) {
        reply_stored(x, false); /* closing again answers the closed statement */
        return;
    }
    if (!over) {
        al_reply_error(x, 422, "period_not_over",
                       "a period closes once its end is %d s past, so no booking is still in "
                       "flight",
                       CLOSE_MARGIN_S);
        return;
    }
    memcpy(q.key, al_ctx_of(x)->keys->settlement_key, sizeof(q.key));
    al_run_report(x, close_report, &q, sizeof(q), forget_key);
    OPENSSL_cleanse(q.key, sizeof(q.key));
}
