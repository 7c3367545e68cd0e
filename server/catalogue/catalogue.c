/* The rewards catalogue and its vouchers; see catalogue.h. Its SQL is here. */
#include "catalogue/catalogue.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ledger/ledger.h"
#include "ledger/members.h"

/* A voucher that still takes stock: issued and not ended, or used (r: its redemption). */
#define SQL_ACTIVE "(r.status = 'captured' OR (r.status = 'held' AND r.hold_expires_at > NOW(6)))"

#define SQL_REDEMPTION                                                                             \
    "JOIN redemptions r ON r.tenant_id = v.tenant_id AND r.partner_id = v.partner_id "             \
    "AND r.redemption_id = v.redemption_id "

static const char *const period_names[] = {"day", "week", "month", "year", "ever"};

/* ---- items ---- */

#define ITEM_COLUMNS                                                                               \
    "SELECT i.item_id, i.partner_id, i.name, i.points, i.cash_minor, IFNULL(i.currency, ''), "     \
    "IFNULL(i.stock, -1), IFNULL(i.limit_count, 0), IFNULL(i.limit_period, 'ever'), "              \
    "IFNULL(" AL_SQL_DATETIME("i.valid_from") ", ''), IFNULL(" AL_SQL_DATETIME(                    \
        "i.valid_until") ", ''), IFNULL(i.tiers, ''), i.voucher_days, i.status, "                  \
                         "" AL_SQL_RFC3339("i.created_at") ", " AL_SQL_RFC3339(                    \
                             "i.updated_at") ", (SELECT COUNT(*) FROM vouchers v " SQL_REDEMPTION  \
                                             "WHERE v.tenant_id = i.tenant_id AND v.item_id = "    \
                                             "i.item_id AND " SQL_ACTIVE ") "                      \
                                             "FROM catalogue_items i "

static int item_of_row(MYSQL_ROW row, void *element)
{
    al_item *it = element;
    snprintf(it->id, sizeof(it->id), "%s", row[0]);
    snprintf(it->partner, sizeof(it->partner), "%s", row[1]);
    snprintf(it->name, sizeof(it->name), "%s", row[2]);
    it->points = strtoll(row[3], NULL, 10);
    it->cash_minor = strtoll(row[4], NULL, 10);
    snprintf(it->currency, sizeof(it->currency), "%s", row[5]);
    it->stock = strtoll(row[6], NULL, 10);
    it->limit_count = strtoll(row[7], NULL, 10);
    if (al_period_named(row[8], &it->limit_period) != 0)
        it->limit_period = AL_PERIOD_EVER;
    snprintf(it->valid_from, sizeof(it->valid_from), "%s", row[9]);
    snprintf(it->valid_until, sizeof(it->valid_until), "%s", row[10]);
    snprintf(it->tiers, sizeof(it->tiers), "%s", row[11]);
    it->voucher_days = strtoll(row[12], NULL, 10);
    snprintf(it->status, sizeof(it->status), "%s", row[13]);
    snprintf(it->created_at, sizeof(it->created_at), "%s", row[14]);
    snprintf(it->updated_at, sizeof(it->updated_at), "%s", row[15]);
    it->taken = strtoll(row[16], NULL, 10);
    return 0;
}

static json_t *time_or_null(const char *sql_time)
{
    char out[AL_RFC3339_MAX];
    if (sql_time[0] == '\0')
        return json_null();
    al_sql_to_rfc3339(sql_time, out);
    return json_string(out);
}

json_t *al_item_json(const al_item *it)
{
    json_t *tiers = it->tiers[0] ? json_loads(it->tiers, 0, NULL) : NULL;
    json_t *limit = it->limit_count > 0
                        ? json_pack("{s:I,s:s}", "count", (json_int_t)it->limit_count, "period",
                                    period_names[it->limit_period])
                        : json_null();
    json_t *left = it->stock < 0 ? json_null()
                                 : json_integer(it->stock > it->taken ? it->stock - it->taken : 0);
    return json_pack("{s:s,s:s,s:s,s:I,s:I,s:o,s:o,s:I,s:o,s:o,s:o,s:o,s:o,s:I,s:s,s:s,s:s}", "id",
                     it->id, "partner", it->partner, "name", it->name, "points",
                     (json_int_t)it->points, "cash_minor", (json_int_t)it->cash_minor, "currency",
                     it->currency[0] ? json_string(it->currency) : json_null(), "stock",
                     it->stock < 0 ? json_null() : json_integer(it->stock), "taken",
                     (json_int_t)it->taken, "left", left, "limit", limit, "valid_from",
                     time_or_null(it->valid_from), "valid_until", time_or_null(it->valid_until),
                     "tiers", tiers ? tiers : json_null(), "voucher_days",
                     (json_int_t)it->voucher_days, "status", it->status, "created_at",
                     it->created_at, "updated_at", it->updated_at);
}

