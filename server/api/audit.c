/*
 * The audit log over HTTP: what every change records (al_api_audit), the
 * paged list, and the chain's verification. An admin reads its own tenant's;
 * the operator names the tenant (?tenant=).
 */
#include "api/audit.h"

#include <stdio.h>
#include <string.h>

#include "api/context.h"
#include "api/credentials.h"
#include "api/routes.h"
#include "api/statuses.h"
#include "audit/audit.h"
#include "core/log.h"

void al_api_actor(const al_exchange *x, char out[48])
{
    if (al_role_is_admin(x->role))
        snprintf(out, 48, "admin:%s", x->key_ref);
    else
        snprintf(out, 48, "%s", x->role == AL_ROLE_OPERATOR ? "operator" : "partner");
}

void al_api_audit(al_exchange *x, const char *tenant, const char *action, const char *target,
                  json_t *before, json_t *after)
{
    char actor[48];
    al_api_actor(x, actor);
    al_audit_entry e = {.tenant = tenant,
                        .actor = actor,
                        .request_id = x->request_id,
                        .action = action,
                        .target = target,
                        .before = before,
                        .after = after};
    al_db_status st = al_audit_append(al_db_of(x), &e);
    if (st != AL_DB_OK)
        al_log(AL_LOG_ERROR, "tenant %s: the audit log could not record %s of %s (request %s)",
               tenant, action, target, x->request_id);
    json_decref(before);
    json_decref(after);
}

/* The tenant the caller reads: its own (admin), or ?tenant= (operator); NULL after a reply. */
static const char *audited_tenant(al_exchange *x, char buf[AL_ID_MAX + 1])
{
    if (al_role_is_admin(x->role))
        return x->tenant;
    if (!al_query_param(x, "tenant", buf, AL_ID_MAX + 1) || !al_id_valid(buf)) {
        al_reply_error(x, 400, "invalid_field", "the operator names the tenant: ?tenant=<id>");
        return NULL;
    }
    return al_route_tenant(x, buf) == 0 ? buf : NULL;
}

/* GET /v1/audit?cursor=&limit= */
void al_api_audit_list(al_exchange *x)
{
    char buf[AL_ID_MAX + 1];
    const char *tenant = audited_tenant(x, buf);
    long long cursor, limit;
    if (tenant == NULL || al_query_page(x, &cursor, &limit) != 0)
        return;
    json_t *rows = NULL;
    al_db_status st = al_audit_list(al_db_of(x), tenant, cursor, (int)limit, &rows);
    if (st != AL_DB_OK) {
        al_reply_db_failure(x, st);
        return;
    }
    size_t n = json_array_size(rows);
    json_t *last = json_array_get(rows, n - 1);
    json_t *next = al_page_next_id(n, limit, json_integer_value(json_object_get(last, "seq")));
    al_reply_json(
        x, 200, json_pack("{s:s,s:o,s:o}", "tenant", tenant, "entries", rows, "next_cursor", next));
}

/* GET /v1/audit/verify: the first link that fails, if any. */
void al_api_audit_verify(al_exchange *x)
{
    char buf[AL_ID_MAX + 1];
    const char *tenant = audited_tenant(x, buf);
    if (tenant == NULL)
        return;
    int64_t rows = 0, broken = 0;
    al_db_status st = al_audit_verify(al_db_of(x), tenant, &rows, &broken);
    if (st != AL_DB_OK) {
        al_reply_db_failure(x, st);
        return;
    }
    if (broken != 0)
        al_log(AL_LOG_ERROR, "tenant %s: the audit chain breaks at row %lld", tenant,
               (long long)broken);
    al_reply_json(x, 200,
                  json_pack("{s:s,s:I,s:b,s:o}", "tenant", tenant, "rows", (json_int_t)rows,
                            "intact", broken == 0, "first_broken",
                            broken ? json_integer((json_int_t)broken) : json_null()));
}
