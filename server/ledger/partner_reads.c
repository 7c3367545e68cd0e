/* A partner's reads of its own rows; see partner_reads.h. */
#include "ledger/partner_reads.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* clang-format off */
#define TRANSACTION_COLUMNS                                                                \
    "SELECT t.booking_id, t.transaction_id, t.member_id, t.points, t.qualifying_points, "  \
    "t.base_amount_minor, t.reversed_minor, t.reversed_points, t.currency, "               \
    AL_SQL_RFC3339("t.occurred_at") ", " AL_SQL_RFC3339("b.booked_at") ", b.detail "       \
    "FROM transactions t JOIN bookings b ON b.booking_id = t.booking_id "

#define REDEMPTION_COLUMNS                                                                 \
    "SELECT seq, redemption_id, member_id, status, points, captured_points, "              \
    "IFNULL(" AL_SQL_RFC3339("hold_expires_at") ", ''), " AL_SQL_RFC3339("created_at")     \
    ", " AL_SQL_RFC3339("updated_at") " FROM redemptions "

/* The list filters, after tenant and partner: the member, then the time range. */
#define FILTERS(member, time)                                                              \
    "AND (? = '' OR " member " = ?) AND (? = '' OR " time " >= ?) "                        \
    "AND (? = '' OR " time " < ?) "
/* clang-format on */

static int transaction_of(MYSQL_ROW row, void *element)
{
    al_transaction_view *t = element;
    t->booking_id = atoll(row[0]);
    snprintf(t->id, sizeof(t->id), "%s", row[1]);
    snprintf(t->member, sizeof(t->member), "%s", row[2]);
    t->points = atoll(row[3]);
    t->qualifying_points = atoll(row[4]);
    t->amount_minor = atoll(row[5]);
    t->reversed_minor = atoll(row[6]);
    t->reversed_points = atoll(row[7]);
    snprintf(t->currency, sizeof(t->currency), "%s", row[8]);
    snprintf(t->occurred_at, sizeof(t->occurred_at), "%s", row[9]);
    snprintf(t->booked_at, sizeof(t->booked_at), "%s", row[10]);
    if (row[11] != NULL && row[11][0] != '\0' && (t->detail = strdup(row[11])) == NULL)
        return -1;
    return 0;
}

void al_transaction_views_free(al_transaction_view *v, size_t n)
{
    for (size_t i = 0; v != NULL && i < n; i++)
        free(v[i].detail);
    free(v);
}

al_db_status al_transaction_read(al_db *db, const char *tenant, const char *partner, const char *id,
                                 al_transaction_view *out, bool *found)
{
    al_db_param p[] = {AL_STR(tenant), AL_STR(partner), AL_STR(id)};
    void *list = NULL;
    size_t n = 0;
    al_db_status st = al_db_list(db,
                                 TRANSACTION_COLUMNS "WHERE t.tenant_id = ? AND t.partner_id = ? "
                                                     "AND t.transaction_id = ?",
                                 p, 3, sizeof(*out), transaction_of, &list, &n);
    memset(out, 0, sizeof(*out));
    *found = st == AL_DB_OK && n == 1;
    if (*found) {
        *out = *(al_transaction_view *)list; /* its detail too: out owns it now */
        free(list);
    } else
        al_transaction_views_free(list, n);
    return st;
}

al_db_status al_transactions_page(al_db *db, const char *tenant, const char *partner,
                                  const al_read_filter *f, int64_t after, int64_t limit,
                                  al_transaction_view **out, size_t *n)
{
    const char *member = f->member ? f->member : "";
    al_db_param p[] = {AL_STR(tenant),   AL_STR(partner),  AL_INT(after),    AL_STR(member),
                       AL_STR(member),   AL_STR(f->since), AL_STR(f->since), AL_STR(f->until),
                       AL_STR(f->until), AL_INT(limit)};
    void *list = NULL;
    al_db_status st =
        al_db_list(db,
                   TRANSACTION_COLUMNS
                   "WHERE t.tenant_id = ? AND t.partner_id = ? "
                   "AND t.booking_id > ? " FILTERS("t.member_id",
                                                   "t.occurred_at") "ORDER BY t.booking_id LIMIT ?",
                   p, 10, sizeof(**out), transaction_of, &list, n);
    *out = list;
    return st;
}

static int redemption_of(MYSQL_ROW row, void *element)
{
    al_redemption_view *r = element;
    r->seq = atoll(row[0]);
    snprintf(r->id, sizeof(r->id), "%s", row[1]);
    snprintf(r->member, sizeof(r->member), "%s", row[2]);
    snprintf(r->status, sizeof(r->status), "%s", row[3]);
    r->points = atoll(row[4]);
    r->captured_points = atoll(row[5]);
    snprintf(r->hold_expires_at, sizeof(r->hold_expires_at), "%s", row[6]);
    snprintf(r->created_at, sizeof(r->created_at), "%s", row[7]);
    snprintf(r->updated_at, sizeof(r->updated_at), "%s", row[8]);
    return 0;
}

al_db_status al_redemption_read(al_db *db, const char *tenant, const char *partner, const char *id,
                                al_redemption_view *out, bool *found)
{
    al_db_param p[] = {AL_STR(tenant), AL_STR(partner), AL_STR(id)};
    void *list = NULL;
    size_t n = 0;
    al_db_status st = al_db_list(db,
                                 REDEMPTION_COLUMNS "WHERE tenant_id = ? AND partner_id = ? "
                                                    "AND redemption_id = ?",
                                 p, 3, sizeof(*out), redemption_of, &list, &n);
    memset(out, 0, sizeof(*out));
    *found = st == AL_DB_OK && n == 1;
    if (*found)
        *out = *(al_redemption_view *)list;
    free(list);
    return st;
}

al_db_status al_redemptions_page(al_db *db, const char *tenant, const char *partner,
                                 const al_read_filter *f, int64_t after, int64_t limit,
                                 al_redemption_view **out, size_t *n)
{
    const char *member = f->member ? f->member : "";
    al_db_param p[] = {AL_STR(tenant),   AL_STR(partner),  AL_INT(after),    AL_STR(member),
                       AL_STR(member),   AL_STR(f->since), AL_STR(f->since), AL_STR(f->until),
                       AL_STR(f->until), AL_INT(limit)};
    void *list = NULL;
    al_db_status st =
        al_db_list(db,
                   REDEMPTION_COLUMNS "WHERE tenant_id = ? AND partner_id = ? AND seq > ? " FILTERS(
                       "member_id", "created_at") "ORDER BY seq LIMIT ?",
                   p, 10, sizeof(**out), redemption_of, &list, n);
    *out = list;
    return st;
}
