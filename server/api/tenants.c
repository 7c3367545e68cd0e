/*
 * Tenants (alliances). The operator creates them; the admin key is returned
 * once and only its hash is stored, so a reused id is always a 409: the key of
 * the first creation cannot be shown again.
 */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "api/audit.h"
#include "api/context.h"
#include "api/credentials.h"
#include "api/routes.h"
#include "api/statuses.h"
#include "auth/admin_keys.h"
#include "core/tz.h"
#include "tenants/directory.h"
#include "tenants/tenants.h"

void al_api_tenant_create(al_exchange *x)
{
    static const char *const fields[] = {"id", "name", "cluster", NULL};
    json_t *body = NULL;
    const char *id, *name;
    if (al_body_object(x, &body) != 0)
        return;
    if (al_body_only(x, body, fields) != 0 || al_body_id(x, body, "id", &id) != 0 ||
        al_body_string(x, body, "name", 200, &name) != 0)
        goto done;
    /* The cluster it lives on: a configured one by name, main by default. */
    const al_clusters *clusters = al_directory_clusters();
    json_t *cluster = json_object_get(body, "cluster");
    int k = 0;
    if (cluster != NULL && (!json_is_string(cluster) ||
                            (k = al_cluster_find(clusters, json_string_value(cluster))) < 0)) {
        al_reply_error(x, 422, "unknown_cluster",
                       "cluster must name a database cluster this server has (main, or one of "
                       "db_clusters)");
        goto done;
    }

    char key[AL_ADMIN_KEY_LEN + 1], hash[65];
    if (al_admin_key_new(key, hash) != 0) {
        al_reply_error(x, 500, "internal_error", "no randomness for a key");
        goto done;
    }
    /* The directory on main first: it keeps ids apart across clusters. */
    bool exists = false;
    al_db_status st = al_directory_place(al_db_main(x), id, k, &exists);
    x->cluster = k;
    if (st == AL_DB_OK && !exists) {
        st = al_tenant_create(al_db_of(x), id, name, hash, &exists);
        if (st != AL_DB_OK)
            al_directory_unplace(al_db_main(x), id); /* nothing stays of a refused creation */
    }
    if (exists)
        al_reply_error(x, 409, "tenant_exists", "a tenant with id %s already exists", id);
    else if (st != AL_DB_OK)
        al_reply_db_failure(x, st);
    else {
        al_api_audit(x, id, "tenant.create", id, NULL,
                     json_pack("{s:s,s:s}", "name", name, "cluster", clusters->names[k]));
        al_reply_json(x, 201,
                      json_pack("{s:s,s:s,s:s,s:s}", "id", id, "name", name, "cluster",
                                clusters->names[k], "admin_key", key));
    }
done:
    json_decref(body);
}

static json_t *tenant_json(const al_tenant *t)
{
    return json_pack("{s:s,s:s,s:s,s:{s:b,s:i,s:i,s:s,s:{s:i,s:i},s:{s:i,s:i}}}", "id", t->id,
                     "name", t->name, "created_at", t->created_at, "settings", "auto_enrol",
                     t->auto_enrol, "expiry_months", t->expiry_months, "expiry_notice_days",
                     t->expiry_notice_days, "time_zone", t->time_zone, "partner_rate", "per_second",
                     t->partner_rate.per_second, "burst", t->partner_rate.burst, "admin_rate",
                     "per_second", t->admin_rate.per_second, "burst", t->admin_rate.burst);
}

/* The tenant as JSON for the audit log, or NULL. */
static json_t *tenant_now(al_exchange *x, const char *id)
{
    al_tenant t;
    bool found = false;
    return al_tenant_get(al_db_of(x), id, &t, &found) == AL_DB_OK && found ? tenant_json(&t) : NULL;
}

/*
 * GET /v1/tenants?cursor=&limit= (operator): every tenant by id, read on its
 * cluster; one whose cluster does not answer is listed with "available": false.
 */
