/* Members' SQL; see members.h. */
#include "ledger/members.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ledger/ledger.h"

/* An earning's or an import's transaction, for when it happened (not when it was booked). */
#define OCCURRED_JOIN                                                                              \
    "LEFT JOIN transactions t ON t.tenant_id = b.tenant_id AND t.partner_id = b.partner_id "       \
    "AND t.transaction_id = b.ref_id AND b.kind IN ('earn', 'import')"

void al_member_clear(al_member *m)
{
    free(m->profile);
    m->profile = NULL;
}

al_db_status al_member_create(al_db *db, const char *tenant, const char *id, const char *profile,
                              bool *exists)
{
    al_db_param p[] = {AL_STR(tenant), AL_STR(id), AL_STR(profile)};
    al_db_status st = al_db_exec(db,
                                 "INSERT INTO members (tenant_id, member_id, profile) "
                                 "VALUES (?, ?, ?)",
                                 p, 3, NULL);
    *exists = st == AL_DB_DUPLICATE;
    return *exists ? AL_DB_OK : st;
}

al_db_status al_member_get(al_db *db, const char *tenant, const char *id, al_member *out,
                           bool *found)
{
    al_db_param p[] = {AL_STR(tenant), AL_STR(id)};
    MYSQL_RES *res = NULL;
    MYSQL_ROW row;
    al_db_status st =
        al_db_row(db,
                  "SELECT profile, status, available, held, debt, lifetime_earned, "
                  "lifetime_redeemed, " AL_SQL_RFC3339(
                      "created_at") ", "
                                    "IFNULL(" AL_SQL_RFC3339(
                                        "last_activity_at") ", ''), tier "
                                                            "FROM members WHERE tenant_id = ? AND "
                                                            "member_id = ?",
                  p, 2, &res, &row);
    memset(out, 0, sizeof(*out));
    *found = false;
    if (st == AL_DB_OK && row != NULL) {
        snprintf(out->id, sizeof(out->id), "%s", id);
        out->profile = strdup(row[0]);
        snprintf(out->status, sizeof(out->status), "%s", row[1]);
        out->available = atoll(row[2]);
        out->held = atoll(row[3]);
        out->debt = atoll(row[4]);
        out->lifetime_earned = atoll(row[5]);
        out->lifetime_redeemed = atoll(row[6]);
        snprintf(out->created_at, sizeof(out->created_at), "%s", row[7]);
        snprintf(out->last_activity_at, sizeof(out->last_activity_at), "%s", row[8]);
        snprintf(out->tier, sizeof(out->tier), "%s", row[9]);
        *found = out->profile != NULL;
        if (!*found)
            st = AL_DB_ERROR;
    }
    al_db_free_result(res);
    return st;
}

static int summary_of(MYSQL_ROW row, void *element)
{
    al_member_summary *m = element;
    snprintf(m->id, sizeof(m->id), "%s", row[0]);
    snprintf(m->status, sizeof(m->status), "%s", row[1]);
    snprintf(m->tier, sizeof(m->tier), "%s", row[2]);
    m->available = atoll(row[3]);
    m->held = atoll(row[4]);
    m->lifetime_earned = atoll(row[5]);
    snprintf(m->created_at, sizeof(m->created_at), "%s", row[6]);
    snprintf(m->last_activity_at, sizeof(m->last_activity_at), "%s", row[7]);
    return 0;
}

/* A prefix is the range [prefix, prefix DEL): every id character sorts below DEL. */
/* clang-format off */
#define MEMBERS_PAGE_SQL                                                                   \
    "SELECT member_id, status, tier, available, held, lifetime_earned, "                   \
    AL_SQL_RFC3339("created_at") ", "                                                      \
    "IFNULL(" AL_SQL_RFC3339("last_activity_at") ", '') "                                  \
    "FROM members WHERE tenant_id = ? AND member_id > ? "                                  \
    "AND member_id >= ? AND (? = '' OR member_id < CONCAT(?, CHAR(127))) "                 \
    "AND (? = '' OR status = ?) AND (? = '' OR tier = ?) "                                 \
    "ORDER BY member_id LIMIT ?"
/* clang-format on */

al_db_status al_members_page(al_db *db, const char *tenant, const al_member_filter *f,
                             const char *after, int64_t limit, al_member_summary **out, size_t *n)
{
    const char *prefix = f->prefix ? f->prefix : "";
    const char *status = f->blocked < 0 ? "" : f->blocked ? "blocked" : "active";
    const char *tier = f->tier ? f->tier : "";
    al_db_param p[] = {AL_STR(tenant), AL_STR(after),  AL_STR(prefix), AL_STR(prefix),
                       AL_STR(prefix), AL_STR(status), AL_STR(status), AL_STR(tier),
                       AL_STR(tier),   AL_INT(limit)};
    void *list = NULL;
    al_db_status st = al_db_list(db, MEMBERS_PAGE_SQL, p, 10, sizeof(**out), summary_of, &list, n);
    *out = list;
    return st;
}

