/*
 * Members: enrolment (tenant admin), the 360 view and the history of one
 * member (admin), and the balance a partner's till shows (partner).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "analytics/history.h"
#include "analytics/reports.h"
#include "analytics/value.h"
#include "api/audit.h"
#include "api/booking.h"
#include "api/context.h"
#include "api/lookups.h"
#include "api/members.h"
#include "api/routes.h"
#include "api/statuses.h"
#include "audit/audit.h"
#include "core/ids.h"
#include "ledger/ledger.h"
#include "ledger/members.h"
#include "ledger/referrals.h"
#include "rules/rules.h"

void al_api_member_create(al_exchange *x)
{
    static const char *const fields[] = {"id", "profile", "referral_code", NULL};
    json_t *body = NULL;
    const char *id, *code = NULL;
    char *profile = NULL, referrer[AL_ID_MAX + 1] = "";
    if (al_body_object(x, &body) != 0)
        return;
    if (al_body_only(x, body, fields) != 0 || al_body_id(x, body, "id", &id) != 0 ||
        (json_object_get(body, "referral_code") != NULL &&
         al_body_string(x, body, "referral_code", AL_REFERRAL_CODE_LEN, &code) != 0))
        goto done;
    json_t *p = json_object_get(body, "profile");
    if (p != NULL && !json_is_object(p)) {
        al_reply_error(x, 400, "invalid_field", "profile must be an object");
        goto done;
    }
    profile = p ? json_dumps(p, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
    bool exists = false;
    al_enrol_result result = AL_ENROL_DONE;
    al_db_status st =
        code ? al_member_enrol_referred(al_db_of(x), x->tenant, id, profile ? profile : "{}", code,
                                        &result, referrer)
             : al_member_create(al_db_of(x), x->tenant, id, profile ? profile : "{}", &exists);
    if (exists || result == AL_ENROL_EXISTS)
        al_reply_error(x, 409, "member_exists", "member %s already exists", id);
    else if (result == AL_ENROL_UNKNOWN_CODE)
        al_reply_error(x, 422, "unknown_referral_code", "no member has the referral code %s", code);
    else if (st != AL_DB_OK)
        al_reply_db_failure(x, st);
    else {
        al_api_audit(x, x->tenant, "member.create", id, NULL,
                     json_pack("{s:o,s:s*}", "profile", p ? json_incref(p) : json_object(),
                               "referred_by", code ? referrer : NULL));
        al_reply_json(x, 201,
                      json_pack("{s:s,s:o,s:s,s:i,s:i,s:o}", "id", id, "profile",
                                p ? json_incref(p) : json_object(), "status", "active", "available",
                                0, "held", 0, "referred_by",
                                code ? json_string(referrer) : json_null()));
    }
done:
    free(profile);
    json_decref(body);
}

/* The list's filters from the query into q; 0, or -1 after a 400. */
static int list_filters(al_exchange *x, al_analytics_query *q)
{
    char text[16];
    q->blocked = -1;
    if (al_query_value(x, "prefix", q->prefix, sizeof(q->prefix)) && !al_id_valid(q->prefix)) {
        al_reply_error(x, 400, "invalid_parameter", "prefix must be the start of a member id");
        return -1;
    }
    if (al_query_value(x, "tier", q->tier, sizeof(q->tier)) && !al_id_valid(q->tier)) {
        al_reply_error(x, 400, "invalid_parameter", "tier must be a tier name");
        return -1;
    }
    if (al_query_value(x, "blocked", text, sizeof(text))) {
        if (strcmp(text, "true") != 0 && strcmp(text, "false") != 0) {
            al_reply_error(x, 400, "invalid_parameter", "blocked must be true or false");
            return -1;
        }
        q->blocked = text[0] == 't';
    }
    q->only = -1;
    if (al_query_value(x, "stage", text, sizeof(text)) && (q->only = al_stage_by_name(text)) < 0) {
        al_reply_error(x, 400, "invalid_parameter", "stage must be one of the lifecycle stages");
        return -1;
    }
    return 0;
}

/* A stage is the one of today in the tenant's zone: q's zone and day; -1 after replying. */
static int stage_day(al_exchange *x, al_analytics_query *q)
{
    al_tenant t;
    if (al_tenant_load(x, &t) != 0)
        return -1;
    snprintf(q->time_zone, sizeof(q->time_zone), "%s", t.time_zone);
    q->as_of = al_day_today_in(al_tz_get(t.time_zone));
    return 0;
}

/*
 * GET /v1/members?prefix=&tier=&blocked=&stage=&cursor=&limit=: by id. With a
 * stage, the list runs on a report thread (a stage needs every member's history).
 */
