/*
 * Program rules (tenant admin): PUT /v1/rules makes a new version live for the
 * next request; GET /v1/rules, /v1/rules/versions, /v1/rules/versions/{n}.
 * Every version is kept with its time and the key that made it. Also the
 * "...OrReply" lookups other handlers share: the caller's tenant and its rules.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "api/audit.h"
#include "api/context.h"
#include "api/lookups.h"
#include "api/routes.h"
#include "api/statuses.h"
#include "core/ids.h"
#include "rules/cache.h"
#include "rules/store.h"

al_rules *al_rules_for(al_exchange *x, int version)
{
    al_rules *r = NULL;
    al_rules_state state;
    al_db_status st =
        al_rules_cached(&al_ctx_of(x)->rules, al_db_of(x), x->tenant, version, &r, &state);
    if (st != AL_DB_OK)
        al_reply_db_failure(x, st);
    else if (state == AL_RULES_MISSING)
        al_reply_error(x, 404, "not_found", "no rules version %d", version);
    else if (state == AL_RULES_INVALID)
        al_reply_error(x, 500, "internal_error", "stored rules version %d is invalid", version);
    else if (state == AL_RULES_NO_MEMORY)
        al_reply_error(x, 500, "internal_error", "out of memory");
    return r;
}

int al_tenant_load(al_exchange *x, al_tenant *out)
{
    bool found = false;
    al_db_status st = al_tenant_get(al_db_of(x), x->tenant, out, &found);
    if (st != AL_DB_OK) {
        al_reply_db_failure(x, st);
        return -1;
    }
    if (!found) {
        al_reply_error(x, 500, "internal_error", "the tenant of these credentials is missing");
        return -1;
    }
    return 0;
}

al_rules *al_tenant_rules(al_exchange *x, al_tenant *tenant)
{
    al_tenant local;
    if (tenant == NULL)
        tenant = &local;
    if (al_tenant_load(x, tenant) != 0)
        return NULL;
    return al_rules_for(x, tenant->rules_version);
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
    int version = 0;
    al_db_status st =
        al_rules_version_add(al_db_of(x), x->tenant, text ? text : "{}", by, &version);
    free(text);
    if (st != AL_DB_OK) {
        json_decref(doc);
        al_reply_db_failure(x, st);
        return;
    }
    al_api_audit(x, x->tenant, "rules.publish", "rules", json_pack("{s:i}", "version", version - 1),
                 json_pack("{s:i}", "version", version));
    al_reply_json(x, 200,
                  json_pack("{s:i,s:o,s:s}", "version", version, "rules", doc, "created_by", by));
}

static void reply_version(al_exchange *x, int version)
{
    if (version == 0) {
        al_reply_json(x, 200, version_json(0, al_rules_default_document(), "", "defaults"));
        return;
    }
    al_rules_version_row row;
    bool found = false;
    al_db_status st = al_rules_version_load(al_db_of(x), x->tenant, version, &row, &found);
    if (st != AL_DB_OK)
        al_reply_db_failure(x, st);
    else if (!found)
        al_reply_error(x, 404, "not_found", "no rules version %d", version);
    else
        al_reply_json(x, 200, version_json(version, row.document, row.created_at, row.created_by));
}

void al_api_rules_get(al_exchange *x)
{
    al_tenant t;
    if (al_tenant_load(x, &t) == 0)
        reply_version(x, t.rules_version);
}

void al_api_rules_version(al_exchange *x)
{
    long long n = 0;
    if (!al_parse_int(x->params[0], 0, 1000000000, &n)) {
        al_reply_error(x, 404, "not_found", "no such rules version");
        return;
    }
    reply_version(x, (int)n);
}

void al_api_rules_versions(al_exchange *x)
{
    al_rules_version_row *rows = NULL;
    size_t n = 0;
    al_db_status st = al_rules_versions_list(al_db_of(x), x->tenant, &rows, &n);
    if (st != AL_DB_OK) {
        al_reply_db_failure(x, st);
        return;
    }
    json_t *list = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(list,
                              json_pack("{s:i,s:s,s:s}", "version", rows[i].version, "created_at",
                                        rows[i].created_at, "created_by", rows[i].created_by));
    free(rows);
    al_reply_json(x, 200, json_pack("{s:o}", "versions", list));
}
