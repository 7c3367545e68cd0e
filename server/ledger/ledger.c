/* Ledger operations; see ledger.h and docs/ledger.md. */
#include "ledger/ledger.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/ids.h"
#include "core/rounding.h"
#include "ledger/events.h"
#include "ledger/member_row.h"
#include "ledger/members.h"
#include "webhooks/outbox.h"

bool al_refuse(al_outcome *o, al_result result, const char *code, const char *fmt, ...)
{
    va_list ap;
    o->result = result;
    snprintf(o->code, sizeof(o->code), "%s", code);
    va_start(ap, fmt);
    vsnprintf(o->message, sizeof(o->message), fmt, ap);
    va_end(ap);
    return false;
}

bool al_db_failed(al_outcome *o, al_db_status st)
{
    o->db = st == AL_DB_OK ? AL_DB_ERROR : st;
    return false;
}

al_db_status al_ledger_begin(al_db *db)
{
    return al_db_exec(db, "START TRANSACTION", NULL, 0, NULL);
}

al_db_status al_ledger_commit(al_db *db)
{
    return al_db_exec(db, "COMMIT", NULL, 0, NULL);
}

void al_ledger_rollback(al_db *db)
{
    if (db->conn != NULL)
        al_db_exec(db, "ROLLBACK", NULL, 0, NULL);
}

/* Adds delta to the balances of a and b (a's delta is -points, b's +points). */
static al_db_status move_balances(al_db *db, const char *tenant, const char *from, const char *to,
                                  int64_t points, const char *member)
{
    /* Rows in account order, so concurrent bookings lock them in one order. */
    bool from_first = strcmp(from, to) < 0;
    const char *first = from_first ? from : to, *second = from_first ? to : from;
    al_db_param a[] = {AL_STR(tenant),
                       AL_STR(first),
                       AL_INT(al_shard_of(first, member, db->lane)),
                       AL_INT(from_first ? -points : points),
                       AL_STR(tenant),
                       AL_STR(second),
                       AL_INT(al_shard_of(second, member, db->lane)),
                       AL_INT(from_first ? points : -points)};
    return al_db_exec(db,
                      "INSERT INTO account_balances (tenant_id, account, shard, balance) "
                      "VALUES (?, ?, ?, ?), (?, ?, ?, ?) "
                      "ON DUPLICATE KEY UPDATE balance = balance + VALUES(balance)",
                      a, 8, NULL);
}

/*
 * One booking: points from one account to another, both balances updated.
 * origin (0: none) is the booking whose price settlement gives this one: a
 * reversal's earning.
 */
