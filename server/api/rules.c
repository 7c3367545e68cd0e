/*
 * Program rules (tenant admin): PUT /v1/rules makes a new version live for the
 * next request; GET /v1/rules, /v1/rules/versions, /v1/rules/versions/{n}.
 * Every version is kept with its time and the key that made it.
 *
 * Workers keep each tenant's compiled rules with their version. The request
 * path already reads the tenant's live version (with the partner), so a new
 * version is picked up on the next request, in every worker, without a
 * lock or a restart.
 */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "api/routes.h"
#include "db/db.h"
#include "http/server.h"
#include "rules/rules.h"

#define CACHE_SLOTS 256

typedef struct al_rules_cache {
    struct {
        char tenant[AL_ID_MAX + 1];
        al_rules *rules; /* a reference */
    } slot[CACHE_SLOTS];
} al_rules_cache;

/* Loads version's document of the caller's tenant; 0, or -1 after replying. */
static int load_version(al_exchange *x, int version, json_t **doc, char created[40], char by[80])
{
    al_db_param p[] = {AL_STR(x->tenant), AL_INT(version)};
    MYSQL_RES *res = NULL;
    al_db_status st = al_db_exec(&x->worker->db,
                                 "SELECT document, DATE_FORMAT(created_at, "
                                 "'%Y-%m-%dT%H:%i:%s.%fZ'), created_by FROM rules_versions "
                                 "WHERE tenant_id = ? AND version = ?",
                                 p, 2, &res);
    if (st != AL_DB_OK) {
        al_reply_db_failure(x, st);
        return -1;
    }
    MYSQL_ROW row = mysql_fetch_row(res);
    *doc = row ? json_loads(row[0], 0, NULL) : NULL;
    if (row != NULL) {
        snprintf(created, 40, "%s", row[1]);
        snprintf(by, 80, "%s", row[2]);
    }
    mysql_free_result(res);
    if (*doc == NULL) {
        al_reply_error(x, 404, "not_found", "no rules version %d", version);
        return -1;
    }
    return 0;
}

al_rules *al_rules_for(al_exchange *x, int version)
{
    al_worker *w = x->worker;
    al_rules *r = NULL;
    if (version == 0) {
        if ((r = al_rules_new_defaults()) == NULL)
            al_reply_error(x, 500, "internal_error", "out of memory");
        return r;
    }
    if (w->rules == NULL && (w->rules = calloc(1, sizeof(*w->rules))) == NULL) {
        al_reply_error(x, 500, "internal_error", "out of memory");
        return NULL;
    }
    size_t i = al_id_hash(x->tenant) % CACHE_SLOTS;
    al_rules *cached = w->rules->slot[i].rules;
    if (cached != NULL && strcmp(w->rules->slot[i].tenant, x->tenant) == 0 &&
        cached->version == version)
        return al_rules_hold(cached);
    json_t *doc = NULL;
    char created[40], by[80], path[128], msg[256];
    if (load_version(x, version, &doc, created, by) != 0)
        return NULL;
    int rc = al_rules_compile(doc, &r, path, msg);
    json_decref(doc);
    if (rc != 0) {
        al_reply_error(x, 500, "internal_error", "stored rules version %d is invalid at %s",
                       version, path);
        return NULL;
    }
    r->version = version;
    al_rules_drop(cached);
    snprintf(w->rules->slot[i].tenant, sizeof(w->rules->slot[i].tenant), "%s", x->tenant);
    w->rules->slot[i].rules = al_rules_hold(r);
    return r;
}

void al_rules_cache_free(struct al_rules_cache *cache)
{
    for (size_t i = 0; cache != NULL && i < CACHE_SLOTS; i++)
        al_rules_drop(cache->slot[i].rules);
    free(cache);
}

static json_t *version_json(int version, json_t *doc, const char *created, const char *by)
{
    return json_pack("{s:i,s:o,s:s,s:s}", "version", version, "rules", doc, "created_at", created,
                     "created_by", by);
}