void al_api_member_list(al_exchange *x)
{
    al_analytics_query q = {0};
    long long limit;
    if (list_filters(x, &q) != 0 || al_query_page_by_id(x, q.after, &limit) != 0)
        return;
    q.limit = (size_t)limit;
    snprintf(q.tenant, sizeof(q.tenant), "%s", x->tenant);
    if (q.only >= 0) {
        if (stage_day(x, &q) == 0)
            al_run_report(x, al_members_in_stage_report, &q, sizeof(q), NULL);
        return;
    }
    al_member_filter f = {.prefix = q.prefix[0] ? q.prefix : NULL,
                          .tier = q.tier[0] ? q.tier : NULL,
                          .blocked = q.blocked};
    al_member_summary *rows = NULL;
    size_t n = 0;
    al_db_status st = al_members_page(al_db_of(x), x->tenant, &f, q.after, limit, &rows, &n);
    if (st != AL_DB_OK) {
        free(rows);
        al_reply_db_failure(x, st);
        return;
    }
    json_t *items = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(items, al_member_summary_json(&rows[i], NULL));
    json_t *next = al_page_next(n, limit, n ? rows[n - 1].id : NULL);
    free(rows);
    al_reply_json(x, 200, json_pack("{s:o,s:o}", "members", items, "next_cursor", next));
}

/* The usual answers of a member lookup; true when found (else it has replied). */
bool al_member_found(al_exchange *x, al_db_status st, bool found)
{
    if (st != AL_DB_OK)
        al_reply_db_failure(x, st);
    else if (!found)
        al_reply_error(x, 404, "member_not_found", "no such member");
    return st == AL_DB_OK && found;
}

void al_api_member_balance(al_exchange *x)
{
    const char *id = x->params[0];
    int64_t available = 0, held = 0;
    bool found = false;
    al_db_status st = al_member_balance(al_db_of(x), x->tenant, id, &available, &held, &found);
    if (al_member_found(x, st, found))
        al_reply_json(x, 200,
                      json_pack("{s:s,s:I,s:I}", "member", id, "available", (json_int_t)available,
                                "held", (json_int_t)held));
}

/* Adds the next expiries, the per-partner activity and the tier history to the 360 view. */
static al_db_status add_activity(al_exchange *x, const char *id, json_t *view)
{
    al_db *db = al_db_of(x);
    al_expiry next[AL_NEXT_EXPIRIES];
    size_t n = 0;
    al_db_status st = al_member_next_expiries(db, x->tenant, id, next, &n);
    if (st != AL_DB_OK)
        return st;
    json_t *expiries = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(expiries, json_pack("{s:I,s:s}", "points", (json_int_t)next[i].points,
                                                  "expires_at", next[i].expires_at));
    json_object_set_new(json_object_get(view, "balance"), "next_expiries", expiries);

    al_partner_activity *act = NULL;
    st = al_member_partner_activity(db, x->tenant, id, &act, &n);
    if (st != AL_DB_OK) {
        free(act);
        return st;
    }
    json_t *partners = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(partners,
                              json_pack("{s:s,s:I,s:I,s:I,s:I,s:I,s:s}", "partner", act[i].partner,
                                        "transactions", (json_int_t)act[i].transactions,
                                        "points_earned", (json_int_t)act[i].points_earned,
                                        "redemptions", (json_int_t)act[i].redemptions,
                                        "points_redeemed", (json_int_t)act[i].points_redeemed,
                                        "points_reversed", (json_int_t)act[i].points_reversed,
                                        "last_activity_at", act[i].last_activity_at));
    free(act);
    json_object_set_new(view, "partners", partners);

    al_tier_change changes[AL_TIER_HISTORY];
    st = al_member_tier_history(db, x->tenant, id, changes, &n);
    if (st != AL_DB_OK)
        return st;
    json_t *history = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(history, json_pack("{s:s,s:s,s:s,s:s,s:i}", "at", changes[i].at,
                                                 "from", changes[i].from, "to", changes[i].to,
                                                 "reason", changes[i].reason, "rules_version",
                                                 changes[i].rules_version));
    json_object_set_new(view, "tier_history", history);
    return AL_DB_OK;
}

void al_api_member_get(al_exchange *x)
{
    const char *id = x->params[0];
    al_member m;
    bool found = false;
    al_db_status st = al_member_get(al_db_of(x), x->tenant, id, &m, &found);
    if (!al_member_found(x, st, found)) {
        al_member_clear(&m);
        return;
    }
    json_t *profile = json_loads(m.profile, 0, NULL);
    json_t *view = json_pack(
        "{s:s,s:o,s:s,s:s,s:s*,s:{s:I,s:I,s:I,s:I,s:I},s:s,s:n}", "id", id, "profile",
        profile ? profile : json_object(), "status", m.status, "created_at", m.created_at,
        "last_activity_at", m.last_activity_at[0] ? m.last_activity_at : NULL, "balance",
        "available", (json_int_t)m.available, "held", (json_int_t)m.held, "debt",
        (json_int_t)m.debt, "lifetime_earned", (json_int_t)m.lifetime_earned, "lifetime_redeemed",
        (json_int_t)m.lifetime_redeemed, "tier", m.tier, "lifecycle_stage");
    al_member_clear(&m);
    al_stage stage;
    al_tenant t;
    if (al_tenant_load(x, &t) != 0) {
        json_decref(view);
        return;
    }
    const al_tz *tz = al_tz_get(t.time_zone);
    st = al_member_stage(al_db_of(x), x->tenant, id, al_day_today_in(tz), tz, &stage);
    if (st == AL_DB_OK) {
        json_object_set_new(view, "lifecycle_stage", json_string(al_stage_name(stage)));
        st = add_activity(x, id, view);
    }
    json_t *referral = NULL;
    if (st == AL_DB_OK &&
        (st = al_referral_view(al_db_of(x), x->tenant, id, &referral)) == AL_DB_OK)
        json_object_set_new(view, "referral", referral);
    if (st != AL_DB_OK) {
        json_decref(view);
        al_reply_db_failure(x, st);
        return;
    }
    al_reply_json(x, 200, view);
}