json_t *al_member_summary_json(const al_member_summary *m, const char *stage)
{
    return json_pack("{s:s,s:s,s:s,s:s*,s:I,s:I,s:I,s:s,s:s?}", "id", m->id, "status", m->status,
                     "tier", m->tier, "lifecycle_stage", stage, "available",
                     (json_int_t)m->available, "held", (json_int_t)m->held, "lifetime_earned",
                     (json_int_t)m->lifetime_earned, "created_at", m->created_at,
                     "last_activity_at", m->last_activity_at[0] ? m->last_activity_at : NULL);
}

al_db_status al_member_balance(al_db *db, const char *tenant, const char *id, int64_t *available,
                               int64_t *held, bool *found)
{
    al_db_param p[] = {AL_STR(tenant), AL_STR(id)};
    MYSQL_RES *res = NULL;
    MYSQL_ROW row;
    al_db_status st =
        al_db_row(db, "SELECT available, held FROM members WHERE tenant_id = ? AND member_id = ?",
                  p, 2, &res, &row);
    *found = st == AL_DB_OK && row != NULL;
    if (*found) {
        *available = atoll(row[0]);
        *held = atoll(row[1]);
    }
    al_db_free_result(res);
    return st;
}

al_db_status al_member_tier_of(al_db *db, const char *tenant, const char *id,
                               char tier[AL_TIER_NAME_MAX])
{
    al_db_param p[] = {AL_STR(tenant), AL_STR(id)};
    MYSQL_RES *res = NULL;
    MYSQL_ROW row;
    tier[0] = '\0';
    al_db_status st = al_db_row(
        db, "SELECT tier FROM members WHERE tenant_id = ? AND member_id = ?", p, 2, &res, &row);
    if (st == AL_DB_OK && row != NULL)
        snprintf(tier, AL_TIER_NAME_MAX, "%s", row[0]);
    al_db_free_result(res);
    return st;
}

al_db_status al_member_qualifying_points(al_db *db, const char *tenant, const char *id,
                                         int window_months, int64_t *points)
{
    bool found = false;
    al_db_param p[] = {AL_STR(tenant), AL_STR(id), AL_INT(window_months)};
    return al_db_int(db,
                     "SELECT IFNULL(SUM(qualifying_points), 0) FROM transactions "
                     "WHERE tenant_id = ? AND member_id = ? "
                     "AND occurred_at >= NOW(6) - INTERVAL ? MONTH",
                     p, 3, points, &found);
}

al_db_status al_member_next_expiries(al_db *db, const char *tenant, const char *id,
                                     al_expiry out[AL_NEXT_EXPIRIES], size_t *n)
{
    al_db_param p[] = {AL_STR(tenant), AL_STR(id)};
    MYSQL_RES *res = NULL;
    *n = 0;
    al_db_status st =
        al_db_exec(db,
                   "SELECT SUM(remaining), " AL_SQL_RFC3339(
                       "expires_at") " FROM lots "
                                     "WHERE tenant_id = ? AND member_id = ? AND remaining > 0 "
                                     "GROUP BY expires_at ORDER BY expires_at LIMIT 3",
                   p, 2, &res);
    if (st != AL_DB_OK)
        return st;
    MYSQL_ROW row;
    while (st == AL_DB_OK && *n < AL_NEXT_EXPIRIES && (row = mysql_fetch_row(res)) != NULL) {
        if (!al_db_i64(row[0], &out[*n].points))
            st = AL_DB_RANGE;
        snprintf(out[*n].expires_at, sizeof(out[*n].expires_at), "%s", row[1]);
        (*n)++;
    }
    mysql_free_result(res);
    return st;
}

static int activity_of(MYSQL_ROW row, void *element)
{
    al_partner_activity *a = element;
    snprintf(a->partner, sizeof(a->partner), "%s", row[0]);
    snprintf(a->last_activity_at, sizeof(a->last_activity_at), "%s", row[6]);
    return al_db_i64(row[1], &a->transactions) && al_db_i64(row[2], &a->points_earned) &&
                   al_db_i64(row[3], &a->redemptions) && al_db_i64(row[4], &a->points_redeemed) &&
                   al_db_i64(row[5], &a->points_reversed)
               ? 0
               : AL_DB_RANGE;
}

