/*
 * The rewards catalogue (catalogue/catalogue.h says how a redemption, its
 * voucher and the stock hold together). Admins (program, owner) offer items:
 * POST /v1/catalogue, PATCH /v1/catalogue/{id}; everyone of the tenant reads
 * GET /v1/catalogue[/{id}]. A member's app, with its token, reads what it may
 * redeem (GET /v1/me/catalogue), redeems (POST /v1/me/redemptions {"id",
 * "item"}: exactly once by id), lists its vouchers (GET /v1/me/vouchers) and
 * cancels one (POST /v1/me/vouchers/{code}/cancel). The offering partner
 * verifies a voucher (GET /v1/vouchers/{code}), marks it used
 * (POST .../use) or cancels it (POST .../cancel).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "api/audit.h"
#include "api/booking.h"
#include "api/context.h"
#include "api/lookups.h"
#include "api/routes.h"
#include "api/statuses.h"
#include "catalogue/catalogue.h"
#include "core/limits.h"
#include "core/tz.h"
#include "ledger/members.h"
#include "partners/partners.h"

/* An optional whole number field in [min, max]; 0, or -1 after replying. */
static int int_field(al_exchange *x, json_t *body, const char *name, int64_t min, int64_t max,
                     int64_t *out)
{
    json_t *v = json_object_get(body, name);
    if (v == NULL || json_is_null(v))
        return 0;
    if (!json_is_integer(v) || json_integer_value(v) < min || json_integer_value(v) > max) {
        al_reply_error(x, 400, "invalid_field", "%s must be an integer from %lld to %lld", name,
                       (long long)min, (long long)max);
        return -1;
    }
    *out = json_integer_value(v);
    return 0;
}

/* An optional RFC 3339 time into a DATETIME ("" when absent or null); 0, or -1 after replying. */
static int time_field(al_exchange *x, json_t *body, const char *name, char out[27])
{
    json_t *v = json_object_get(body, name);
    out[0] = '\0';
    if (v == NULL || json_is_null(v))
        return 0;
    if (!json_is_string(v) || al_rfc3339_to_sql(json_string_value(v), out) != 0) {
        al_reply_error(x, 400, "invalid_field", "%s must be an RFC 3339 time (Z or an offset)",
                       name);
        return -1;
    }
    return 0;
}

