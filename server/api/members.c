/*
 * Members: enrolment (tenant admin), the 360 view and the history of one
 * member (admin), and the balance a partner's till shows (partner).
 */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "analytics/history.h"
#include "api/booking.h"
#include "api/context.h"
#include "api/lookups.h"
#include "api/outcome.h"
#include "api/routes.h"
#include "db/db.h"
#include "ledger/ledger.h"
#include "rules/rules.h"

#define HISTORY_DEFAULT 50
#define HISTORY_MAX 200

void al_api_member_create(al_exchange *x)
{
    static const char *const fields[] = {"id", "profile", NULL};
    json_t *body = NULL;
    const char *id;
    char *profile = NULL;
    if (al_body_object(x, &body) != 0)
        return;
    if (al_body_only(x, body, fields) != 0 || al_body_id(x, body, "id", &id) != 0)
        goto done;
    json_t *p = json_object_get(body, "profile");
    if (p != NULL && !json_is_object(p)) {
        al_reply_error(x, 400, "invalid_field", "profile must be an object");
        goto done;
    }
    profile = p ? json_dumps(p, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
    al_db_param prm[] = {AL_STR(x->tenant), AL_STR(id), AL_STR(profile ? profile : "{}")};
    al_db_status st = al_db_exec(al_db_of(x),
                                 "INSERT INTO members (tenant_id, member_id, profile) "
                                 "VALUES (?, ?, ?)",
                                 prm, 3, NULL);
    if (st == AL_DB_DUPLICATE)
        al_reply_error(x, 409, "member_exists", "member %s already exists", id);
    else if (st != AL_DB_OK)
        al_reply_db_failure(x, st);
    else
        al_reply_json(x, 201,
                      json_pack("{s:s,s:o,s:s,s:i,s:i}", "id", id, "profile",
                                p ? json_incref(p) : json_object(), "status", "active", "available",
                                0, "held", 0));
done:
    free(profile);
    json_decref(body);
}

/*
 * Runs a query about one member; replies 404 (or the db failure) and returns
 * NULL if none. An id that is no valid id simply finds no member.
 */
static MYSQL_RES *member_query(al_exchange *x, const char *sql, al_db_param *p, size_t n,
                               MYSQL_ROW *row)
{
    MYSQL_RES *res = NULL;
    al_db_status st = al_db_exec(al_db_of(x), sql, p, n, &res);
    if (st != AL_DB_OK) {
        al_reply_db_failure(x, st);
        return NULL;
    }
    *row = mysql_fetch_row(res);
    if (*row == NULL) {
        mysql_free_result(res);
        al_reply_error(x, 404, "member_not_found", "no such member");
        return NULL;
    }
    return res;
}

void al_api_member_balance(al_exchange *x)
{
    const char *id = x->params[0];
    al_db_param p[] = {AL_STR(x->tenant), AL_STR(id)};
    MYSQL_ROW row;
    MYSQL_RES *res = member_query(x,
                                  "SELECT available, held FROM members "
                                  "WHERE tenant_id = ? AND member_id = ?",
                                  p, 2, &row);
    if (res == NULL)
        return;
    json_t *reply = json_pack("{s:s,s:I,s:I}", "member", id, "available", (json_int_t)atoll(row[0]),
                              "held", (json_int_t)atoll(row[1]));
    mysql_free_result(res);
    al_reply_json(x, 200, reply);
}

#define ISO(col) "DATE_FORMAT(" col ", '%Y-%m-%dT%H:%i:%s.%fZ')"

/* Appends the next expiries and the per-partner activity to the 360 view. */
static al_db_status add_activity(al_exchange *x, const char *id, json_t *view)
{
    al_db_param p[] = {AL_STR(x->tenant), AL_STR(id)};
    MYSQL_RES *res = NULL;
    al_db_status st =
        al_db_exec(al_db_of(x),
                   "SELECT SUM(remaining), " ISO(
                       "expires_at") " FROM lots "
                                     "WHERE tenant_id = ? AND member_id = ? AND remaining > 0 "
                                     "GROUP BY expires_at ORDER BY expires_at LIMIT 3",
                   p, 2, &res);
    if (st != AL_DB_OK)
        return st;
    json_t *expiries = json_array();
    MYSQL_ROW row;
    while ((row = mysql_fetch_row(res)) != NULL)
        json_array_append_new(expiries, json_pack("{s:I,s:s}", "points", (json_int_t)atoll(row[0]),
                                                  "expires_at", row[1]));
    mysql_free_result(res);
    json_object_set_new(json_object_get(view, "balance"), "next_expiries", expiries);

    st = al_db_exec(
        al_db_of(x),
        "SELECT partner_id, SUM(kind = 'earn'), SUM(IF(kind = 'earn', points, 0)), "
        "SUM(kind = 'redeem'), SUM(IF(kind = 'redeem', points, 0)), "
        "SUM(IF(kind = 'reversal', points, 0)), " ISO(
            "MAX(booked_at)") " "
                              "FROM bookings WHERE tenant_id = ? AND member_id = ? "
                              "AND partner_id IS NOT NULL GROUP BY partner_id ORDER BY partner_id",
        p, 2, &res);
    if (st != AL_DB_OK)
        return st;
    json_t *partners = json_array();
    while ((row = mysql_fetch_row(res)) != NULL)
        json_array_append_new(
            partners, json_pack("{s:s,s:I,s:I,s:I,s:I,s:I,s:s}", "partner", row[0], "transactions",
                                (json_int_t)atoll(row[1]), "points_earned",
                                (json_int_t)atoll(row[2]), "redemptions", (json_int_t)atoll(row[3]),
                                "points_redeemed", (json_int_t)atoll(row[4]), "points_reversed",
                                (json_int_t)atoll(row[5]), "last_activity_at", row[6]));
    mysql_free_result(res);
    json_object_set_new(view, "partners", partners);

    st = al_db_exec(
        al_db_of(x),
        "SELECT " ISO("changed_at") ", from_tier, to_tier, reason, rules_version "
                                    "FROM tier_history WHERE tenant_id = ? AND member_id = ? "
                                    "ORDER BY changed_at DESC LIMIT 20",
        p, 2, &res);
    if (st != AL_DB_OK)
        return st;
    json_t *history = json_array();
    while ((row = mysql_fetch_row(res)) != NULL)
        json_array_append_new(history,
                              json_pack("{s:s,s:s,s:s,s:s,s:i}", "at", row[0], "from", row[1], "to",
                                        row[2], "reason", row[3], "rules_version", atoi(row[4])));
    mysql_free_result(res);
    json_object_set_new(view, "tier_history", history);
    return AL_DB_OK;
}

void al_api_member_get(al_exchange *x)
{
    const char *id = x->params[0];
    al_db_param p[] = {AL_STR(x->tenant), AL_STR(id)};
    MYSQL_ROW row;
    static const char sql[] = "SELECT profile, status, available, held, debt, lifetime_earned, "
                              "lifetime_redeemed, " ISO("created_at") ", IFNULL(" ISO(
                                  "last_activity_at") ", ''), tier "
                                                      "FROM members WHERE tenant_id = ? "
                                                      "AND member_id = ?";
    MYSQL_RES *res = member_query(x, sql, p, 2, &row);
    if (res == NULL)
        return;
    json_t *profile = json_loads(row[0], 0, NULL);
    json_t *view = json_pack("{s:s,s:o,s:s,s:s,s:s*,s:{s:I,s:I,s:I,s:I,s:I},s:s,s:n}", "id", id,
                             "profile", profile ? profile : json_object(), "status", row[1],
                             "created_at", row[7], "last_activity_at", row[8][0] ? row[8] : NULL,
                             "balance", "available", (json_int_t)atoll(row[2]), "held",
                             (json_int_t)atoll(row[3]), "debt", (json_int_t)atoll(row[4]),
                             "lifetime_earned", (json_int_t)atoll(row[5]), "lifetime_redeemed",
                             (json_int_t)atoll(row[6]), "tier", row[9], "lifecycle_stage");
    mysql_free_result(res);
    al_stage stage;
    al_db_status st = al_member_stage(al_db_of(x), x->tenant, id, al_day_today(), &stage);
    if (st == AL_DB_OK) {
        json_object_set_new(view, "lifecycle_stage", json_string(al_stage_name(stage)));
        st = add_activity(x, id, view);
    }
    if (st != AL_DB_OK) {
        json_decref(view);
        al_reply_db_failure(x, st);
        return;
    }
    al_reply_json(x, 200, view);
}

void al_api_member_history(al_exchange *x)
{
    const char *id = x->params[0];
    char text[32];
    long long cursor = 0, limit = HISTORY_DEFAULT;
    if (al_query_param(x, "cursor", text, sizeof(text)) &&
        ((cursor = strtoll(text, NULL, 10)) < 1)) {
        al_reply_error(x, 400, "invalid_cursor", "cursor must be a next_cursor of this list");
        return;
    }
    if (al_query_param(x, "limit", text, sizeof(text)) &&
        ((limit = strtoll(text, NULL, 10)) < 1 || limit > HISTORY_MAX)) {
        al_reply_error(x, 400, "invalid_limit", "limit must be 1 to %d", HISTORY_MAX);
        return;
    }
    al_db_param m[] = {AL_STR(x->tenant), AL_STR(id)};
    MYSQL_ROW row;
    MYSQL_RES *res =
        member_query(x, "SELECT 1 FROM members WHERE tenant_id = ? AND member_id = ?", m, 2, &row);
    if (res == NULL)
        return;
    mysql_free_result(res);
    char account[80];
    snprintf(account, sizeof(account), "member:%s", id);
    al_db_param p[] = {AL_STR(account), AL_STR(x->tenant), AL_STR(id),
                       AL_INT(cursor),  AL_INT(cursor),    AL_INT(limit)};
    al_db_status st = al_db_exec(al_db_of(x),
                                 "SELECT booking_id, kind, IF(to_account = ?, points, -points), "
                                 "IFNULL(partner_id, ''), IFNULL(ref_id, ''), " ISO(
                                     "booked_at") ", IFNULL(detail, '') FROM bookings "
                                                  "WHERE tenant_id = ? AND member_id = ? "
                                                  "AND (? = 0 OR booking_id < ?) "
                                                  "ORDER BY booking_id DESC LIMIT ?",
                                 p, 6, &res);
    if (st != AL_DB_OK) {
        al_reply_db_failure(x, st);
        return;
    }
    json_t *entries = json_array();
    long long last = 0, n = 0;
    while ((row = mysql_fetch_row(res)) != NULL) {
        json_t *detail = row[6][0] ? json_loads(row[6], 0, NULL) : NULL;
        last = strtoll(row[0], NULL, 10);
        n++;
        json_array_append_new(
            entries,
            json_pack("{s:I,s:s,s:I,s:s*,s:s*,s:s,s:o*}", "id", (json_int_t)last, "kind", row[1],
                      "points", (json_int_t)atoll(row[2]), "partner", row[3][0] ? row[3] : NULL,
                      "ref", row[4][0] ? row[4] : NULL, "booked_at", row[5], "detail", detail));
    }
    mysql_free_result(res);
    json_t *reply = json_pack("{s:s,s:o}", "member", id, "entries", entries);
    if (n == limit)
        json_object_set_new(reply, "next_cursor", json_sprintf("%lld", last));
    else
        json_object_set_new(reply, "next_cursor", json_null());
    al_reply_json(x, 200, reply);
}

typedef struct {
    const char *tenant, *member; /* alive with the request */
    char until[27];
    al_rules *rules; /* a reference */
    size_t floor;
} floor_job;

static bool set_floor(al_db *db, void *arg, al_outcome *o)
{
    floor_job *c = arg;
    return al_ledger_tier_floor(db, c->tenant, c->member, c->rules, c->floor, c->until, o);
}

static void floor_free(void *arg)
{
    floor_job *c = arg;
    al_rules_drop(c->rules);
}

/*
 * PUT /v1/members/{id}/tier {"tier","until"} (admin): the member holds at
 * least that tier, at once, until that time; the rules move them as usual
 * above it, and below it once the floor ends. Booked by a committer.
 */
void al_api_member_tier_floor(al_exchange *x)
{
    static const char *const fields[] = {"tier", "until", NULL};
    json_t *body = NULL;
    floor_job c = {.tenant = x->tenant, .member = x->params[0]};
    if (al_body_object(x, &body) != 0)
        return;
    const char *tier = json_string_value(json_object_get(body, "tier"));
    json_t *u = json_object_get(body, "until");
    if (al_body_only(x, body, fields) != 0)
        goto done;
    if (!json_is_string(u) || al_rfc3339_to_sql(json_string_value(u), c.until) != 0) {
        al_reply_error(x, 400, "invalid_field", "until must be an RFC 3339 UTC time");
        goto done;
    }
    if ((c.rules = al_tenant_rules(x, NULL)) == NULL)
        goto done;
    while (tier != NULL && c.floor < c.rules->ntiers &&
           strcmp(c.rules->tiers[c.floor].name, tier) != 0)
        c.floor++;
    if (tier == NULL || c.floor == c.rules->ntiers) {
        al_reply_error(x, 400, "invalid_field", "tier must be a level of the live rules");
        al_rules_drop(c.rules);
        goto done;
    }
    al_run_booking(x, NULL, NULL, body, al_id_hash(c.member), set_floor, &c, sizeof(c), floor_free);
done:
    json_decref(body);
}