void al_api_tenant_list(al_exchange *x)
{
    char after[AL_ID_MAX + 1];
    long long limit;
    if (al_query_page_by_id(x, after, &limit) != 0)
        return;
    al_directory_entry *rows = NULL;
    size_t n = 0;
    al_db_status st = al_directory_page(al_db_main(x), after, limit, &rows, &n);
    if (st != AL_DB_OK) {
        free(rows);
        al_reply_db_failure(x, st);
        return;
    }
    /* One query a cluster: each row's tenant found in its cluster's answer (both in id order). */
    const al_clusters *cl = al_directory_clusters();
    const al_tenant **of = calloc(n ? n : 1, sizeof(const al_tenant *));
    const char **ids = calloc(n ? n : 1, sizeof(*ids));
    al_tenant *read[AL_MAX_CLUSTERS] = {0};
    for (int c = 0; c < cl->n && of != NULL && ids != NULL; c++) {
        size_t k = 0, got = 0;
        for (size_t i = 0; i < n; i++)
            if (rows[i].cluster == c)
                ids[k++] = rows[i].tenant;
        if (k == 0 || al_tenants_get(&al_ctx_of(x)->dbs.db[c], ids, k, &read[c], &got) != AL_DB_OK)
            continue; /* that cluster does not answer: its tenants are listed unavailable */
        for (size_t i = 0, j = 0; i < n; i++) {
            if (rows[i].cluster != c)
                continue;
            while (j < got && strcmp(read[c][j].id, rows[i].tenant) < 0)
                j++;
            if (j < got && strcmp(read[c][j].id, rows[i].tenant) == 0)
                of[i] = &read[c][j];
        }
    }
    json_t *items = json_array();
    for (size_t i = 0; i < n; i++) {
        int c = rows[i].cluster;
        if (of != NULL && of[i] != NULL) {
            json_t *j = tenant_json(of[i]);
            json_object_set_new(j, "cluster", json_string(cl->names[c]));
            json_object_set_new(j, "available", json_true());
            json_array_append_new(items, j);
        } else
            json_array_append_new(items,
                                  json_pack("{s:s,s:s*,s:b}", "id", rows[i].tenant, "cluster",
                                            c >= 0 ? cl->names[c] : NULL, "available", 0));
    }
    for (int c = 0; c < cl->n; c++)
        free(read[c]);
    free(of);
    free(ids);
    json_t *next = al_page_next(n, limit, n ? rows[n - 1].tenant : NULL);
    free(rows);
    al_reply_json(x, 200, json_pack("{s:o,s:o}", "tenants", items, "next_cursor", next));
}

void al_api_tenant_get(al_exchange *x)
{
    const char *id = x->params[0];
    if (al_role_is_admin(x->role) && strcmp(id, x->tenant) != 0) {
        al_reply_error(x, 403, "wrong_tenant", "an admin key reads its own tenant only");
        return;
    }
    if (al_route_tenant(x, id) != 0)
        return;
    if (!al_id_valid(id)) {
        al_reply_error(x, 404, "not_found", "no such tenant");
        return;
    }
    al_tenant t;
    bool found = false;
    al_db_status st = al_tenant_get(al_db_of(x), id, &t, &found);
    if (st != AL_DB_OK)
        al_reply_db_failure(x, st);
    else if (!found)
        al_reply_error(x, 404, "not_found", "no such tenant");
    else {
        json_t *j = tenant_json(&t);
        json_object_set_new(j, "cluster", json_string(al_directory_clusters()->names[x->cluster]));
        al_reply_json(x, 200, j);
    }
}

/*
 * settings.<field>: {"per_second", "burst"}, each 0 to 1,000,000 (0: no
 * limit; a burst of 0 is per_second). 0 with *has when given, -1 after a 400.
 */
static int rate_of(al_exchange *x, json_t *settings, const char *field, al_rate *out, bool *has)
{
    static const char *const fields[] = {"per_second", "burst", NULL};
    json_t *r = json_object_get(settings, field);
    if (r == NULL)
        return 0;
    json_t *per = json_object_get(r, "per_second"), *burst = json_object_get(r, "burst");
    if (!json_is_object(r) || al_body_only(x, r, fields) != 0) {
        if (!json_is_object(r))
            al_reply_error(x, 400, "invalid_field", "settings.%s is {\"per_second\", \"burst\"}",
                           field);
        return -1;
    }
    if ((per != NULL && (!json_is_integer(per) || json_integer_value(per) < 0 ||
                         json_integer_value(per) > 1000000)) ||
        (burst != NULL && (!json_is_integer(burst) || json_integer_value(burst) < 0 ||
                           json_integer_value(burst) > 1000000))) {
        al_reply_error(x, 400, "invalid_field",
                       "settings.%s.per_second and .burst are whole numbers from 0 to 1000000",
                       field);
        return -1;
    }
    out->per_second = per ? (int)json_integer_value(per) : 0;
    out->burst = burst ? (int)json_integer_value(burst) : 0;
    *has = true;
    return 0;
}

/*
 * PATCH /v1/tenants/{id}: {"name", "settings": {"auto_enrol", "expiry_months",
 * "expiry_notice_days", "time_zone", "partner_rate", "admin_rate"}},
 * any of them. auto_enrol: unknown members are enrolled on their first earn.
 * expiry_months: points lapse at the end of that many months after the month
 * they were earned (for points earned from now on).
 */