void al_api_rules_put(al_exchange *x)
{
    json_t *doc = NULL;
    char path[128], msg[256];
    al_rules *compiled = NULL;
    if (al_body_object(x, &doc) != 0)
        return;
    if (al_rules_compile(doc, &compiled, path, msg) != 0) {
        al_reply_error(x, 400, "invalid_rules", "%s %s", path, msg);
        json_decref(doc);
        return;
    }
    al_rules_drop(compiled);
    char *text = json_dumps(doc, JSON_COMPACT | JSON_PRESERVE_ORDER);
    char by[80];
    snprintf(by, sizeof(by), "admin:%s", x->key_ref);
    al_db *db = &x->worker->db;
    int64_t current = 0;
    bool found = false;
    al_db_param t[] = {AL_STR(x->tenant)};
    al_db_status st = al_db_exec(db, "START TRANSACTION", NULL, 0, NULL);
    if (st == AL_DB_OK)
        st = al_db_int(db, "SELECT rules_version FROM tenants WHERE tenant_id = ? FOR UPDATE", t, 1,
                       &current, &found);
    al_db_param v[] = {AL_STR(x->tenant), AL_INT(current + 1), AL_STR(text ? text : "{}"),
                       AL_STR(by)};
    if (st == AL_DB_OK)
        st = al_db_exec(db,
                        "INSERT INTO rules_versions (tenant_id, version, document, created_by) "
                        "VALUES (?, ?, ?, ?)",
                        v, 4, NULL);
    al_db_param u[] = {AL_INT(current + 1), AL_STR(x->tenant)};
    if (st == AL_DB_OK)
        st = al_db_exec(db, "UPDATE tenants SET rules_version = ? WHERE tenant_id = ?", u, 2, NULL);
    if (st == AL_DB_OK)
        st = al_db_exec(db, "COMMIT", NULL, 0, NULL);
    free(text);
    if (st != AL_DB_OK) {
        al_db_exec(db, "ROLLBACK", NULL, 0, NULL);
        json_decref(doc);
        al_reply_db_failure(x, st);
        return;
    }
    json_t *reply =
        json_pack("{s:i,s:o,s:s}", "version", (int)(current + 1), "rules", doc, "created_by", by);
    al_reply_json(x, 200, reply);
}

int al_tenant_settings_load(al_exchange *x, al_tenant_settings *out)
{
    al_db_param p[] = {AL_STR(x->tenant)};
    MYSQL_RES *res = NULL;
    al_db_status st = al_db_exec(&x->worker->db,
                                 "SELECT auto_enrol, expiry_months, rules_version FROM tenants "
                                 "WHERE tenant_id = ?",
                                 p, 1, &res);
    if (st != AL_DB_OK) {
        al_reply_db_failure(x, st);
        return -1;
    }
    MYSQL_ROW row = mysql_fetch_row(res);
    if (row != NULL) {
        out->auto_enrol = strcmp(row[0], "0") != 0;
        out->expiry_months = atoi(row[1]);
        out->rules_version = atoi(row[2]);
    }
    mysql_free_result(res);
    if (row == NULL) {
        al_reply_error(x, 500, "internal_error", "the tenant of these credentials is missing");
        return -1;
    }
    return 0;
}

al_rules *al_tenant_rules(al_exchange *x, al_tenant_settings *settings)
{
    al_tenant_settings local;
    if (settings == NULL)
        settings = &local;
    if (al_tenant_settings_load(x, settings) != 0)
        return NULL;
    return al_rules_for(x, settings->rules_version);
}

static void reply_version(al_exchange *x, int version)
{
    if (version == 0) {
        al_reply_json(x, 200, version_json(0, al_rules_default_document(), "", "defaults"));
        return;
    }
    json_t *doc = NULL;
    char created[40], by[80];
    if (load_version(x, version, &doc, created, by) == 0)
        al_reply_json(x, 200, version_json(version, doc, created, by));
}

void al_api_rules_get(al_exchange *x)
{
    al_tenant_settings t;
    if (al_tenant_settings_load(x, &t) == 0)
        reply_version(x, t.rules_version);
}

void al_api_rules_version(al_exchange *x)
{
    char *end = NULL;
    long n = strtol(x->params[0], &end, 10);
    if (*end != '\0' || n < 0 || n > 1000000000) {
        al_reply_error(x, 404, "not_found", "no such rules version");
        return;
    }
    reply_version(x, (int)n);
}

void al_api_rules_versions(al_exchange *x)
{
    al_db_param p[] = {AL_STR(x->tenant)};
    MYSQL_RES *res = NULL;
    al_db_status st = al_db_exec(&x->worker->db,
                                 "SELECT version, DATE_FORMAT(created_at, "
                                 "'%Y-%m-%dT%H:%i:%s.%fZ'), created_by FROM rules_versions "
                                 "WHERE tenant_id = ? ORDER BY version DESC",
                                 p, 1, &res);
    if (st != AL_DB_OK) {
        al_reply_db_failure(x, st);
        return;
    }
    json_t *list = json_array();
    MYSQL_ROW row;
    while ((row = mysql_fetch_row(res)) != NULL)
        json_array_append_new(list, json_pack("{s:i,s:s,s:s}", "version", atoi(row[0]),
                                              "created_at", row[1], "created_by", row[2]));
    mysql_free_result(res);
    al_reply_json(x, 200, json_pack("{s:o}", "versions", list));
}