static al_db_status book_priced(al_db *db, const char *tenant, const char *kind, const char *from,
                                const char *to, int64_t points, const char *member,
                                const char *partner, const char *ref, const char *detail,
                                uint64_t origin, uint64_t *booking_id)
{
    al_db_param b[] = {AL_STR(tenant),
                       AL_STR(kind),
                       AL_STR(from),
                       AL_STR(to),
                       AL_INT(points),
                       AL_STR(member),
                       AL_STR_OR_NULL(partner),
                       AL_STR_OR_NULL(ref),
                       origin ? AL_INT((int64_t)origin) : AL_NULL,
                       AL_STR_OR_NULL(detail)};
    al_db_status st =
        al_db_exec(db,
                   "INSERT INTO bookings (tenant_id, kind, from_account, to_account, "
                   "points, member_id, partner_id, ref_id, origin_booking_id, detail) "
                   "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                   b, 10, NULL);
    if (st != AL_DB_OK)
        return st;
    *booking_id = al_db_insert_id(db);
    if (points == 0)
        return AL_DB_OK;
    return move_balances(db, tenant, from, to, points, member);
}

static al_db_status book(al_db *db, const char *tenant, const char *kind, const char *from,
                         const char *to, int64_t points, const char *member, const char *partner,
                         const char *ref, const char *detail, uint64_t *booking_id)
{
    return book_priced(db, tenant, kind, from, to, points, member, partner, ref, detail, 0,
                       booking_id);
}

static al_db_status member_lock(al_db *db, const char *tenant, const char *member, al_member_row *m)
{
    al_db_param p[] = {AL_STR(tenant), AL_STR(member)};
    MYSQL_RES *res = NULL;
    al_db_status st = al_db_exec(db,
                                 "SELECT " AL_SQL_MEMBER_LOCKED
                                 " FROM members WHERE tenant_id = ? AND member_id = ? FOR UPDATE",
                                 p, 2, &res);
    if (st != AL_DB_OK)
        return st;
    MYSQL_ROW row = mysql_fetch_row(res);
    memset(m, 0, sizeof(*m));
    if (row != NULL)
        al_member_row_read(row, m);
    mysql_free_result(res);
    return AL_DB_OK;
}

/*
 * Takes points out of the member's lots: the lot `prefer` first (0: none),
 * then those that expire first. Records each take as provenance of the
 * booking. What no lot covers is returned in *uncovered.
 */
static al_db_status consume_lots(al_db *db, const char *tenant, const char *member, int64_t points,
                                 uint64_t booking_id, const char *redeemer, uint64_t prefer,
                                 int64_t *uncovered)
{
    *uncovered = points;
    if (points == 0)
        return AL_DB_OK;
    al_db_param p[] = {AL_STR(tenant), AL_STR(member), AL_INT((int64_t)prefer)};
    MYSQL_RES *res = NULL;
    al_db_status st = al_db_exec(db,
                                 "SELECT lot_id, partner_id, remaining FROM lots "
                                 "WHERE tenant_id = ? AND member_id = ? AND remaining > 0 "
                                 "ORDER BY lot_id = ? DESC, expires_at, lot_id FOR UPDATE",
                                 p, 3, &res);
    if (st != AL_DB_OK)
        return st;
    MYSQL_ROW row;
    while (*uncovered > 0 && st == AL_DB_OK && (row = mysql_fetch_row(res)) != NULL) {
        int64_t lot = strtoll(row[0], NULL, 10), remaining = strtoll(row[2], NULL, 10);
        int64_t take = remaining < *uncovered ? remaining : *uncovered;
        al_db_param u[] = {AL_INT(take), AL_INT(lot)};
        st = al_db_exec(db, "UPDATE lots SET remaining = remaining - ? WHERE lot_id = ?", u, 2,
                        NULL);
        al_db_param c[] = {AL_STR(tenant), AL_INT((int64_t)booking_id), AL_INT(lot),
                           AL_STR(row[1]), AL_STR_OR_NULL(redeemer),    AL_INT(take)};
        if (st == AL_DB_OK)
            st = al_db_exec(db,
                            "INSERT INTO lot_consumptions (tenant_id, booking_id, lot_id, "
                            "issuer_partner, redeemer_partner, points) VALUES (?, ?, ?, ?, ?, ?)",
                            c, 6, NULL);
        *uncovered -= take;
    }
    mysql_free_result(res);
    return st;
}

/*
 * Decides and records a member's tier: the level the qualifying points of the
 * last window reach, up at once, down by the rules' policy, never under an
 * admin's floor (al_rules_decide_tier); a change gets a history line.
 */
static al_db_status review_tier(al_db *db, const char *tenant, const char *member,
                                const al_rules *r, const al_member_row *m, size_t *now_tier)
{
    size_t held = al_rules_tier_index(r, m->tier);
    *now_tier = held;
    int64_t qualifying = 0;
    al_db_status st =
        al_member_qualifying_points(db, tenant, member, r->window_months, &qualifying);
    if (st != AL_DB_OK)
        return st;
    al_tier_state s = {.held = held,
                       .qualifies = al_rules_tier_for(r, qualifying),
                       .now = (int64_t)time(NULL),
                       .tier_since = m->tier_since,
                       .below_since = m->below_since,
                       .floor = m->floor[0] ? al_rules_tier_index(r, m->floor) : 0,
                       .floor_until = m->floor_until};
    al_tier_decision d = al_rules_decide_tier(r, &s);
    *now_tier = d.tier;
    al_db_param b[] = {AL_INT(d.below_since), AL_INT(d.below_since), AL_STR(tenant),
                       AL_STR(member)};
    if (d.reason == NULL)
        return d.below_since == m->below_since
                   ? AL_DB_OK
                   : al_db_exec(db,
                                "UPDATE members SET below_since = IF(? = 0, NULL, "
                                "'1970-01-01' + INTERVAL ? SECOND) "
                                "WHERE tenant_id = ? AND member_id = ?",
                                b, 4, NULL);
    al_db_param u[] = {AL_STR(r->tiers[d.tier].name), AL_STR(tenant), AL_STR(member)};
    st = al_db_exec(db,
                    "UPDATE members SET tier = ?, tier_since = NOW(6), below_since = NULL "
                    "WHERE tenant_id = ? AND member_id = ?",
                    u, 3, NULL);
    al_db_param h[] = {AL_STR(tenant),
                       AL_STR(member),
                       AL_STR(r->tiers[held].name),
                       AL_STR(r->tiers[d.tier].name),
                       AL_STR(d.reason),
                       AL_INT(r->version)};
    if (st == AL_DB_OK)
        st = al_db_exec(db,
                        "INSERT INTO tier_history (tenant_id, member_id, from_tier, to_tier, "
                        "reason, rules_version) VALUES (?, ?, ?, ?, ?, ?)",
                        h, 6, NULL);
    if (st == AL_DB_OK)
        st = al_outbox_add(
            db, tenant, AL_EVENT_TIER_CHANGED, member,
            al_event_tier(member, r->tiers[held].name, r->tiers[d.tier].name, d.reason));
    return st;
}

/*
 * Credits points a booking gave the member: they first pay off a debt left by
 * a reversal, the rest forms a lot of issuer's expiring at the end of the
 * expiry_months-th month (*lot: its id, 0 for no points).
 */
static al_db_status credit_member(al_db *db, const char *tenant, const char *member,
                                  const char *issuer, uint64_t booking, int64_t points,
                                  int64_t debt, int expiry_months, uint64_t *lot)
{
    int64_t repay = points < debt ? points : debt;
    al_db_status st = AL_DB_OK;
    *lot = 0;
    if (points > 0) {
        al_db_param p[] = {AL_STR(tenant),           AL_STR(member), AL_STR(issuer),
                           AL_INT((int64_t)booking), AL_INT(points), AL_INT(points - repay),
                           AL_INT(expiry_months)};
        st = al_db_exec(db,
                        "INSERT INTO lots (tenant_id, member_id, partner_id, booking_id, points, "
                        "remaining, earned_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, "
                        "NOW(6), " AL_SQL_EXPIRES_AT("NOW(6)") ")",
                        p, 7, NULL);
        *lot = al_db_insert_id(db);
    }
    al_db_param u[] = {AL_INT(points), AL_INT(repay), AL_INT(points), AL_STR(tenant),
                       AL_STR(member)};
    if (st == AL_DB_OK)
        st = al_db_exec(db,
                        "UPDATE members SET available = available + ?, debt = debt - ?, "
                        "lifetime_earned = lifetime_earned + ?, last_activity_at = NOW(6) "
                        "WHERE tenant_id = ? AND member_id = ?",
                        u, 5, NULL);
    return st;
}

/* Locks the member who earns, enrolling an unknown one when the tenant does. */
static bool member_for_earning(al_db *db, const char *tenant, const char *member, bool auto_enrol,
                               al_member_row *m, al_outcome *o)
{
    al_db_status st = member_lock(db, tenant, member, m);
    if (st == AL_DB_OK && !m->found) {
        if (!auto_enrol)
            return al_refuse(o, AL_REFUSED, "unknown_member", "member %s is not enrolled", member);
        al_db_param p[] = {AL_STR(tenant), AL_STR(member)};
        st = al_db_exec(db,
                        "INSERT IGNORE INTO members (tenant_id, member_id, profile) "
                        "VALUES (?, ?, '{}')",
                        p, 2, NULL);
        if (st == AL_DB_OK)
            st = member_lock(db, tenant, member, m);
    }
    if (st != AL_DB_OK)
        return al_db_failed(o, st);
    if (m->blocked)
        return al_refuse(o, AL_REFUSED, "member_blocked", "member %s is blocked", member);
    return true;
}

bool al_earn_line(json_t *detail, const char *category, const char *name, int64_t extra,
                  int64_t *points)
{
    if (extra <= 0)
        return true;
    if (__builtin_add_overflow(*points, extra, points))
        return false;
    json_array_append_new(json_object_get(detail, "lines"),
                          json_pack("{s:s+,s:I,s:b}", "category", category, name, "points",
                                    (json_int_t)extra, "qualifying", 0));
    return true;
}

/*
 * A per-member, per-period count: what a capped promotion has given
 * (promotion_usage.points) or how often an event was rewarded
 * (event_awards.awards). The row is made at 0 when missing and locked, so
 * concurrent bookings, on any server, count one after the other.
 */
typedef struct {
    const char *table, *column, *key_column;
} period_count;

static const period_count promotion_usage = {"promotion_usage", "points", "promotion_id"};
static const period_count event_awards = {"event_awards", "awards", "event"};

static al_db_status count_lock(al_db *db, const period_count *pc, const char *tenant,
                               const char *key, const char *member, const char *period,
                               int64_t *value)
{
    char sql[256];
    bool found = false;
    al_db_param k[] = {AL_STR(tenant), AL_STR(key), AL_STR(member), AL_STR(period)};
    /* The names are the constants above, never input. */
    snprintf(sql, sizeof(sql),
             "INSERT IGNORE INTO %s (tenant_id, %s, member_id, period_key) VALUES (?, ?, ?, ?)",
             pc->table, pc->key_column);
    al_db_status st = al_db_exec(db, sql, k, 4, NULL);
    snprintf(sql, sizeof(sql),
             "SELECT %s FROM %s WHERE tenant_id = ? AND %s = ? AND member_id = ? AND "
             "period_key = ? FOR UPDATE",
             pc->column, pc->table, pc->key_column);
    if (st == AL_DB_OK)
        st = al_db_int(db, sql, k, 4, value, &found);
    return st;
}

static al_db_status count_add(al_db *db, const period_count *pc, const char *tenant,
                              const char *key, const char *member, const char *period, int64_t add)
{
    char sql[256];
    al_db_param u[] = {AL_INT(add), AL_STR(tenant), AL_STR(key), AL_STR(member), AL_STR(period)};
    snprintf(sql, sizeof(sql),
             "UPDATE %s SET %s = %s + ? WHERE tenant_id = ? AND %s = ? AND member_id = ? AND "
             "period_key = ?",
             pc->table, pc->column, pc->column, pc->key_column);
    return al_db_exec(db, sql, u, 5, NULL);
}

/* What a capped promotion may still give this member in this period; it takes it. */
static al_db_status capped(al_db *db, const al_earn *e, const al_promo *p, int64_t *award)
{
    char period[16];
    int64_t used = 0;
    al_period_key(p->cap_period, e->when + e->utc_offset, period);
    al_db_status st = count_lock(db, &promotion_usage, e->tenant, p->id, e->member, period, &used);
    if (st != AL_DB_OK)
        return st;
    int64_t left = p->cap_points > used ? p->cap_points - used : 0;
    if (*award > left)
        *award = left;
    return *award == 0
               ? AL_DB_OK
               : count_add(db, &promotion_usage, e->tenant, p->id, e->member, period, *award);
}

/*
 * The tier's bonus, the promotions (within their caps) and the cross-partner
 * bonus, as lines of detail added to *points. Stacking is additive: each
 * counts on the plugin's points. *points < 0 with AL_DB_ERROR: an overflow.
 */
static al_db_status extras(al_db *db, const al_earn *e, size_t tier, json_t *detail,
                           int64_t *points)
{
    const al_rules *r = e->rules;
    const al_tier *t = &r->tiers[tier];
    if (!al_earn_line(detail, "tier:", t->name, al_rules_tier_bonus(t, e->points), points))
        goto overflow;
    al_award awards[AL_PROMOS_MAX];
    size_t n = al_rules_promotions(r, e->partner, e->lines, e->nlines, tier, e->when, e->utc_offset,
                                   awards, AL_PROMOS_MAX);
    for (size_t i = 0; i < n; i++) {
        al_db_status st = awards[i].promo->cap_points
                              ? capped(db, e, awards[i].promo, &awards[i].points)
                              : AL_DB_OK;
        if (st != AL_DB_OK)
            return st;
        if (!al_earn_line(detail, "promo:", awards[i].promo->id, awards[i].points, points))
            goto overflow;
    }
    if (r->cross_partner_points > 0) {
        /* A member who has bought elsewhere, here for the first time. */
        int64_t elsewhere = 0, here = 0;
        bool found = false;
        al_db_param p[] = {AL_STR(e->partner), AL_STR(e->tenant), AL_STR(e->member)};
        al_db_status st = al_db_int(db,
                                    "SELECT COUNT(*) - SUM(partner_id = ?) FROM transactions "
                                    "WHERE tenant_id = ? AND member_id = ?",
                                    p, 3, &elsewhere, &found);
        al_db_param q[] = {AL_STR(e->tenant), AL_STR(e->member), AL_STR(e->partner)};
        if (st == AL_DB_OK)
            st = al_db_int(db,
                           "SELECT COUNT(*) FROM transactions WHERE tenant_id = ? AND "
                           "member_id = ? AND partner_id = ?",
                           q, 3, &here, &found);
        if (st != AL_DB_OK)
            return st;
        if (elsewhere > 0 && here == 0 &&
            !al_earn_line(detail, "cross_partner:", e->partner, r->cross_partner_points, points))
            goto overflow;
    }
    return AL_DB_OK;
overflow:
    *points = -1;
    return AL_DB_ERROR;
}

bool al_ledger_earn(al_db *db, const al_earn *e, al_outcome *o)
{
    al_member_row m;
    if (!member_for_earning(db, e->tenant, e->member, e->auto_enrol, &m, o))
        return false;

    /* Everything beyond the plugin's points, each a line of its own. */
    size_t tier = al_rules_tier_index(e->rules, m.tier);
    json_t *detail = json_deep_copy(e->translation);
    int64_t points = e->points;
    al_db_status st = extras(db, e, tier, detail, &points);
    if (st != AL_DB_OK) {
        json_decref(detail);
        return st == AL_DB_ERROR && points < 0
                   ? al_refuse(o, AL_REFUSED, "points_overflow", "the points do not fit in 64 bits")
                   : al_db_failed(o, st);
    }
    int64_t balance;
    if (__builtin_add_overflow(m.available, points, &balance) ||
        __builtin_add_overflow(balance, m.held, &balance)) {
        json_decref(detail);
        return al_refuse(o, AL_REFUSED, "balance_overflow", "the balance would pass 2^63-1 points");
    }
    balance -= m.held;
    json_object_set_new(detail, "points", json_integer(points));
    json_object_set_new(detail, "tier", json_string(e->rules->tiers[tier].name));
    json_object_set_new(detail, "rules_version", json_integer(e->rules->version));
    char *detail_text = json_dumps(detail, JSON_COMPACT | JSON_PRESERVE_ORDER);
    json_t *breakdown = e->explain ? detail : NULL;
    if (!e->explain)
        json_decref(detail);
    if (detail_text == NULL) {
        json_decref(breakdown);
        return al_db_failed(o, AL_DB_ERROR);
    }

    char from[AL_ACCOUNT_MAX], to[AL_ACCOUNT_MAX];
    al_partner_account(from, e->partner, "issued");
    al_member_account(to, e->member);
    uint64_t booking = 0, lot = 0;
    st = book(db, e->tenant, "earn", from, to, points, e->member, e->partner, e->transaction_id,
              detail_text, &booking);
    free(detail_text);
    if (st == AL_DB_OK)
        st = credit_member(db, e->tenant, e->member, e->partner, booking, points, m.debt,
                           e->expiry_months, &lot);
    if (st == AL_DB_OK) {
        al_db_param p[] = {AL_STR(e->tenant),
                           AL_STR(e->partner),
                           AL_STR(e->transaction_id),
                           AL_STR(e->member),
                           AL_INT((int64_t)booking),
                           lot ? AL_INT((int64_t)lot) : AL_NULL,
                           AL_INT(points),
                           AL_INT(e->base_amount_minor),
                           AL_STR(e->currency),
                           AL_STR(e->occurred_at),
                           AL_INT(e->qualifying_points)};
        st = al_db_exec(db,
                        "INSERT INTO transactions (tenant_id, partner_id, transaction_id, "
                        "member_id, booking_id, lot_id, points, base_amount_minor, currency, "
                        "occurred_at, qualifying_points) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                        p, 11, NULL);
    }
    if (st == AL_DB_OK) /* booked at the tier it had; a move follows as its own event */
        st = al_outbox_add(db, e->tenant, AL_EVENT_TRANSACTION_EARNED, e->member,
                           al_event_earned(e, points, balance, e->rules->tiers[tier].name));
    size_t reached = tier;
    if (st == AL_DB_OK)
        st = review_tier(db, e->tenant, e->member, e->rules, &m, &reached);
    if (st != AL_DB_OK) {
        json_decref(breakdown);
        return al_db_failed(o, st);
    }
    o->result = AL_CREATED;
    o->reply = json_pack("{s:s,s:s,s:I,s:I,s:s}", "id", e->transaction_id, "member", e->member,
                         "points", (json_int_t)points, "balance", (json_int_t)balance, "tier",
                         e->rules->tiers[reached].name);
    if (breakdown != NULL)
        json_object_set_new(o->reply, "breakdown", breakdown);
    return true;
}

bool al_ledger_dry_run(al_db *db, const al_earn *e, al_outcome *o)
{
    bool ok = false;
    for (int attempt = 0; attempt < 3; attempt++) {
        json_decref(o->reply);
        memset(o, 0, sizeof(*o));
        al_db_status st = al_ledger_begin(db);
        if (st != AL_DB_OK)
            return al_db_failed(o, st);
        ok = al_ledger_earn(db, e, o);
        al_ledger_rollback(db); /* a dry run: nothing stays */
        if (ok || o->db != AL_DB_RETRY)
            break;
    }
    return ok;
}

bool al_ledger_reverse(al_db *db, const char *tenant, const char *partner,
                       const char *transaction_id, const char *reversal_id, int64_t amount_minor,
                       al_outcome *o)
{
    al_db_param p[] = {AL_STR(tenant), AL_STR(partner), AL_STR(transaction_id)};
    MYSQL_RES *res = NULL;
    al_db_status st = al_db_exec(db,
                                 "SELECT member_id, points, base_amount_minor, reversed_minor, "
                                 "reversed_points, IFNULL(lot_id, 0), booking_id FROM transactions "
                                 "WHERE tenant_id = ? AND partner_id = ? AND transaction_id = ? "
                                 "FOR UPDATE",
                                 p, 3, &res);
    if (st != AL_DB_OK)
        return al_db_failed(o, st);
    MYSQL_ROW row = mysql_fetch_row(res);
    if (row == NULL) {
        mysql_free_result(res);
        return al_refuse(o, AL_NOT_FOUND, "transaction_not_found",
                         "no transaction %s of this partner", transaction_id);
    }
    char member[80];
    snprintf(member, sizeof(member), "%s", row[0]);
    int64_t points = strtoll(row[1], NULL, 10), base = strtoll(row[2], NULL, 10);
    int64_t done_minor = strtoll(row[3], NULL, 10), done_points = strtoll(row[4], NULL, 10);
    uint64_t lot = strtoull(row[5], NULL, 10), earning = strtoull(row[6], NULL, 10);
    mysql_free_result(res);

    int64_t left = base - done_minor;
    if (amount_minor < 0)
        amount_minor = left;
    if (done_points == points && left == 0)
        return al_refuse(o, AL_REFUSED, "already_refunded", "transaction %s is refunded in full",
                         transaction_id);
    if (amount_minor > left)
        return al_refuse(o, AL_REFUSED, "refund_exceeds_amount",
                         "refunds would pass the transaction's amount: %lld left", (long long)left);
    /*
     * Cumulative rounding: after refunds totalling R, points x R / base
     * (half up) have been taken back in all, so partial refunds add up and a
     * full refund takes back exactly what was earned.
     */
    int64_t total = base > 0 ? al_pro_rata(points, done_minor + amount_minor, base) : points;
    int64_t back = total - done_points;

    al_member_row m;
    if ((st = member_lock(db, tenant, member, &m)) != AL_DB_OK)
        return al_db_failed(o, st);
    char from[AL_ACCOUNT_MAX], to[AL_ACCOUNT_MAX], detail[128];
    al_member_account(from, member);
    al_partner_account(to, partner, "issued");
    snprintf(detail, sizeof(detail), "{\"transaction\":\"%s\",\"amount_minor\":%lld}",
             transaction_id, (long long)amount_minor);
    uint64_t booking = 0;
    int64_t uncovered = 0;
    /* Credited at the price the earning was billed at (settlement reads its time). */
    st = book_priced(db, tenant, "reversal", from, to, back, member, partner, reversal_id, detail,
                     earning, &booking);
    if (st == AL_DB_OK)
        st = consume_lots(db, tenant, member, back, booking, NULL, lot, &uncovered);
    if (st == AL_DB_OK) {
        /* What no lot covers becomes a debt: the balance goes negative. */
        al_db_param u[] = {AL_INT(back), AL_INT(uncovered), AL_STR(tenant), AL_STR(member)};
        st = al_db_exec(db,
                        "UPDATE members SET available = available - ?, debt = debt + ?, "
                        "last_activity_at = NOW(6) WHERE tenant_id = ? AND member_id = ?",
                        u, 4, NULL);
    }
    if (st == AL_DB_OK) {
        al_db_param u[] = {AL_INT(amount_minor), AL_INT(back), AL_STR(tenant), AL_STR(partner),
                           AL_STR(transaction_id)};
        st = al_db_exec(db,
                        "UPDATE transactions SET reversed_minor = reversed_minor + ?, "
                        "reversed_points = reversed_points + ? "
                        "WHERE tenant_id = ? AND partner_id = ? AND transaction_id = ?",
                        u, 5, NULL);
    }
    if (st == AL_DB_OK)
        st = al_outbox_add(db, tenant, AL_EVENT_TRANSACTION_REVERSED, member,
                           json_pack("{s:s,s:s,s:s,s:s,s:I,s:I,s:I}", "partner", partner,
                                     "transaction_id", transaction_id, "reversal_id", reversal_id,
                                     "member", member, "amount_minor", (json_int_t)amount_minor,
                                     "points", (json_int_t)back, "balance",
                                     (json_int_t)(m.available - back)));
    if (st != AL_DB_OK)
        return al_db_failed(o, st);
    o->result = AL_CREATED;
    o->reply = json_pack("{s:s,s:I,s:I}", "id", reversal_id, "points", (json_int_t)back, "balance",
                         (json_int_t)(m.available - back));
    return true;
}

/* Books a captured redemption of points at partner and records its provenance. */
static al_db_status book_redemption(al_db *db, const char *tenant, const char *partner,
                                    const char *member, const char *id, int64_t points,
                                    uint64_t *booking)
{
    char from[AL_ACCOUNT_MAX], to[AL_ACCOUNT_MAX];
    al_member_account(from, member);
    al_partner_account(to, partner, "redeemed");
    int64_t uncovered = 0;
    al_db_status st =
        book(db, tenant, "redeem", from, to, points, member, partner, id, NULL, booking);
    if (st == AL_DB_OK)
        st = consume_lots(db, tenant, member, points, *booking, partner, 0, &uncovered);
    if (st == AL_DB_OK && uncovered > 0) {
        /* Only after a reversal ate the lots behind a hold: no issuer to bill. */
        al_db_param p[] = {AL_STR(tenant),    AL_INT((int64_t)*booking), AL_STR(partner),
                           AL_INT(uncovered), AL_INT(uncovered),         AL_STR(tenant),
                           AL_STR(member)};
        st = al_db_exec(db,
                        "INSERT INTO lot_consumptions (tenant_id, booking_id, redeemer_partner, "
                        "points) VALUES (?, ?, ?, ?)",
                        p, 4, NULL);
        if (st == AL_DB_OK)
            st = al_db_exec(db,
                            "UPDATE members SET debt = debt + ? "
                            "WHERE tenant_id = ? AND member_id = ?",
                            p + 4, 3, NULL);
    }
    return st;
}

static json_t *redemption_reply(const char *id, const char *status, int64_t points, int64_t balance)
{
    return json_pack("{s:s,s:s,s:I,s:I}", "id", id, "status", status, "points", (json_int_t)points,
                     "balance", (json_int_t)balance);
}

bool al_ledger_redeem(al_db *db, const al_redeem *r, al_outcome *o)
{
    al_member_row m;
    al_db_status st = member_lock(db, r->tenant, r->member, &m);
    if (st != AL_DB_OK)
        return al_db_failed(o, st);
    if (!m.found)
        return al_refuse(o, AL_NOT_FOUND, "member_not_found", "no member %s", r->member);
    if (m.blocked)
        return al_refuse(o, AL_REFUSED, "member_blocked", "member %s is blocked", r->member);
    if (m.available < 0)
        return al_refuse(
            o, AL_REFUSED, "negative_balance",
            "the balance is negative (%lld) after a refund; it must be paid back first",
            (long long)m.available);
    if (m.available < r->points)
        return al_refuse(o, AL_REFUSED, "insufficient_points", "%lld points available, %lld asked",
                         (long long)m.available, (long long)r->points);
    uint64_t booking = 0;
    if (r->capture) {
        al_db_param u[] = {AL_INT(r->points), AL_INT(r->points), AL_STR(r->tenant),
                           AL_STR(r->member), AL_INT(r->points)};
        st = al_db_exec(db,
                        "UPDATE members SET available = available - ?, "
                        "lifetime_redeemed = lifetime_redeemed + ?, last_activity_at = NOW(6) "
                        "WHERE tenant_id = ? AND member_id = ? AND available >= ?",
                        u, 5, NULL);
        if (st == AL_DB_OK)
            st = book_redemption(db, r->tenant, r->partner, r->member, r->redemption_id, r->points,
                                 &booking);
    } else {
        al_db_param u[] = {AL_INT(r->points), AL_INT(r->points), AL_STR(r->tenant),
                           AL_STR(r->member), AL_INT(r->points)};
        st = al_db_exec(db,
                        "UPDATE members SET available = available - ?, held = held + ?, "
                        "last_activity_at = NOW(6) "
                        "WHERE tenant_id = ? AND member_id = ? AND available >= ?",
                        u, 5, NULL);
    }
    if (st == AL_DB_OK) {
        al_db_param p[] = {AL_STR(r->tenant),
                           AL_STR(r->partner),
                           AL_STR(r->redemption_id),
                           AL_STR(r->member),
                           AL_INT(r->points),
                           AL_INT(r->capture ? r->points : 0),
                           AL_STR(r->capture ? "captured" : "held"),
                           AL_INT(r->capture ? 0 : r->hold_seconds),
                           AL_INT(r->capture ? 0 : r->hold_seconds),
                           booking ? AL_INT((int64_t)booking) : AL_NULL};
        st = al_db_exec(db,
                        "INSERT INTO redemptions (tenant_id, partner_id, redemption_id, "
                        "member_id, points, captured_points, status, hold_expires_at, "
                        "booking_id) VALUES (?, ?, ?, ?, ?, ?, ?, "
                        "IF(? > 0, NOW(6) + INTERVAL ? SECOND, NULL), ?)",
                        p, 10, NULL);
    }
    if (st == AL_DB_OK && r->capture)
        st = al_outbox_add(db, r->tenant, AL_EVENT_REDEMPTION_CAPTURED, r->member,
                           al_event_redemption(r->partner, r->redemption_id, r->member, r->points,
                                               m.available - r->points));
    if (st != AL_DB_OK)
        return al_db_failed(o, st);
    o->result = AL_CREATED;
    o->reply = redemption_reply(r->redemption_id, r->capture ? "captured" : "held", r->points,
                                m.available - r->points);
    return true;
}

typedef struct {
    bool found, lapsed;
    char member[80], status[16];
    int64_t points, captured;
} redemption_row;

static al_db_status redemption_lock(al_db *db, const char *tenant, const char *partner,
                                    const char *id, redemption_row *r)
{
    al_db_param p[] = {AL_STR(tenant), AL_STR(partner), AL_STR(id)};
    MYSQL_RES *res = NULL;
    al_db_status st = al_db_exec(db,
                                 "SELECT member_id, points, captured_points, status, "
                                 "status = 'held' AND hold_expires_at <= NOW(6) FROM redemptions "
                                 "WHERE tenant_id = ? AND partner_id = ? AND redemption_id = ? "
                                 "FOR UPDATE",
                                 p, 3, &res);
    if (st != AL_DB_OK)
        return st;
    MYSQL_ROW row = mysql_fetch_row(res);
    memset(r, 0, sizeof(*r));
    if (row != NULL) {
        r->found = true;
        snprintf(r->member, sizeof(r->member), "%s", row[0]);
        r->points = strtoll(row[1], NULL, 10);
        r->captured = strtoll(row[2], NULL, 10);
        snprintf(r->status, sizeof(r->status), "%s", row[3]);
        r->lapsed = strcmp(row[4], "1") == 0;
    }
    mysql_free_result(res);
    return AL_DB_OK;
}

static al_db_status available_of(al_db *db, const char *tenant, const char *member,
                                 int64_t *available)
{
    al_db_param p[] = {AL_STR(tenant), AL_STR(member)};
    bool found;
    return al_db_int(db, "SELECT available FROM members WHERE tenant_id = ? AND member_id = ?", p,
                     2, available, &found);
}

/* Ends a hold: its points go back to available, less what is captured. */
static al_db_status end_hold(al_db *db, const char *tenant, const char *partner, const char *id,
                             const redemption_row *r, const char *status, int64_t captured,
                             uint64_t booking)
{
    al_db_param m[] = {AL_INT(r->points), AL_INT(r->points - captured), AL_INT(captured),
                       AL_STR(tenant), AL_STR(r->member)};
    al_db_status st = al_db_exec(db,
                                 "UPDATE members SET held = held - ?, available = available + ?, "
                                 "lifetime_redeemed = lifetime_redeemed + ? "
                                 "WHERE tenant_id = ? AND member_id = ?",
                                 m, 5, NULL);
    al_db_param u[] = {
        AL_STR(status), AL_INT(captured), booking ? AL_INT((int64_t)booking) : AL_NULL,
        AL_STR(tenant), AL_STR(partner),  AL_STR(id)};
    if (st == AL_DB_OK)
        st = al_db_exec(db,
                        "UPDATE redemptions SET status = ?, captured_points = ?, booking_id = ?, "
                        "updated_at = NOW(6) "
                        "WHERE tenant_id = ? AND partner_id = ? AND redemption_id = ?",
                        u, 6, NULL);
    int64_t available = 0;
    if (st == AL_DB_OK)
        st = available_of(db, tenant, r->member, &available);
    const char *type = strcmp(status, "captured") == 0 ? AL_EVENT_REDEMPTION_CAPTURED
                       : strcmp(status, "voided") == 0 ? AL_EVENT_REDEMPTION_VOIDED
                                                       : AL_EVENT_REDEMPTION_LAPSED;
    if (st == AL_DB_OK)
        st = al_outbox_add(db, tenant, type, r->member,
                           al_event_redemption(partner, id, r->member,
                                               captured ? captured : r->points, available));
    return st;
}

/* Settles a redemption that is not held any more (or lapses one whose time is up). */
static bool settled(al_db *db, const char *tenant, const char *partner, const char *id,
                    redemption_row *r, al_outcome *o)
{
    al_db_status st = AL_DB_OK;
    if (r->lapsed) {
        st = end_hold(db, tenant, partner, id, r, "expired", 0, 0);
        snprintf(r->status, sizeof(r->status), "expired");
    }
    int64_t available = 0;
    if (st == AL_DB_OK)
        st = available_of(db, tenant, r->member, &available);
    if (st != AL_DB_OK)
        return al_db_failed(o, st);
    o->result = AL_DONE;
    o->reply = redemption_reply(
        id, r->status, strcmp(r->status, "captured") == 0 ? r->captured : r->points, available);
    return true;
}

bool al_ledger_capture(al_db *db, const char *tenant, const char *partner, const char *id,
                       int64_t points, al_outcome *o)
{
    redemption_row r;
    al_db_status st = redemption_lock(db, tenant, partner, id, &r);
    if (st != AL_DB_OK)
        return al_db_failed(o, st);
    if (!r.found)
        return al_refuse(o, AL_NOT_FOUND, "redemption_not_found",
                         "no redemption %s of this partner", id);
    if (strcmp(r.status, "captured") == 0 && (points < 0 || points == r.captured))
        return settled(db, tenant, partner, id, &r, o); /* a repeated capture */
    if (r.lapsed || strcmp(r.status, "held") != 0) {
        bool lapsed = r.lapsed;
        if (lapsed && !settled(db, tenant, partner, id, &r, o))
            return false;
        json_decref(o->reply);
        o->reply = NULL;
        o->keep = lapsed; /* the hold's release is the system's doing: it stays */
        return al_refuse(o, AL_REFUSED, "redemption_not_held", "redemption %s is %s", id,
                         lapsed ? "expired" : r.status);
    }
    if (points < 0)
        points = r.points;
    if (points < 1 || points > r.points)
        return al_refuse(o, AL_REFUSED, "invalid_capture", "capture 1 to %lld points",
                         (long long)r.points);
    uint64_t booking = 0;
    st = book_redemption(db, tenant, partner, r.member, id, points, &booking);
    if (st == AL_DB_OK)
        st = end_hold(db, tenant, partner, id, &r, "captured", points, booking);
    r.captured = points;
    snprintf(r.status, sizeof(r.status), "captured");
    if (st != AL_DB_OK)
        return al_db_failed(o, st);
    return settled(db, tenant, partner, id, &r, o);
}

bool al_ledger_void(al_db *db, const char *tenant, const char *partner, const char *id,
                    al_outcome *o)
{
    redemption_row r;
    al_db_status st = redemption_lock(db, tenant, partner, id, &r);
    if (st != AL_DB_OK)
        return al_db_failed(o, st);
    if (!r.found)
        return al_refuse(o, AL_NOT_FOUND, "redemption_not_found",
                         "no redemption %s of this partner", id);
    if (strcmp(r.status, "captured") == 0)
        return al_refuse(o, AL_REFUSED, "already_captured", "redemption %s is captured", id);
    if (strcmp(r.status, "held") == 0 && !r.lapsed) {
        if ((st = end_hold(db, tenant, partner, id, &r, "voided", 0, 0)) != AL_DB_OK)
            return al_db_failed(o, st);
        snprintf(r.status, sizeof(r.status), "voided");
    }
    return settled(db, tenant, partner, id, &r, o);
}

al_db_status al_ledger_award(al_db *db, const char *tenant, const char *member, int64_t points,
                             const char *kind, const char *ref, const char *detail,
                             int expiry_months, uint64_t *lot)
{
    al_member_row m;
    al_db_status st = member_lock(db, tenant, member, &m);
    if (st != AL_DB_OK || !m.found)
        return st != AL_DB_OK ? st : AL_DB_ERROR;
    char from[AL_ACCOUNT_MAX], to[AL_ACCOUNT_MAX];
    snprintf(from, sizeof(from), "%s", AL_ACCOUNT_REWARDS);
    al_member_account(to, member);
    uint64_t booking = 0;
    st = book(db, tenant, kind, from, to, points, member, NULL, ref, detail, &booking);
    if (st == AL_DB_OK)
        st = credit_member(db, tenant, member, "alliance", booking, points, m.debt, expiry_months,
                           lot);
    return st;
}

al_db_status al_ledger_take_back(al_db *db, const char *tenant, const char *member, int64_t points,
                                 const char *kind, const char *ref, const char *detail,
                                 uint64_t prefer)
{
    al_member_row m;
    al_db_status st = member_lock(db, tenant, member, &m);
    if (st != AL_DB_OK || !m.found)
        return st != AL_DB_OK ? st : AL_DB_ERROR;
    char from[AL_ACCOUNT_MAX], to[AL_ACCOUNT_MAX];
    al_member_account(from, member);
    snprintf(to, sizeof(to), "%s", AL_ACCOUNT_REWARDS);
    uint64_t booking = 0;
    int64_t uncovered = 0;
    st = book(db, tenant, kind, from, to, points, member, NULL, ref, detail, &booking);
    if (st == AL_DB_OK)
        st = consume_lots(db, tenant, member, points, booking, NULL, prefer, &uncovered);
    if (st == AL_DB_OK) {
        al_db_param u[] = {AL_INT(points), AL_INT(uncovered), AL_STR(tenant), AL_STR(member)};
        st = al_db_exec(db,
                        "UPDATE members SET available = available - ?, debt = debt + ?, "
                        "last_activity_at = NOW(6) WHERE tenant_id = ? AND member_id = ?",
                        u, 4, NULL);
    }
    return st;
}

/* Holds whose time is up, a page at a time: each one ended leaves the set. */
#define LAPSE_PAGE 500

al_db_status al_ledger_lapse_holds(al_db *db, const char *tenant, bool (*stop)(void), int *count)
{
    *count = 0;
    al_db_status st = AL_DB_OK;
    for (bool more = true; more && st == AL_DB_OK && !(stop && stop());) {
        MYSQL_RES *res = NULL;
        al_db_param p[] = {AL_STR_OR_NULL(tenant), AL_STR_OR_NULL(tenant), AL_INT(LAPSE_PAGE)};
        st = al_db_exec(db,
                        "SELECT tenant_id, partner_id, redemption_id FROM redemptions "
                        "WHERE status = 'held' AND hold_expires_at <= NOW(6) "
                        "AND (? IS NULL OR tenant_id = ?) LIMIT ?",
                        p, 3, &res);
        if (st != AL_DB_OK)
            break;
        int ended = 0;
        MYSQL_ROW row;
        while (st == AL_DB_OK && !(stop && stop()) && (row = mysql_fetch_row(res)) != NULL) {
            redemption_row r;
            if ((st = al_ledger_begin(db)) != AL_DB_OK)
                break;
            st = redemption_lock(db, row[0], row[1], row[2], &r);
            if (st == AL_DB_OK && r.found && r.lapsed) {
                st = end_hold(db, row[0], row[1], row[2], &r, "expired", 0, 0);
                ended++;
            }
            if (st == AL_DB_OK)
                st = al_ledger_commit(db);
            else
                al_ledger_rollback(db);
        }
        /* A full page that ended something: there may be more. */
        more = mysql_num_rows(res) == LAPSE_PAGE && ended > 0;
        *count += ended;
        mysql_free_result(res);
    }
    return st;
}

typedef struct {
    int64_t lot, lapse, cancel;
    char issuer[80];
} lot_plan;

/* Expires one member's lots due at as_of, inside the caller's transaction. */
static al_db_status expire_member(al_db *db, const char *tenant, const char *member,
                                  const char *as_of, int64_t *expired)
{
    *expired = 0;
    al_member_row m;
    al_db_status st = member_lock(db, tenant, member, &m);
    al_db_param p[] = {AL_STR(tenant), AL_STR(member), AL_STR(as_of)};
    MYSQL_RES *res = NULL;
    if (st == AL_DB_OK)
        st = al_db_exec(db,
                        "SELECT lot_id, partner_id, remaining FROM lots WHERE tenant_id = ? AND "
                        "member_id = ? AND remaining > 0 AND expires_at <= ? "
                        "ORDER BY expires_at, lot_id FOR UPDATE",
                        p, 3, &res);
    if (st != AL_DB_OK)
        return st;
    /*
     * Plan first, book once. Held points stay: at most the available balance
     * lapses. What stands against a debt cancels it instead (the balance does
     * not change).
     */
    size_t n = (size_t)mysql_num_rows(res), k = 0;
    lot_plan *plan = calloc(n ? n : 1, sizeof(*plan));
    if (plan == NULL) {
        mysql_free_result(res);
        return AL_DB_ERROR;
    }
    int64_t room = m.available > 0 ? m.available : 0, debt = m.debt, cancelled = 0;
    MYSQL_ROW row;
    while ((row = mysql_fetch_row(res)) != NULL) {
        lot_plan *l = &plan[k];
        int64_t remaining = strtoll(row[2], NULL, 10);
        l->lot = strtoll(row[0], NULL, 10);
        l->lapse = remaining < room ? remaining : room;
        l->cancel = remaining - l->lapse < debt ? remaining - l->lapse : debt;
        snprintf(l->issuer, sizeof(l->issuer), "%s", row[1]);
        room -= l->lapse;
        debt -= l->cancel;
        *expired += l->lapse;
        cancelled += l->cancel;
        k += l->lapse + l->cancel > 0;
    }
    mysql_free_result(res);

    uint64_t booking = 0;
    char from[AL_ACCOUNT_MAX];
    al_member_account(from, member);
    if (*expired > 0)
        st = book(db, tenant, "expire", from, AL_ACCOUNT_BREAKAGE, *expired, member, NULL, NULL,
                  NULL, &booking);
    for (size_t i = 0; i < k && st == AL_DB_OK; i++) {
        al_db_param u[] = {AL_INT(plan[i].lapse + plan[i].cancel), AL_INT(plan[i].lot)};
        st = al_db_exec(db, "UPDATE lots SET remaining = remaining - ? WHERE lot_id = ?", u, 2,
                        NULL);
        al_db_param c[] = {AL_STR(tenant), AL_INT((int64_t)booking), AL_INT(plan[i].lot),
                           AL_STR(plan[i].issuer), AL_INT(plan[i].lapse)};
        if (st == AL_DB_OK && plan[i].lapse > 0)
            st = al_db_exec(db,
                            "INSERT INTO lot_consumptions (tenant_id, booking_id, lot_id, "
                            "issuer_partner, points) VALUES (?, ?, ?, ?, ?)",
                            c, 5, NULL);
    }
    free(plan);
    if (st == AL_DB_OK && (*expired > 0 || cancelled > 0)) {
        al_db_param u[] = {AL_INT(*expired), AL_INT(cancelled), AL_STR(tenant), AL_STR(member)};
        st = al_db_exec(db,
                        "UPDATE members SET available = available - ?, debt = debt - ? "
                        "WHERE tenant_id = ? AND member_id = ?",
                        u, 4, NULL);
    }
    char at[AL_RFC3339_MAX];
    al_sql_to_rfc3339(as_of, at);
    if (st == AL_DB_OK && *expired > 0)
        st = al_outbox_add(db, tenant, AL_EVENT_POINTS_EXPIRED, member,
                           json_pack("{s:s,s:I,s:I,s:s}", "member", member, "points",
                                     (json_int_t)*expired, "balance",
                                     (json_int_t)(m.available - *expired), "as_of", at));
    return st;
}

/* Expiries to announce, a page at a time: each announced leaves the set. */
#define NOTICE_PAGE 500

al_db_status al_ledger_expiry_notices(al_db *db, const char *tenant, const char *as_of,
                                      bool (*stop)(void), int *count)
{
    *count = 0;
    al_db_status st = AL_DB_OK;
    for (bool more = true; more && st == AL_DB_OK && !(stop && stop());) {
        /* Only tenants with a webhook for it: the others' lots are not marked. */
        al_db_param p[] = {
            AL_STR(as_of),          AL_STR(as_of),          AL_STR(AL_EVENT_POINTS_EXPIRING),
            AL_STR_OR_NULL(tenant), AL_STR_OR_NULL(tenant), AL_INT(NOTICE_PAGE)};
        MYSQL_RES *res = NULL;
        st = al_db_exec(
            db,
            "SELECT l.tenant_id, l.member_id, " AL_SQL_DATETIME(
                "l.expires_at") ", "
                                "SUM(l.remaining) FROM lots l JOIN tenants t ON t.tenant_id = "
                                "l.tenant_id "
                                "WHERE l.remaining > 0 AND l.expiry_noticed = 0 AND l.expires_at > "
                                "? "
                                "AND l.expires_at <= ? + INTERVAL t.expiry_notice_days DAY "
                                "AND " AL_SQL_SUBSCRIBED(
                                    "l.tenant_id",
                                    "?") " "
                                         "AND (? IS NULL OR l.tenant_id = ?) "
                                         "GROUP BY l.tenant_id, l.member_id, l.expires_at LIMIT ?",
            p, 6, &res);
        if (st != AL_DB_OK)
            break;
        int announced = 0;
        MYSQL_ROW row;
        while (st == AL_DB_OK && !(stop && stop()) && (row = mysql_fetch_row(res)) != NULL) {
            if ((st = al_ledger_begin(db)) != AL_DB_OK)
                break;
            al_db_param u[] = {AL_STR(row[0]), AL_STR(row[1]), AL_STR(row[2])};
            st = al_db_exec(db,
                            "UPDATE lots SET expiry_noticed = 1 WHERE tenant_id = ? AND "
                            "member_id = ? AND expires_at = ? AND remaining > 0 "
                            "AND expiry_noticed = 0",
                            u, 3, NULL);
            char at[AL_RFC3339_MAX];
            al_sql_to_rfc3339(row[2], at);
            if (st == AL_DB_OK && al_db_affected(db) > 0) {
                st = al_outbox_add(db, row[0], AL_EVENT_POINTS_EXPIRING, row[1],
                                   json_pack("{s:s,s:I,s:s}", "member", row[1], "points",
                                             (json_int_t)strtoll(row[3], NULL, 10), "expires_at",
                                             at));
                announced++;
            }
            if (st == AL_DB_OK)
                st = al_ledger_commit(db);
            else
                al_ledger_rollback(db);
        }
        more = mysql_num_rows(res) == NOTICE_PAGE && announced > 0;
        *count += announced;
        mysql_free_result(res);
    }
    return st;
}

/* Members with points due, a page at a time in key order, after (tenant, member). */
#define EXPIRE_PAGE 1000

al_db_status al_ledger_expire(al_db *db, const char *tenant, const char *as_of, bool (*stop)(void),
                              int *members, int64_t *points)
{
    *members = 0;
    *points = 0;
    /*
     * A cursor, not "the first 1000 again": a member whose due points are all
     * held lapses nothing now, and must not keep the members after it waiting.
     */
    char after_tenant[AL_ID_MAX + 1] = "", after_member[AL_ID_MAX + 1] = "";
    al_db_status st = AL_DB_OK;
    for (bool more = true; more && st == AL_DB_OK && !(stop && stop());) {
        al_db_param p[] = {AL_STR(as_of),        AL_STR_OR_NULL(tenant), AL_STR_OR_NULL(tenant),
                           AL_STR(after_tenant), AL_STR(after_tenant),   AL_STR(after_member),
                           AL_INT(EXPIRE_PAGE)};
        MYSQL_RES *res = NULL;
        st = al_db_exec(db,
                        "SELECT DISTINCT tenant_id, member_id FROM lots "
                        "WHERE remaining > 0 AND expires_at <= ? "
                        "AND (? IS NULL OR tenant_id = ?) "
                        "AND (tenant_id > ? OR (tenant_id = ? AND member_id > ?)) "
                        "ORDER BY tenant_id, member_id LIMIT ?",
                        p, 7, &res);
        if (st != AL_DB_OK)
            break;
        more = mysql_num_rows(res) == EXPIRE_PAGE;
        MYSQL_ROW row;
        while (st == AL_DB_OK && !(stop && stop()) && (row = mysql_fetch_row(res)) != NULL) {
            snprintf(after_tenant, sizeof(after_tenant), "%s", row[0]);
            snprintf(after_member, sizeof(after_member), "%s", row[1]);
            int64_t expired = 0;
            if ((st = al_ledger_begin(db)) != AL_DB_OK)
                break;
            st = expire_member(db, row[0], row[1], as_of, &expired);
            if (st == AL_DB_OK)
                st = al_ledger_commit(db);
            else
                al_ledger_rollback(db);
            if (st == AL_DB_OK && expired > 0) {
                (*members)++;
                *points += expired;
            }
        }
        mysql_free_result(res);
    }
    return st;
}

bool al_ledger_event(al_db *db, const al_event *ev, al_outcome *o)
{
    const al_event_rule *rule = al_rules_event(ev->rules, ev->event);
    if (rule == NULL)
        return al_refuse(o, AL_REFUSED, "unknown_event", "the rules name no event %s", ev->event);
    al_member_row m;
    if (!member_for_earning(db, ev->tenant, ev->member, ev->auto_enrol, &m, o))
        return false;
    char period[16];
    int64_t awards = 0;
    al_period_key(rule->period, ev->when + ev->utc_offset, period);
    al_db_status st =
        count_lock(db, &event_awards, ev->tenant, ev->event, ev->member, period, &awards);
    if (st != AL_DB_OK)
        return al_db_failed(o, st);
    if (rule->limit > 0 && awards >= rule->limit)
        return al_refuse(o, AL_REFUSED, "event_limit_reached",
                         "%s is rewarded %lld time(s) a period; this member has had it", ev->event,
                         (long long)rule->limit);
    int64_t balance;
    if (__builtin_add_overflow(m.available, rule->points, &balance))
        return al_refuse(o, AL_REFUSED, "balance_overflow", "the balance would pass 2^63-1 points");

    /* A partner's event is its points; the alliance's own is on its rewards account. */
    char from[AL_ACCOUNT_MAX], to[AL_ACCOUNT_MAX], detail[256];
    const char *issuer = ev->partner ? ev->partner : "alliance";
    if (ev->partner)
        al_partner_account(from, ev->partner, "issued");
    else
        snprintf(from, sizeof(from), "%s", AL_ACCOUNT_REWARDS);
    al_member_account(to, ev->member);
    snprintf(detail, sizeof(detail),
             "{\"event\":\"%s\",\"points\":%lld,\"rules_version\":%d,\"lines\":[{\"category\":"
             "\"event:%s\",\"points\":%lld,\"qualifying\":false}]}",
             ev->event, (long long)rule->points, ev->rules->version, ev->event,
             (long long)rule->points);
    uint64_t booking = 0;
    st = book(db, ev->tenant, "event", from, to, rule->points, ev->member, ev->partner, ev->id,
              detail, &booking);
    uint64_t lot = 0;
    if (st == AL_DB_OK)
        st = credit_member(db, ev->tenant, ev->member, issuer, booking, rule->points, m.debt,
                           ev->expiry_months, &lot);
    if (st == AL_DB_OK)
        st = count_add(db, &event_awards, ev->tenant, ev->event, ev->member, period, 1);
    if (st != AL_DB_OK)
        return al_db_failed(o, st);
    o->result = AL_CREATED;
    o->reply =
        json_pack("{s:s,s:s,s:s,s:I,s:I}", "id", ev->id, "member", ev->member, "event", ev->event,
                  "points", (json_int_t)rule->points, "balance", (json_int_t)balance);
    return true;
}

/*
 * The members of one tenant who may move (above the lowest level, or counting
 * days below), a page at a time after the last one seen: every one of them,
 * however many.
 */
static al_db_status review_tenant(al_db *db, const char *tenant, const al_rules *r,
                                  bool (*stop)(void), int *changed)
{
    char after_member[AL_ID_MAX + 1] = "";
    al_db_status st = AL_DB_OK;
    for (bool more = true; more && st == AL_DB_OK && !(stop && stop());) {
        al_db_param q[] = {AL_STR(tenant), AL_STR(r->tiers[0].name), AL_STR(after_member),
                           AL_INT(EXPIRE_PAGE)};
        MYSQL_RES *members = NULL;
        st = al_db_exec(db,
                        "SELECT member_id FROM members WHERE tenant_id = ? AND "
                        "(tier <> ? OR below_since IS NOT NULL) AND member_id > ? "
                        "ORDER BY member_id LIMIT ?",
                        q, 4, &members);
        if (st != AL_DB_OK)
            break;
        more = mysql_num_rows(members) == EXPIRE_PAGE;
        MYSQL_ROW mr;
        while (st == AL_DB_OK && !(stop && stop()) && (mr = mysql_fetch_row(members)) != NULL) {
            snprintf(after_member, sizeof(after_member), "%s", mr[0]);
            al_member_row m;
            size_t before = 0, after = 0;
            if ((st = al_ledger_begin(db)) != AL_DB_OK)
                break;
            st = member_lock(db, tenant, mr[0], &m);
            if (st == AL_DB_OK && m.found) {
                before = al_rules_tier_index(r, m.tier);
                st = review_tier(db, tenant, mr[0], r, &m, &after);
            }
            if (st == AL_DB_OK)
                st = al_ledger_commit(db);
            else
                al_ledger_rollback(db);
            *changed += st == AL_DB_OK && m.found && after != before;
        }
        mysql_free_result(members);
    }
    return st;
}

al_db_status al_ledger_each_program(al_db *db, const char *tenant, bool (*stop)(void),
                                    al_db_status (*fn)(al_db *db, const al_program *p, void *ctx),
                                    void *ctx)
{
    al_db_param p[] = {AL_STR_OR_NULL(tenant), AL_STR_OR_NULL(tenant)};
    MYSQL_RES *res = NULL;
    al_db_status st = al_db_exec(db,
                                 "SELECT t.tenant_id, v.document, v.version, t.expiry_months, "
                                 "t.time_zone FROM tenants t "
                                 "JOIN rules_versions v ON v.tenant_id = t.tenant_id "
                                 "AND v.version = t.rules_version "
                                 "WHERE (? IS NULL OR t.tenant_id = ?)",
                                 p, 2, &res);
    if (st != AL_DB_OK)
        return st;
    MYSQL_ROW row;
    while (st == AL_DB_OK && (row = mysql_fetch_row(res)) != NULL && !(stop && stop())) {
        json_t *doc = json_loads(row[1], 0, NULL);
        al_rules *r = NULL;
        char path[128], msg[256];
        int rc = doc ? al_rules_compile(doc, &r, path, msg) : -1;
        json_decref(doc);
        if (rc != 0)
            continue;
        r->version = atoi(row[2]);
        al_program program = {
            .tenant = row[0], .rules = r, .expiry_months = atoi(row[3]), .time_zone = row[4]};
        st = fn(db, &program, ctx);
        al_rules_drop(r);
    }
    mysql_free_result(res);
    return st;
}

typedef struct tier_sweep {
    bool (*stop)(void);
    int *changed;
} tier_sweep;

static al_db_status review_program(al_db *db, const al_program *p, void *ctx)
{
    tier_sweep *t = ctx;
    if (p->rules->downgrade == AL_DOWNGRADE_NONE)
        return AL_DB_OK;
    return review_tenant(db, p->tenant, p->rules, t->stop, t->changed);
}

al_db_status al_ledger_tier_review(al_db *db, const char *tenant, bool (*stop)(void), int *changed)
{
    *changed = 0;
    tier_sweep t = {.stop = stop, .changed = changed};
    return al_ledger_each_program(db, tenant, stop, review_program, &t);
}

bool al_ledger_tier_floor(al_db *db, const char *tenant, const char *member, const al_rules *r,
                          size_t floor, const char *until, al_outcome *o)
{
    al_member_row m;
    al_db_status st = member_lock(db, tenant, member, &m);
    if (st != AL_DB_OK)
        return al_db_failed(o, st);
    if (!m.found)
        return al_refuse(o, AL_NOT_FOUND, "member_not_found", "no member %s", member);
    al_db_param f[] = {AL_STR(r->tiers[floor].name), AL_STR(until), AL_STR(tenant), AL_STR(member)};
    st = al_db_exec(db,
                    "UPDATE members SET tier_floor = ?, tier_floor_until = ? "
                    "WHERE tenant_id = ? AND member_id = ?",
                    f, 4, NULL);
    if (st == AL_DB_OK)
        st = member_lock(db, tenant, member, &m);
    size_t now_tier = 0;
    if (st == AL_DB_OK)
        st = review_tier(db, tenant, member, r, &m, &now_tier);
    if (st != AL_DB_OK)
        return al_db_failed(o, st);
    o->result = AL_DONE;
    char until_at[AL_RFC3339_MAX];
    al_sql_to_rfc3339(until, until_at);
    o->reply = json_pack("{s:s,s:s,s:{s:s,s:s}}", "member", member, "tier", r->tiers[now_tier].name,
                         "floor", "tier", r->tiers[floor].name, "until", until_at);
    return true;
}