al_db_status al_item_save(al_db *db, const char *tenant, const al_item *it, bool create,
                          bool *clash)
{
    al_db_param p[] = {AL_STR(it->partner),
                       AL_STR(it->name),
                       AL_INT(it->points),
                       AL_INT(it->cash_minor),
                       it->currency[0] ? AL_STR(it->currency) : AL_NULL,
                       it->stock >= 0 ? AL_INT(it->stock) : AL_NULL,
                       it->limit_count > 0 ? AL_INT(it->limit_count) : AL_NULL,
                       it->limit_count > 0 ? AL_STR(period_names[it->limit_period]) : AL_NULL,
                       it->valid_from[0] ? AL_STR(it->valid_from) : AL_NULL,
                       it->valid_until[0] ? AL_STR(it->valid_until) : AL_NULL,
                       it->tiers[0] ? AL_STR(it->tiers) : AL_NULL,
                       AL_INT(it->voucher_days),
                       AL_STR(it->status),
                       AL_STR(tenant),
                       AL_STR(it->id)};
    *clash = false;
    if (create) {
        al_db_status st = al_db_exec(db,
                                     "INSERT INTO catalogue_items (partner_id, name, points, "
                                     "cash_minor, currency, stock, limit_count, limit_period, "
                                     "valid_from, valid_until, tiers, voucher_days, status, "
                                     "tenant_id, item_id) "
                                     "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                                     p, 15, NULL);
        *clash = st == AL_DB_DUPLICATE;
        return *clash ? AL_DB_OK : st;
    }
    al_db_status st = al_db_exec(
        db,
        "UPDATE catalogue_items SET partner_id = ?, name = ?, points = ?, cash_minor = ?, "
        "currency = ?, stock = ?, limit_count = ?, limit_period = ?, valid_from = ?, "
        "valid_until = ?, tiers = ?, voucher_days = ?, status = ?, updated_at = NOW(6) "
        "WHERE tenant_id = ? AND item_id = ?",
        p, 15, NULL);
    *clash = st == AL_DB_OK && al_db_affected(db) == 0;
    return st;
}

al_db_status al_item_get(al_db *db, const char *tenant, const char *id, al_item *out, bool *found)
{
    al_db_param p[] = {AL_STR(tenant), AL_STR(id)};
    void *list = NULL;
    size_t n = 0;
    al_db_status st = al_db_list(db, ITEM_COLUMNS "WHERE i.tenant_id = ? AND i.item_id = ?", p, 2,
                                 sizeof(*out), item_of_row, &list, &n);
    *found = st == AL_DB_OK && n == 1;
    if (*found)
        *out = *(al_item *)list;
    free(list);
    return st;
}

al_db_status al_items_page(al_db *db, const char *tenant, const char *after, int64_t limit,
                           al_item **out, size_t *n)
{
    al_db_param p[] = {AL_STR(tenant), AL_STR(after), AL_INT(limit)};
    void *list = NULL;
    al_db_status st = al_db_list(db,
                                 ITEM_COLUMNS "WHERE i.tenant_id = ? AND i.item_id > ? "
                                              "ORDER BY i.item_id LIMIT ?",
                                 p, 3, sizeof(**out), item_of_row, &list, n);
    *out = list;
    return st;
}

/* Whether tier may take the item (its tiers, a JSON array, name it; none: any). */
static bool tier_allowed(const al_item *it, const char *tier)
{
    if (it->tiers[0] == '\0')
        return true;
    json_t *tiers = json_loads(it->tiers, 0, NULL);
    bool ok = false;
    size_t i;
    json_t *t;
    json_array_foreach (tiers, i, t) {
        if (json_is_string(t) && strcmp(json_string_value(t), tier) == 0)
            ok = true;
    }
    json_decref(tiers);
    return ok;
}

/* How many of item the member took in the period whose key is key. */
static al_db_status taken_by(al_db *db, const char *tenant, const char *member, const char *item,
                             const char *key, int64_t *n)
{
    bool found = false;
    al_db_param p[] = {AL_STR(tenant), AL_STR(member), AL_STR(item), AL_STR(key)};
    return al_db_int(db,
                     "SELECT COUNT(*) FROM vouchers v " SQL_REDEMPTION
                     "WHERE v.tenant_id = ? AND v.member_id = ? AND v.item_id = ? "
                     "AND v.period_key = ? AND " SQL_ACTIVE,
                     p, 4, n, &found);
}

/* Whether the item is offered now: active and in its window (now: the database's clock). */
#define SQL_OFFERED                                                                                \
    "i.status = 'active' AND (i.valid_from IS NULL OR i.valid_from <= NOW(6)) "                    \
    "AND (i.valid_until IS NULL OR i.valid_until > NOW(6)) "

al_db_status al_items_for_member(al_db *db, const char *tenant, const char *member,
                                 const char *tier, int64_t local_now, json_t **out)
{
    al_db_param p[] = {AL_STR(tenant)};
    void *list = NULL;
    size_t n = 0;
    *out = json_array();
    al_db_status st = al_db_list(
        db, ITEM_COLUMNS "WHERE i.tenant_id = ? AND " SQL_OFFERED "ORDER BY i.item_id LIMIT 1000",
        p, 1, sizeof(al_item), item_of_row, &list, &n);
    al_item *items = list;
    for (size_t i = 0; st == AL_DB_OK && i < n; i++) {
        const al_item *it = &items[i];
        if (!tier_allowed(it, tier) || (it->stock >= 0 && it->taken >= it->stock))
            continue;
        json_t *one = al_item_json(it);
        if (it->limit_count > 0) {
            char key[16];
            int64_t mine = 0;
            al_period_key(it->limit_period, local_now, key);
            st = taken_by(db, tenant, member, it->id, key, &mine);
            if (mine >= it->limit_count) {
                json_decref(one);
                continue;
            }
            json_object_set_new(one, "limit_left", json_integer(it->limit_count - mine));
        }
        json_array_append_new(*out, one);
    }
    free(list);
    return st;
}

/* ---- vouchers ---- */

#define VOUCHER_COLUMNS                                                                            \
    "SELECT v.code, v.member_id, v.item_id, v.partner_id, v.redemption_id, v.points, "             \
    "v.cash_minor, IFNULL(v.currency, ''), CASE WHEN r.status = 'captured' THEN 'used' "           \
    "WHEN r.status = 'voided' THEN 'cancelled' WHEN r.status = 'held' AND "                        \
    "r.hold_expires_at > NOW(6) THEN 'issued' ELSE 'expired' END, " AL_SQL_RFC3339(                \
        "v.created_at") ", " AL_SQL_RFC3339("v.expires_at") ", v.seq FROM vouchers "               \
                                                            "v " SQL_REDEMPTION

static int voucher_of_row(MYSQL_ROW row, void *element)
{
    al_voucher *v = element;
    snprintf(v->code, sizeof(v->code), "%s", row[0]);
    snprintf(v->member, sizeof(v->member), "%s", row[1]);
    snprintf(v->item, sizeof(v->item), "%s", row[2]);
    snprintf(v->partner, sizeof(v->partner), "%s", row[3]);
    snprintf(v->redemption, sizeof(v->redemption), "%s", row[4]);
    v->points = strtoll(row[5], NULL, 10);
    v->cash_minor = strtoll(row[6], NULL, 10);
    snprintf(v->currency, sizeof(v->currency), "%s", row[7]);
    snprintf(v->status, sizeof(v->status), "%s", row[8]);
    snprintf(v->created_at, sizeof(v->created_at), "%s", row[9]);
    snprintf(v->expires_at, sizeof(v->expires_at), "%s", row[10]);
    v->seq = strtoll(row[11], NULL, 10);
    return 0;
}

json_t *al_voucher_json(const al_voucher *v)
{
    return json_pack("{s:s,s:s,s:s,s:s,s:I,s:I,s:o,s:s,s:s,s:s}", "code", v->code, "member",
                     v->member, "item", v->item, "partner", v->partner, "points",
                     (json_int_t)v->points, "cash_minor", (json_int_t)v->cash_minor, "currency",
                     v->currency[0] ? json_string(v->currency) : json_null(), "status", v->status,
                     "created_at", v->created_at, "expires_at", v->expires_at);
}

/* The voucher where (a condition on v, with params) picks one. */
static al_db_status voucher_where(al_db *db, const char *where, al_db_param *p, size_t np,
                                  al_voucher *out, bool *found)
{
    char sql[2048];
    snprintf(sql, sizeof(sql), "%s%s", VOUCHER_COLUMNS, where);
    void *list = NULL;
    size_t n = 0;
    al_db_status st = al_db_list(db, sql, p, np, sizeof(*out), voucher_of_row, &list, &n);
    *found = st == AL_DB_OK && n == 1;
    if (*found)
        *out = *(al_voucher *)list;
    free(list);
    return st;
}

al_db_status al_voucher_get(al_db *db, const char *tenant, const char *code, al_voucher *out,
                            bool *found)
{
    al_db_param p[] = {AL_STR(tenant), AL_STR(code)};
    return voucher_where(db, "WHERE v.tenant_id = ? AND v.code = ?", p, 2, out, found);
}

al_db_status al_vouchers_of_member(al_db *db, const char *tenant, const char *member,
                                   int64_t before, int64_t limit, al_voucher **out, size_t *n)
{
    al_db_param p[] = {AL_STR(tenant), AL_STR(member), AL_INT(before), AL_INT(before),
                       AL_INT(limit)};
    void *list = NULL;
    al_db_status st = al_db_list(db,
                                 VOUCHER_COLUMNS "WHERE v.tenant_id = ? AND v.member_id = ? "
                                                 "AND (? = 0 OR v.seq < ?) "
                                                 "ORDER BY v.seq DESC LIMIT ?",
                                 p, 5, sizeof(**out), voucher_of_row, &list, n);
    *out = list;
    return st;
}

/* The member's earlier voucher of the same request id: the same answer, or id_reused. */
static bool repeated(al_db *db, const al_voucher_request *q, bool *done, al_outcome *o)
{
    al_voucher v;
    bool found = false;
    al_db_param p[] = {AL_STR(q->tenant), AL_STR(q->member), AL_STR(q->request_id)};
    al_db_status st = voucher_where(
        db, "WHERE v.tenant_id = ? AND v.member_id = ? AND v.request_id = ?", p, 3, &v, &found);
    *done = st != AL_DB_OK || found;
    if (st != AL_DB_OK)
        return al_db_failed(o, st);
    if (!found)
        return true;
    if (strcmp(v.item, q->item) != 0)
        return al_refuse(o, AL_CONFLICT, "id_reused", "request id %s was used for another item",
                         q->request_id);
    o->reply = al_voucher_json(&v);
    o->result = AL_DONE;
    return true;
}

bool al_voucher_redeem(al_db *db, void *ctx, al_outcome *o)
{
    const al_voucher_request *q = ctx;
    bool done = false;
    if (!repeated(db, q, &done, o) || done)
        return al_result_ok(o->result);
    /* The item's lock: redemptions of one item go one at a time, so stock and limits hold. */
    al_db_param lock[] = {AL_STR(q->tenant), AL_STR(q->item)};
    int64_t offered = 0;
    bool found = false;
    al_db_status st = al_db_int(db,
                                "SELECT " SQL_OFFERED " FROM catalogue_items i "
                                "WHERE i.tenant_id = ? AND i.item_id = ? FOR UPDATE",
                                lock, 2, &offered, &found);
    if (st != AL_DB_OK)
        return al_db_failed(o, st);
    if (!found)
        return al_refuse(o, AL_NOT_FOUND, "item_not_found", "no catalogue item %s", q->item);
    al_item it;
    st = al_item_get(db, q->tenant, q->item, &it, &found);
    if (st != AL_DB_OK)
        return al_db_failed(o, st);
    if (!found) /* it was locked above: it cannot have gone */
        return al_refuse(o, AL_NOT_FOUND, "item_not_found", "no catalogue item %s", q->item);
    if (!offered)
        return al_refuse(o, AL_REFUSED, "item_unavailable",
                         "item %s is not offered now (withdrawn, or outside its window)", q->item);
    char tier[AL_TIER_NAME_MAX];
    if ((st = al_member_tier_of(db, q->tenant, q->member, tier)) != AL_DB_OK)
        return al_db_failed(o, st);
    if (tier[0] == '\0')
        return al_refuse(o, AL_NOT_FOUND, "member_not_found", "no member %s", q->member);
    if (!tier_allowed(&it, tier))
        return al_refuse(o, AL_REFUSED, "tier_not_allowed", "item %s is for the tiers %s", q->item,
                         it.tiers);
    if (it.stock >= 0 && it.taken >= it.stock)
        return al_refuse(o, AL_REFUSED, "out_of_stock", "item %s is out of stock", q->item);
    char key[16];
    al_period_key(it.limit_count > 0 ? it.limit_period : AL_PERIOD_EVER, q->local_now, key);
    if (it.limit_count > 0) {
        int64_t mine = 0;
        if ((st = taken_by(db, q->tenant, q->member, q->item, key, &mine)) != AL_DB_OK)
            return al_db_failed(o, st);
        if (mine >= it.limit_count)
            return al_refuse(o, AL_REFUSED, "limit_reached", "%lld of item %s a %s already",
                             (long long)it.limit_count, q->item, period_names[it.limit_period]);
    }
    al_voucher v = {0};
    char redemption[AL_ID_MAX + 1];
    if (al_random_code(v.code, AL_VOUCHER_CODE_LEN) != 0)
        return al_refuse(o, AL_FAILED, "internal_error", "no randomness for a code");
    snprintf(redemption, sizeof(redemption), "voucher:%s", v.code);
    /* The points held at the offering partner for the voucher's life. */
    al_redeem hold = {.tenant = q->tenant,
                      .partner = it.partner,
                      .redemption_id = redemption,
                      .member = q->member,
                      .points = it.points,
                      .capture = false,
                      .hold_seconds = it.voucher_days * 86400};
    if (!al_ledger_redeem(db, &hold, o))
        return false;
    json_decref(o->reply);
    o->reply = NULL;
    al_db_param p[] = {AL_STR(q->tenant),     AL_STR(v.code),
                       AL_STR(q->member),     AL_STR(q->request_id),
                       AL_STR(q->item),       AL_STR(it.partner),
                       AL_STR(redemption),    AL_INT(it.points),
                       AL_INT(it.cash_minor), it.currency[0] ? AL_STR(it.currency) : AL_NULL,
                       AL_STR(key),           AL_INT(it.voucher_days * 86400)};
    st = al_db_exec(db,
                    "INSERT INTO vouchers (tenant_id, code, member_id, request_id, item_id, "
                    "partner_id, redemption_id, points, cash_minor, currency, period_key, "
                    "expires_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, "
                    "NOW(6) + INTERVAL ? SECOND)",
                    p, 12, NULL);
    if (st == AL_DB_OK)
        st = al_voucher_get(db, q->tenant, v.code, &v, &found);
    if (st != AL_DB_OK)
        return al_db_failed(o, st);
    o->reply = al_voucher_json(&v);
    o->result = AL_CREATED;
    return true;
}

bool al_voucher_finish(al_db *db, void *ctx, al_outcome *o)
{
    const al_voucher_end *e = ctx;
    al_voucher v;
    bool found = false;
    al_db_param p[] = {AL_STR(e->tenant), AL_STR(e->code)};
    al_db_status st =
        voucher_where(db, "WHERE v.tenant_id = ? AND v.code = ? FOR UPDATE", p, 2, &v, &found);
    if (st != AL_DB_OK)
        return al_db_failed(o, st);
    /* A partner reaches the vouchers of its own items, a member its own: others do not exist. */
    if (!found || (e->partner[0] && strcmp(v.partner, e->partner) != 0) ||
        (e->member[0] && strcmp(v.member, e->member) != 0))
        return al_refuse(o, AL_NOT_FOUND, "voucher_not_found", "no voucher %s", e->code);
    if (strcmp(v.status, e->use ? "used" : "cancelled") == 0) { /* again: the same answer */
        o->reply = al_voucher_json(&v);
        o->result = AL_DONE;
        return true;
    }
    if (strcmp(v.status, "issued") != 0)
        return al_refuse(o, AL_REFUSED, "voucher_not_open", "voucher %s is %s", e->code, v.status);
    bool ok = e->use ? al_ledger_capture(db, e->tenant, v.partner, v.redemption, -1, o)
                     : al_ledger_void(db, e->tenant, v.partner, v.redemption, o);
    if (!ok)
        return false;
    json_decref(o->reply);
    o->reply = NULL;
    if ((st = al_voucher_get(db, e->tenant, e->code, &v, &found)) != AL_DB_OK)
        return al_db_failed(o, st);
    o->reply = al_voucher_json(&v);
    o->result = AL_DONE;
    return true;
}