/* The item a body describes (id from the path when patching); 0, or -1 after replying. */
static int item_of_body(al_exchange *x, json_t *body, al_item *it)
{
    static const char *const fields[] = {
        "id",    "partner",    "name",        "points", "cash_minor",   "currency", "stock",
        "limit", "valid_from", "valid_until", "tiers",  "voucher_days", "status",   NULL};
    const char *id, *partner, *name;
    if (al_body_only(x, body, fields) != 0 || al_body_id(x, body, "id", &id) != 0 ||
        al_body_id(x, body, "partner", &partner) != 0 ||
        al_body_string(x, body, "name", 200, &name) != 0)
        return -1;
    memset(it, 0, sizeof(*it));
    snprintf(it->id, sizeof(it->id), "%s", id);
    snprintf(it->partner, sizeof(it->partner), "%s", partner);
    snprintf(it->name, sizeof(it->name), "%s", name);
    it->stock = -1;
    it->voucher_days = 30;
    if (json_object_get(body, "points") == NULL) {
        al_reply_error(x, 400, "missing_field", "points is required");
        return -1;
    }
    if (int_field(x, body, "points", 1, AL_MAX_POINTS, &it->points) != 0 ||
        int_field(x, body, "cash_minor", 0, AL_MAX_POINTS, &it->cash_minor) != 0 ||
        int_field(x, body, "stock", 0, AL_MAX_POINTS, &it->stock) != 0 ||
        int_field(x, body, "voucher_days", 1, 365, &it->voucher_days) != 0 ||
        time_field(x, body, "valid_from", it->valid_from) != 0 ||
        time_field(x, body, "valid_until", it->valid_until) != 0)
        return -1;
    json_t *currency = json_object_get(body, "currency");
    if (it->cash_minor > 0 || (currency != NULL && !json_is_null(currency))) {
        const char *c = json_string_value(currency);
        if (c == NULL || strlen(c) != 3 || strspn(c, "ABCDEFGHIJKLMNOPQRSTUVWXYZ") != 3) {
            al_reply_error(x, 400, "invalid_field",
                           "currency (ISO 4217, three capitals) goes with cash_minor");
            return -1;
        }
        snprintf(it->currency, sizeof(it->currency), "%s", c);
    }
    json_t *limit = json_object_get(body, "limit");
    if (limit != NULL && !json_is_null(limit)) {
        json_t *count = json_object_get(limit, "count");
        if (!json_is_object(limit) || json_object_size(limit) != 2 || !json_is_integer(count) ||
            json_integer_value(count) < 1 || json_integer_value(count) > 1000000 ||
            al_period_named(json_string_value(json_object_get(limit, "period")),
                            &it->limit_period) != 0) {
            al_reply_error(x, 400, "invalid_field",
                           "limit must be {\"count\": 1 to 1000000, \"period\": day, week, month, "
                           "year or ever}");
            return -1;
        }
        it->limit_count = json_integer_value(count);
    }
    json_t *tiers = json_object_get(body, "tiers");
    if (tiers != NULL && !json_is_null(tiers)) {
        size_t i;
        json_t *t;
        bool ok = json_is_array(tiers) && json_array_size(tiers) > 0;
        json_array_foreach (tiers, i, t) {
            if (!json_is_string(t) || json_string_length(t) == 0 || json_string_length(t) > 32)
                ok = false;
        }
        char *text = ok ? json_dumps(tiers, JSON_COMPACT) : NULL;
        if (text == NULL || strlen(text) > AL_ITEM_TIERS_MAX) {
            free(text);
            al_reply_error(x, 400, "invalid_field", "tiers must be a list of tier names");
            return -1;
        }
        snprintf(it->tiers, sizeof(it->tiers), "%s", text);
        free(text);
    }
    const char *status = json_string_value(json_object_get(body, "status"));
    if (json_object_get(body, "status") != NULL &&
        (status == NULL || (strcmp(status, "active") != 0 && strcmp(status, "withdrawn") != 0))) {
        al_reply_error(x, 400, "invalid_field", "status must be active or withdrawn");
        return -1;
    }
    snprintf(it->status, sizeof(it->status), "%s", status ? status : "active");
    if (it->valid_from[0] && it->valid_until[0] && strcmp(it->valid_from, it->valid_until) >= 0) {
        al_reply_error(x, 400, "invalid_field", "valid_until must come after valid_from");
        return -1;
    }
    /* The offering partner is one of the tenant's. */
    al_partner p = {0};
    bool found = false;
    al_db_status st = al_partner_get(al_db_of(x), x->tenant, it->partner, &p, &found);
    al_partner_clear(&p);
    if (st != AL_DB_OK) {
        al_reply_db_failure(x, st);
        return -1;
    }
    if (!found) {
        al_reply_error(x, 422, "unknown_partner", "no partner %s in this alliance", it->partner);
        return -1;
    }
    return 0;
}

/* Saves the item of body (create, or patch: path's item merged with body) and answers it. */
static void save(al_exchange *x, json_t *body, bool create)
{
    al_item it;
    if (item_of_body(x, body, &it) != 0)
        return;
    bool clash = false;
    al_db_status st = al_item_save(al_db_of(x), x->tenant, &it, create, &clash);
    bool found = false;
    if (st == AL_DB_OK && !clash)
        st = al_item_get(al_db_of(x), x->tenant, it.id, &it, &found);
    if (st != AL_DB_OK) {
        al_reply_db_failure(x, st);
        return;
    }
    if (clash) {
        al_reply_error(x, create ? 409 : 404, create ? "item_exists" : "item_not_found",
                       create ? "an item %s exists" : "no catalogue item %s", it.id);
        return;
    }
    json_t *answer = al_item_json(&it);
    al_api_audit(x, x->tenant, create ? "catalogue.create" : "catalogue.update", it.id, NULL,
                 json_incref(answer));
    al_reply_json(x, create ? 201 : 200, answer);
}