void al_api_tenant_patch(al_exchange *x)
{
    static const char *const fields[] = {"name", "settings", NULL};
    static const char *const settings_fields[] = {
        "auto_enrol", "expiry_months", "expiry_notice_days",
        "time_zone",  "partner_rate",  "admin_rate",
        NULL};
    const char *id = x->params[0];
    json_t *body = NULL;
    if (al_role_is_admin(x->role) && strcmp(id, x->tenant) != 0) {
        al_reply_error(x, 403, "wrong_tenant", "an admin key changes its own tenant only");
        return;
    }
    if (al_route_tenant(x, id) != 0)
        return;
    if (al_body_object(x, &body) != 0)
        return;
    json_t *settings = json_object_get(body, "settings");
    json_t *name = json_object_get(body, "name");
    const char *name_text = NULL;
    if (al_body_only(x, body, fields) != 0 ||
        (name != NULL && al_body_string(x, body, "name", 200, &name_text) != 0))
        goto done;
    if (settings != NULL && !json_is_object(settings)) {
        al_reply_error(x, 400, "invalid_field", "settings must be an object");
        goto done;
    }
    if (settings != NULL && al_body_only(x, settings, settings_fields) != 0)
        goto done;
    json_t *enrol = json_object_get(settings, "auto_enrol");
    json_t *months = json_object_get(settings, "expiry_months");
    json_t *notice = json_object_get(settings, "expiry_notice_days");
    json_t *zone = json_object_get(settings, "time_zone");
    if (enrol != NULL && !json_is_boolean(enrol)) {
        al_reply_error(x, 400, "invalid_field", "settings.auto_enrol must be true or false");
        goto done;
    }
    if (months != NULL && (!json_is_integer(months) || json_integer_value(months) < 1 ||
                           json_integer_value(months) > 600)) {
        al_reply_error(x, 400, "invalid_field", "settings.expiry_months must be 1 to 600");
        goto done;
    }
    if (notice != NULL && (!json_is_integer(notice) || json_integer_value(notice) < 0 ||
                           json_integer_value(notice) > 365)) {
        al_reply_error(x, 400, "invalid_field", "settings.expiry_notice_days must be 0 to 365");
        goto done;
    }
    if (zone != NULL && (!json_is_string(zone) || al_tz_get(json_string_value(zone)) == NULL)) {
        al_reply_error(x, 400, "invalid_field",
                       "settings.time_zone must be an IANA time zone name, such as Asia/Shanghai");
        goto done;
    }
    al_rate partner_rate, admin_rate;
    bool has_partner_rate = false, has_admin_rate = false;
    if (rate_of(x, settings, "partner_rate", &partner_rate, &has_partner_rate) != 0 ||
        rate_of(x, settings, "admin_rate", &admin_rate, &has_admin_rate) != 0)
        goto done;
    json_t *before = tenant_now(x, id);
    al_tenant_changes c = {.name = name_text,
                           .auto_enrol = enrol ? (int)json_is_true(enrol) : -1,
                           .expiry_months = months ? (int)json_integer_value(months) : 0,
                           .expiry_notice_days = notice ? (int)json_integer_value(notice) : -1,
                           .time_zone = zone ? json_string_value(zone) : NULL,
                           .partner_rate = has_partner_rate ? &partner_rate : NULL,
                           .admin_rate = has_admin_rate ? &admin_rate : NULL};
    al_db_status st = al_tenant_update(al_db_of(x), id, &c);
    if (st != AL_DB_OK) {
        json_decref(before);
        al_reply_db_failure(x, st);
        goto done;
    }
    /* The tenant as it now is: recorded, and answered. */
    al_tenant t;
    bool found = false;
    st = al_tenant_get(al_db_of(x), id, &t, &found);
    json_t *after = st == AL_DB_OK && found ? tenant_json(&t) : NULL;
    if (before != NULL && after != NULL)
        al_api_audit(x, id, "tenant.update", id, before, json_incref(after));
    else
        json_decref(before);
    if (st != AL_DB_OK)
        al_reply_db_failure(x, st);
    else if (after == NULL)
        al_reply_error(x, 404, "not_found", "no such tenant");
    else
        al_reply_json(x, 200, after);
done:
    json_decref(body);
}

/*
 * POST /v1/tenants/{id}/admin-key (the operator, or the tenant's admin): a new
 * admin key, shown once; the old one stops working at once.
 */
void al_api_tenant_admin_key(al_exchange *x)
{
    const char *id = x->params[0];
    if (al_role_is_admin(x->role) && strcmp(id, x->tenant) != 0) {
        al_reply_error(x, 403, "wrong_tenant", "an admin key changes its own tenant only");
        return;
    }
    if (al_route_tenant(x, id) != 0)
        return;
    char key[AL_ADMIN_KEY_LEN + 1], hash[65];
    if (al_admin_key_new(key, hash) != 0) {
        al_reply_error(x, 500, "internal_error", "no randomness for a key");
        return;
    }
    bool found = false;
    al_db_status st = al_tenant_set_admin_key(al_db_of(x), id, hash, &found);
    if (st != AL_DB_OK)
        al_reply_db_failure(x, st);
    else if (!found)
        al_reply_error(x, 404, "not_found", "no such tenant");
    else {
        al_api_audit(x, id, "tenant.admin_key.rotate", id, NULL,
                     json_pack("{s:s%}", "key_ref", hash, (size_t)16));
        al_reply_json(x, 201, json_pack("{s:s,s:s}", "id", id, "admin_key", key));
    }
}
