/*
 * A tenant's people (owner): POST /v1/admin-keys {"name","role"} makes a key
 * for a colleague (shown once), GET lists them, DELETE /v1/admin-keys/{id}
 * revokes one (its console sessions end with it). The tenant's first key is
 * the owner's and is rotated with POST /v1/tenants/{id}/admin-key.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "api/audit.h"
#include "api/context.h"
#include "api/routes.h"
#include "api/statuses.h"
#include "auth/admin_keys.h"

static json_t *key_json(const al_admin_key_row *k)
{
    return json_pack("{s:s,s:s,s:s,s:s,s:s,s:o}", "id", k->id, "name", k->name, "role", k->role,
                     "created_by", k->created_by, "created_at", k->created_at, "revoked_at",
                     k->revoked_at[0] ? json_string(k->revoked_at) : json_null());
}

void al_api_admin_key_create(al_exchange *x)
{
    static const char *const fields[] = {"name", "role", NULL};
    json_t *body = NULL;
    const char *name, *role;
    if (al_body_object(x, &body) != 0)
        return;
    if (al_body_only(x, body, fields) != 0 || al_body_string(x, body, "name", 128, &name) != 0 ||
        al_body_string(x, body, "role", 16, &role) != 0)
        goto done;
    if (!al_admin_role_valid(role)) {
        al_reply_error(x, 400, "invalid_field",
                       "role must be one of owner, finance, program, viewer");
        goto done;
    }
    char key[AL_ADMIN_KEY_LEN + 1], id[17], by[48];
    al_api_actor(x, by);
    al_db_status st = al_admin_key_add(al_db_of(x), x->tenant, role, name, by, key, id);
    if (st != AL_DB_OK) {
        al_reply_db_failure(x, st);
        goto done;
    }
    al_api_audit(x, x->tenant, "admin_key.create", id, NULL,
                 json_pack("{s:s,s:s}", "name", name, "role", role));
    al_reply_json(x, 201,
                  json_pack("{s:s,s:s,s:s,s:s}", "id", id, "name", name, "role", role, "key", key));
done:
    json_decref(body);
}

void al_api_admin_key_list(al_exchange *x)
{
    al_admin_key_row *rows = NULL;
    size_t n = 0;
    al_db_status st = al_admin_keys_list(al_db_of(x), x->tenant, &rows, &n);
    if (st != AL_DB_OK) {
        free(rows);
        al_reply_db_failure(x, st);
        return;
    }
    json_t *keys = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(keys, key_json(&rows[i]));
    free(rows);
    al_reply_json(x, 200, json_pack("{s:o}", "keys", keys));
}

void al_api_admin_key_revoke(al_exchange *x)
{
    const char *id = x->params[0];
    bool found = false, was_active = false;
    al_db_status st = al_admin_key_revoke(al_db_of(x), x->tenant, id, &found, &was_active);
    if (st != AL_DB_OK) {
        al_reply_db_failure(x, st);
        return;
    }
    if (!found) {
        al_reply_error(x, 404, "not_found", "no admin key %s", id);
        return;
    }
    if (was_active)
        al_api_audit(x, x->tenant, "admin_key.revoke", id, NULL, NULL);
    al_reply_json(x, 200, json_pack("{s:s,s:b}", "id", id, "revoked", 1));
}