void al_api_catalogue_create(al_exchange *x)
{
    json_t *body = NULL;
    if (al_body_object(x, &body) != 0)
        return;
    save(x, body, true);
    json_decref(body);
}

/* The path's item, or NULL after replying 404 (or 503). */
static json_t *item_answer(al_exchange *x, const char *id)
{
    al_item it;
    bool found = false;
    al_db_status st = al_item_get(al_db_of(x), x->tenant, id, &it, &found);
    if (st != AL_DB_OK)
        al_reply_db_failure(x, st);
    else if (!found)
        al_reply_error(x, 404, "item_not_found", "no catalogue item %s", id);
    return st == AL_DB_OK && found ? al_item_json(&it) : NULL;
}

void al_api_catalogue_patch(al_exchange *x)
{
    json_t *body = NULL, *now = NULL;
    if (al_body_object(x, &body) != 0)
        return;
    if (json_object_get(body, "id") != NULL || json_object_get(body, "partner") != NULL) {
        al_reply_error(x, 400, "invalid_field", "an item's id and partner stay as they are");
    } else if ((now = item_answer(x, x->params[0])) != NULL) {
        /* Absent fields keep their value; the whole is checked again. */
        static const char *const derived[] = {"taken", "left", "created_at", "updated_at"};
        for (size_t i = 0; i < sizeof(derived) / sizeof(derived[0]); i++)
            json_object_del(now, derived[i]);
        json_object_update(now, body);
        save(x, now, false);
    }
    json_decref(now);
    json_decref(body);
}

void al_api_catalogue_get(al_exchange *x)
{
    json_t *answer = item_answer(x, x->params[0]);
    if (answer != NULL)
        al_reply_json(x, 200, answer);
}

void al_api_catalogue_list(al_exchange *x)
{
    long long limit;
    char after[AL_ID_MAX + 1] = "";
    if (al_query_limit(x, &limit) != 0)
        return;
    al_query_value(x, "cursor", after, sizeof(after));
    al_item *items = NULL;
    size_t n = 0;
    al_db_status st = al_items_page(al_db_of(x), x->tenant, after, limit, &items, &n);
    if (st != AL_DB_OK) {
        free(items);
        al_reply_db_failure(x, st);
        return;
    }
    json_t *list = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(list, al_item_json(&items[i]));
    json_t *next = al_page_next(n, limit, n ? items[n - 1].id : NULL);
    free(items);
    al_reply_json(x, 200, json_pack("{s:o,s:o}", "items", list, "next_cursor", next));
}

/* The tenant's local time now (its zone decides the limits' periods); -1 after replying. */
static int local_now(al_exchange *x, int64_t *out)
{
    al_tenant t;
    if (al_tenant_load(x, &t) != 0)
        return -1;
    *out = al_tz_local(al_tz_get(t.time_zone), (int64_t)time(NULL));
    return 0;
}

void al_api_me_catalogue(al_exchange *x)
{
    int64_t now = 0;
    if (local_now(x, &now) != 0)
        return;
    char tier[AL_TIER_NAME_MAX] = "";
    json_t *items = NULL;
    al_db_status st = al_member_tier_of(al_db_of(x), x->tenant, x->member, tier);
    if (st == AL_DB_OK)
        st = al_items_for_member(al_db_of(x), x->tenant, x->member, tier, now, &items);
    if (st != AL_DB_OK) {
        json_decref(items);
        al_reply_db_failure(x, st);
        return;
    }
    al_reply_json(x, 200,
                  json_pack("{s:s,s:s,s:o}", "member", x->member, "tier", tier, "items", items));
}