void al_reply_member_history(al_exchange *x, const char *id)
{
    long long cursor, limit;
    if (al_query_page(x, &cursor, &limit) != 0)
        return;
    int64_t available, held;
    bool found = false;
    al_db_status st = al_member_balance(al_db_of(x), x->tenant, id, &available, &held, &found);
    if (!al_member_found(x, st, found))
        return;
    al_history_entry *rows = NULL;
    size_t n = 0;
    st = al_member_history(al_db_of(x), x->tenant, id, cursor, limit, &rows, &n);
    if (st != AL_DB_OK) {
        al_history_free(rows, n);
        al_reply_db_failure(x, st);
        return;
    }
    json_t *entries = json_array();
    for (size_t i = 0; i < n; i++) {
        const al_history_entry *e = &rows[i];
        json_t *detail = e->detail ? json_loads(e->detail, 0, NULL) : NULL;
        json_array_append_new(
            entries, json_pack("{s:I,s:s,s:I,s:s*,s:s*,s:s,s:s*,s:o*}", "id", (json_int_t)e->id,
                               "kind", e->kind, "points", (json_int_t)e->points, "partner",
                               e->partner[0] ? e->partner : NULL, "ref", e->ref[0] ? e->ref : NULL,
                               "booked_at", e->booked_at, "occurred_at",
                               e->occurred_at[0] ? e->occurred_at : NULL, "detail", detail));
    }
    json_t *reply = json_pack("{s:s,s:o}", "member", id, "entries", entries);
    json_object_set_new(reply, "next_cursor", al_page_next_id(n, limit, n ? rows[n - 1].id : 0));
    al_history_free(rows, n);
    al_reply_json(x, 200, reply);
}

void al_api_member_history(al_exchange *x)
{
    al_reply_member_history(x, x->params[0]);
}

typedef struct {
    const char *tenant, *member; /* alive with the request */
    char until[27];
    al_rules *rules; /* a reference */
    size_t floor;
    char actor[48], request_id[AL_ID_MAX + 1]; /* for the audit log */
} floor_job;

/* The floor, and its audit row in the same transaction. */
static bool set_floor(al_db *db, void *arg, al_outcome *o)
{
    floor_job *c = arg;
    if (!al_ledger_tier_floor(db, c->tenant, c->member, c->rules, c->floor, c->until, o))
        return false;
    char until[AL_RFC3339_MAX];
    al_sql_to_rfc3339(c->until, until);
    json_t *after = json_pack("{s:s,s:s}", "tier", c->rules->tiers[c->floor].name, "until", until);
    al_audit_entry e = {.tenant = c->tenant,
                        .actor = c->actor,
                        .request_id = c->request_id,
                        .action = "member.tier_floor",
                        .target = c->member,
                        .after = after};
    al_db_status st = al_audit_append_in(db, &e);
    json_decref(after);
    if (st != AL_DB_OK) {
        json_decref(o->reply);
        o->reply = NULL;
        return al_db_failed(o, st);
    }
    return true;
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
    al_api_actor(x, c.actor);
    snprintf(c.request_id, sizeof(c.request_id), "%s", x->request_id);
    if (al_body_object(x, &body) != 0)
        return;
    const char *tier = json_string_value(json_object_get(body, "tier"));
    json_t *u = json_object_get(body, "until");
    if (al_body_only(x, body, fields) != 0)
        goto done;
    if (!json_is_string(u) || al_rfc3339_to_sql(json_string_value(u), c.until) != 0) {
        al_reply_error(x, 400, "invalid_field", "until must be an RFC 3339 time (Z or an offset)");
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

/* POST /v1/members/{id}/block and /unblock (admin). */
static void set_blocked(al_exchange *x, bool blocked)
{
    bool found = false;
    al_db_status st = al_member_set_blocked(al_db_of(x), x->tenant, x->params[0], blocked, &found);
    if (st != AL_DB_OK)
        al_reply_db_failure(x, st);
    else if (!found)
        al_reply_error(x, 404, "member_not_found", "no member %s", x->params[0]);
    else {
        al_api_audit(x, x->tenant, blocked ? "member.block" : "member.unblock", x->params[0], NULL,
                     json_pack("{s:s}", "status", blocked ? "blocked" : "active"));
        al_reply_json(x, 200,
                      json_pack("{s:s,s:s}", "member", x->params[0], "status",
                                blocked ? "blocked" : "active"));
    }
}

void al_api_member_block(al_exchange *x)
{
    set_blocked(x, true);
}

void al_api_member_unblock(al_exchange *x)
{
    set_blocked(x, false);
}