al_db_status al_member_partner_activity(al_db *db, const char *tenant, const char *id,
                                        al_partner_activity **out, size_t *n)
{
    al_db_param p[] = {AL_STR(tenant), AL_STR(id)};
    void *list = NULL;
    al_db_status st = al_db_list(
        db,
        "SELECT b.partner_id, SUM(b.kind IN ('earn', 'import')), "
        "SUM(IF(b.kind IN ('earn', 'import'), b.points, 0)), "
        "SUM(b.kind = 'redeem'), SUM(IF(b.kind = 'redeem', b.points, 0)), "
        "SUM(IF(b.kind = 'reversal', b.points, 0)), " AL_SQL_RFC3339(
            "MAX(IFNULL(t.occurred_at, b.booked_at))") " "
                                                       "FROM bookings b " OCCURRED_JOIN
                                                       " WHERE b.tenant_id = ? AND b.member_id = ? "
                                                       "AND b.partner_id IS NOT NULL GROUP BY "
                                                       "b.partner_id ORDER BY b.partner_id",
        p, 2, sizeof(**out), activity_of, &list, n);
    *out = list;
    return st;
}

al_db_status al_member_tier_history(al_db *db, const char *tenant, const char *id,
                                    al_tier_change out[AL_TIER_HISTORY], size_t *n)
{
    al_db_param p[] = {AL_STR(tenant), AL_STR(id)};
    MYSQL_RES *res = NULL;
    *n = 0;
    al_db_status st =
        al_db_exec(db,
                   "SELECT " AL_SQL_RFC3339("changed_at") ", from_tier, to_tier, reason, "
                                                          "rules_version FROM tier_history "
                                                          "WHERE tenant_id = ? AND member_id = ? "
                                                          "ORDER BY changed_at DESC LIMIT 20",
                   p, 2, &res);
    if (st != AL_DB_OK)
        return st;
    MYSQL_ROW row;
    while (*n < AL_TIER_HISTORY && (row = mysql_fetch_row(res)) != NULL) {
        al_tier_change *c = &out[(*n)++];
        snprintf(c->at, sizeof(c->at), "%s", row[0]);
        snprintf(c->from, sizeof(c->from), "%s", row[1]);
        snprintf(c->to, sizeof(c->to), "%s", row[2]);
        snprintf(c->reason, sizeof(c->reason), "%s", row[3]);
        c->rules_version = atoi(row[4]);
    }
    mysql_free_result(res);
    return AL_DB_OK;
}

static int entry_of(MYSQL_ROW row, void *element)
{
    al_history_entry *e = element;
    e->id = atoll(row[0]);
    snprintf(e->kind, sizeof(e->kind), "%s", row[1]);
    e->points = atoll(row[2]);
    snprintf(e->partner, sizeof(e->partner), "%s", row[3]);
    snprintf(e->ref, sizeof(e->ref), "%s", row[4]);
    snprintf(e->booked_at, sizeof(e->booked_at), "%s", row[5]);
    snprintf(e->occurred_at, sizeof(e->occurred_at), "%s", row[7]);
    if (row[6] != NULL && row[6][0] != '\0' && (e->detail = strdup(row[6])) == NULL)
        return -1;
    return 0;
}

al_db_status al_member_history(al_db *db, const char *tenant, const char *id, int64_t cursor,
                               int64_t limit, al_history_entry **out, size_t *n)
{
    char account[AL_ACCOUNT_MAX];
    al_member_account(account, id);
    al_db_param p[] = {AL_STR(account), AL_STR(tenant), AL_STR(id),
                       AL_INT(cursor),  AL_INT(cursor), AL_INT(limit)};
    void *list = NULL;
    al_db_status st = al_db_list(
        db,
        "SELECT b.booking_id, b.kind, IF(b.to_account = ?, b.points, -b.points), "
        "IFNULL(b.partner_id, ''), IFNULL(b.ref_id, ''), " AL_SQL_RFC3339(
            "b.booked_at") ", "
                           "b.detail, IFNULL(" AL_SQL_RFC3339(
                               "t.occurred_at") ", '') "
                                                "FROM bookings b " OCCURRED_JOIN " "
                                                "WHERE b.tenant_id = ? AND b.member_id = ? "
                                                "AND (? = 0 OR b.booking_id < ?) "
                                                "ORDER BY b.booking_id DESC LIMIT ?",
        p, 6, sizeof(**out), entry_of, &list, n);
    *out = list;
    return st;
}

void al_history_free(al_history_entry *entries, size_t n)
{
    for (size_t i = 0; entries != NULL && i < n; i++)
        free(entries[i].detail);
    free(entries);
}

al_db_status al_member_set_blocked(al_db *db, const char *tenant, const char *id, bool blocked,
                                   bool *found)
{
    al_db_param p[] = {AL_STR(blocked ? "blocked" : "active"), AL_STR(tenant), AL_STR(id)};
    al_db_status st = al_db_exec(
        db, "UPDATE members SET status = ? WHERE tenant_id = ? AND member_id = ?", p, 3, NULL);
    *found = st == AL_DB_OK && al_db_affected(db) > 0;
    int64_t n = 0;
    bool any = false;
    if (st == AL_DB_OK && !*found) /* no row changed: already so, or none */
        st = al_db_int(db, "SELECT COUNT(*) FROM members WHERE tenant_id = ? AND member_id = ?",
                       p + 1, 2, &n, &any);
    *found = *found || n > 0;
    return st;
}