static bool redeem(al_db *db, void *ctx, al_outcome *o)
{
    return al_voucher_redeem(db, ctx, o);
}

void al_api_me_redeem(al_exchange *x)
{
    static const char *const fields[] = {"id", "item", NULL};
    json_t *body = NULL;
    const char *id, *item;
    if (al_body_object(x, &body) != 0)
        return;
    if (al_body_only(x, body, fields) != 0 || al_body_id(x, body, "id", &id) != 0 ||
        al_body_id(x, body, "item", &item) != 0)
        goto done;
    al_voucher_request q = {0};
    if (local_now(x, &q.local_now) != 0)
        goto done;
    snprintf(q.tenant, sizeof(q.tenant), "%s", x->tenant);
    snprintf(q.member, sizeof(q.member), "%s", x->member);
    snprintf(q.request_id, sizeof(q.request_id), "%s", id);
    snprintf(q.item, sizeof(q.item), "%s", item);
    /* Exactly once by the voucher's own key (member, id): no idempotency record. */
    al_run_booking(x, NULL, id, body, al_id_hash(x->member), redeem, &q, sizeof(q), NULL);
done:
    json_decref(body);
}

void al_api_me_vouchers(al_exchange *x)
{
    long long cursor, limit;
    if (al_query_page(x, &cursor, &limit) != 0)
        return;
    al_voucher *v = NULL;
    size_t n = 0;
    al_db_status st =
        al_vouchers_of_member(al_db_of(x), x->tenant, x->member, cursor, limit, &v, &n);
    if (st != AL_DB_OK) {
        free(v);
        al_reply_db_failure(x, st);
        return;
    }
    json_t *list = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(list, al_voucher_json(&v[i]));
    json_t *next = al_page_next_id(n, limit, n ? v[n - 1].seq : 0);
    free(v);
    al_reply_json(
        x, 200,
        json_pack("{s:s,s:o,s:o}", "member", x->member, "vouchers", list, "next_cursor", next));
}

static bool finish(al_db *db, void *ctx, al_outcome *o)
{
    return al_voucher_finish(db, ctx, o);
}

/* A voucher used or cancelled, by its partner or (cancelled) by its member. */
static void end_voucher(al_exchange *x, bool use)
{
    const char *code = x->params[0];
    if (strlen(code) != AL_VOUCHER_CODE_LEN) {
        al_reply_error(x, 404, "voucher_not_found", "no voucher %s", code);
        return;
    }
    al_voucher_end e = {.use = use};
    snprintf(e.tenant, sizeof(e.tenant), "%s", x->tenant);
    snprintf(e.code, sizeof(e.code), "%s", code);
    snprintf(e.partner, sizeof(e.partner), "%s", x->role == AL_ROLE_PARTNER ? x->partner : "");
    snprintf(e.member, sizeof(e.member), "%s", x->role == AL_ROLE_MEMBER ? x->member : "");
    al_run_booking(x, NULL, code, NULL, al_id_hash(code), finish, &e, sizeof(e), NULL);
}

void al_api_voucher_use(al_exchange *x)
{
    end_voucher(x, true);
}

void al_api_voucher_cancel(al_exchange *x)
{
    end_voucher(x, false);
}

void al_api_voucher_get(al_exchange *x)
{
    al_voucher v;
    bool found = false;
    al_db_status st = al_voucher_get(al_db_of(x), x->tenant, x->params[0], &v, &found);
    if (st != AL_DB_OK)
        al_reply_db_failure(x, st);
    else if (!found || strcmp(v.partner, x->partner) != 0)
        al_reply_error(x, 404, "voucher_not_found", "no voucher %s", x->params[0]);
    else
        al_reply_json(x, 200, al_voucher_json(&v));
}
