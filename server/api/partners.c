/*
 * Partners (tenant admin): which plugin translates a partner's transactions,
 * its config (validated by that plugin), its money contract, and its signing
 * keys. A secret is shown once, when its key is made, and kept sealed.
 * Rotation: a new key; the partner's older keys keep working for
 * KEY_GRACE_HOURS, then expire.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "api/audit.h"
#include "api/context.h"
#include "api/routes.h"
#include "api/statuses.h"
#include "core/log.h"
#include "partners/partners.h"
#include "plugins/translate.h"

#define KEY_GRACE_HOURS 24

static int parse_contract(al_exchange *x, json_t *body, al_contract *c)
{
    static const char *const fields[] = {"currency", "issue_minor_per_1000",
                                         "redeem_minor_per_1000", "effective_from", NULL};
    json_t *obj = json_object_get(body, "contract");
    if (obj == NULL) {
        al_reply_error(x, 400, "missing_field", "contract is required");
        return -1;
    }
    if (!json_is_object(obj)) {
        al_reply_error(x, 400, "invalid_field", "contract must be an object");
        return -1;
    }
    if (al_body_only(x, obj, fields) != 0)
        return -1;
    const char *cur = json_string_value(json_object_get(obj, "currency"));
    if (cur == NULL || strlen(cur) != 3 || strspn(cur, "ABCDEFGHIJKLMNOPQRSTUVWXYZ") != 3) {
        al_reply_error(x, 400, "invalid_field", "contract.currency must be an ISO 4217 code");
        return -1;
    }
    memcpy(c->currency, cur, 4);
    json_t *issue = json_object_get(obj, "issue_minor_per_1000");
    json_t *redeem = json_object_get(obj, "redeem_minor_per_1000");
    if (!json_is_integer(issue) || json_integer_value(issue) < 0) {
        al_reply_error(x, 400, "invalid_field",
                       "contract.issue_minor_per_1000 must be an integer >= 0");
        return -1;
    }
    if (!json_is_integer(redeem) || json_integer_value(redeem) < 0) {
        al_reply_error(x, 400, "invalid_field",
                       "contract.redeem_minor_per_1000 must be an integer >= 0");
        return -1;
    }
    c->issue_minor_per_1000 = json_integer_value(issue);
    c->redeem_minor_per_1000 = json_integer_value(redeem);
    json_t *from = json_object_get(obj, "effective_from");
    c->effective_from[0] = '\0';
    if (from != NULL &&
        (!json_is_string(from) || al_rfc3339_to_sql(json_string_value(from), c->effective_from))) {
        al_reply_error(x, 400, "invalid_field",
                       "contract.effective_from must be an RFC 3339 time (Z or an offset)");
        return -1;
    }
    return 0;
}

/* The plugin must exist and accept the config; else 400 naming the field. */
static int check_config(al_exchange *x, const char *plugin, json_t *config)
{
    if (!json_is_object(config)) {
        al_reply_error(x, 400, config ? "invalid_field" : "missing_field",
                       "config must be an object");
        return -1;
    }
    alliance_error err;
    al_plugin_set *set = al_plugins_acquire(&al_ctx_of(x)->plugins);
    al_tr_status st = al_plugin_check_config(set, plugin, config, &err);
    al_plugins_release(set);
    if (st == AL_TR_NO_PLUGIN) {
        al_reply_error(x, 400, "unknown_plugin", "no plugin named %.32s is loaded", plugin);
        return -1;
    }
    if (st != AL_TR_OK) {
        al_reply_error(x, 400, err.code, "%s", err.message);
        return -1;
    }
    return 0;
}

static bool need_master_key(al_exchange *x)
{
    if (al_ctx_of(x)->keys->has_master_key)
        return true;
    al_reply_error(x, 503, "master_key_missing",
                   "the server has no master_key (ALLIANCE_MASTER_KEY) to keep partner secrets");
    return false;
}

/* Reads the partner fields of body into p (config as text, malloc'd); 0 or -1 after replying. */
static int partner_of_body(al_exchange *x, json_t *body, al_partner *p)
{
    const char *name, *plugin;
    if (al_body_string(x, body, "name", AL_PARTNER_NAME_MAX, &name) != 0 ||
        al_body_string(x, body, "plugin", ALLIANCE_NAME_MAX - 1, &plugin) != 0 ||
        parse_contract(x, body, &p->contract) != 0 ||
        check_config(x, plugin, json_object_get(body, "config")) != 0)
        return -1;
    snprintf(p->name, sizeof(p->name), "%s", name);
    snprintf(p->plugin, sizeof(p->plugin), "%s", plugin);
    p->config = json_dumps(json_object_get(body, "config"), JSON_COMPACT | JSON_PRESERVE_ORDER);
    if (p->config == NULL) {
        al_reply_error(x, 500, "internal_error", "out of memory");
        return -1;
    }
    return 0;
}

void al_api_partner_create(al_exchange *x)
{
    static const char *const fields[] = {"id", "name", "plugin", "config", "contract", NULL};
    json_t *body = NULL;
    const char *id;
    al_partner p = {0};
    if (!need_master_key(x) || al_body_object(x, &body) != 0)
        return;
    if (al_body_only(x, body, fields) != 0 || al_body_id(x, body, "id", &id) != 0 ||
        partner_of_body(x, body, &p) != 0)
        goto done;
    snprintf(p.id, sizeof(p.id), "%s", id);
    char key_id[AL_KEY_ID_MAX + 1], secret[AL_SECRET_LEN + 1];
    bool exists = false;
    al_db_status st = al_partner_create(al_db_of(x), al_ctx_of(x)->keys->master_key, x->tenant, &p,
                                        key_id, secret, &exists);
    if (exists)
        al_reply_error(x, 409, "partner_exists", "a partner with id %s already exists", id);
    else if (st != AL_DB_OK)
        al_reply_db_failure(x, st);
    else {
        al_api_audit(x, x->tenant, "partner.create", id, NULL,
                     json_pack("{s:s,s:s,s:O,s:O,s:s}", "name", p.name, "plugin", p.plugin,
                               "config", json_object_get(body, "config"), "contract",
                               json_object_get(body, "contract"), "key_id", key_id));
        al_reply_json(x, 201,
                      json_pack("{s:s,s:s,s:s,s:O,s:O,s:i,s:s,s:s}", "id", id, "name", p.name,
                                "plugin", p.plugin, "config", json_object_get(body, "config"),
                                "contract", json_object_get(body, "contract"), "config_version", 1,
                                "key_id", key_id, "secret", secret));
    }
done:
    al_partner_clear(&p);
    json_decref(body);
}

static json_t *partner_json(const al_partner *p)
{
    json_t *config = json_loads(p->config, 0, NULL);
    return json_pack("{s:s,s:s,s:s,s:o,s:I,s:{s:s,s:I,s:I},s:s,s:s,s:s}", "id", p->id, "name",
                     p->name, "plugin", p->plugin, "config", config ? config : json_object(),
                     "config_version", (json_int_t)p->config_version, "contract", "currency",
                     p->contract.currency, "issue_minor_per_1000",
                     (json_int_t)p->contract.issue_minor_per_1000, "redeem_minor_per_1000",
                     (json_int_t)p->contract.redeem_minor_per_1000, "created_at", p->created_at,
                     "updated_at", p->updated_at, "status", p->suspended ? "suspended" : "active");
}

void al_api_partner_list(al_exchange *x)
{
    al_partner *list = NULL;
    size_t n = 0;
    al_db_status st = al_partners_list(al_db_of(x), x->tenant, &list, &n);
    if (st != AL_DB_OK) {
        al_partners_free(list, n);
        al_reply_db_failure(x, st);
        return;
    }
    json_t *partners = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(partners, partner_json(&list[i]));
    al_partners_free(list, n);
    al_reply_json(x, 200, json_pack("{s:o}", "partners", partners));
}

/* Reads one partner of the caller's tenant as JSON; NULL (and a reply) when absent. */
static json_t *load_partner(al_exchange *x, const char *id)
{
    al_partner p;
    bool found = false;
    al_db_status st = al_partner_get(al_db_of(x), x->tenant, id, &p, &found);
    if (st != AL_DB_OK) {
        al_reply_db_failure(x, st);
        return NULL;
    }
    if (!found) {
        al_reply_error(x, 404, "not_found", "no such partner");
        return NULL;
    }
    json_t *partner = partner_json(&p);
    al_partner_clear(&p);
    return partner;
}

/* Whether the path's partner exists (else the 404 has been sent). */
static bool partner_found(al_exchange *x)
{
    json_t *partner = load_partner(x, x->params[0]);
    json_decref(partner);
    return partner != NULL;
}

void al_api_partner_get(al_exchange *x)
{
    json_t *partner = load_partner(x, x->params[0]);
    if (partner != NULL)
        al_reply_json(x, 200, partner);
}

void al_api_partner_patch(al_exchange *x)
{
    static const char *const fields[] = {"name", "plugin", "config", "contract", NULL};
    json_t *body = NULL, *partner = NULL;
    al_partner p = {0};
    if (al_body_object(x, &body) != 0)
        return;
    if (al_body_only(x, body, fields) != 0 || (partner = load_partner(x, x->params[0])) == NULL)
        goto done;
    /* Absent fields keep their value; the result is validated as a whole. */
    if (json_object_get(body, "name") == NULL)
        json_object_set(body, "name", json_object_get(partner, "name"));
    if (json_object_get(body, "plugin") == NULL)
        json_object_set(body, "plugin", json_object_get(partner, "plugin"));
    if (json_object_get(body, "config") == NULL)
        json_object_set(body, "config", json_object_get(partner, "config"));
    bool new_contract = json_object_get(body, "contract") != NULL;
    if (!new_contract)
        json_object_set(body, "contract", json_object_get(partner, "contract"));
    if (partner_of_body(x, body, &p) != 0)
        goto done;
    snprintf(p.id, sizeof(p.id), "%s", x->params[0]);
    al_db_status st = al_partner_update(al_db_of(x), x->tenant, &p, new_contract);
    if (st != AL_DB_OK) {
        al_reply_db_failure(x, st);
        goto done;
    }
    json_t *before = partner;
    partner = load_partner(x, x->params[0]);
    if (partner != NULL) {
        /* Name, plugin, config and contract: what changed is in before and after. */
        al_api_audit(x, x->tenant, "partner.update", x->params[0], before, json_incref(partner));
        al_reply_json(x, 200, partner);
        partner = NULL;
    } else {
        json_decref(before);
    }
done:
    al_partner_clear(&p);
    json_decref(partner);
    json_decref(body);
}

void al_api_partner_rotate_key(al_exchange *x)
{
    if (!need_master_key(x))
        return;
    if (!partner_found(x))
        return;
    char key_id[AL_KEY_ID_MAX + 1], secret[AL_SECRET_LEN + 1];
    al_db_status st = al_partner_rotate_key(al_db_of(x), al_ctx_of(x)->keys->master_key, x->tenant,
                                            x->params[0], KEY_GRACE_HOURS, key_id, secret);
    if (st != AL_DB_OK) {
        al_reply_db_failure(x, st);
        return;
    }
    al_api_audit(
        x, x->tenant, "partner.key.rotate", x->params[0], NULL,
        json_pack("{s:s,s:i}", "key_id", key_id, "previous_keys_valid_hours", KEY_GRACE_HOURS));
    al_reply_json(x, 201,
                  json_pack("{s:s,s:s,s:s,s:i}", "id", x->params[0], "key_id", key_id, "secret",
                            secret, "previous_keys_valid_hours", KEY_GRACE_HOURS));
}

/* POST /v1/partners/{id}/suspend and /resume (admin): the partner as it now is. */
static void set_suspended(al_exchange *x, bool suspended)
{
    json_t *partner = load_partner(x, x->params[0]);
    if (partner == NULL)
        return;
    bool was_suspended =
        strcmp(json_string_value(json_object_get(partner, "status")), "suspended") == 0;
    json_decref(partner);
    al_db_status st = al_partner_set_suspended(al_db_of(x), x->tenant, x->params[0], suspended);
    if (st != AL_DB_OK) {
        al_reply_db_failure(x, st);
        return;
    }
    al_log(AL_LOG_INFO, "tenant %s: partner %s %s", x->tenant, x->params[0],
           suspended ? "suspended" : "resumed");
    al_api_audit(x, x->tenant, suspended ? "partner.suspend" : "partner.resume", x->params[0],
                 json_pack("{s:s}", "status", was_suspended ? "suspended" : "active"),
                 json_pack("{s:s}", "status", suspended ? "suspended" : "active"));
    al_api_partner_get(x);
}

void al_api_partner_suspend(al_exchange *x)
{
    set_suspended(x, true);
}

void al_api_partner_resume(al_exchange *x)
{
    set_suspended(x, false);
}

/* GET /v1/partners/{id}/keys (admin): the partner's keys, never their secrets. */
void al_api_partner_keys(al_exchange *x)
{
    if (!partner_found(x))
        return;
    al_partner_key_info *keys = NULL;
    size_t n = 0;
    al_db_status st = al_partner_keys_list(al_db_of(x), x->tenant, x->params[0], &keys, &n);
    if (st != AL_DB_OK) {
        free(keys);
        al_reply_db_failure(x, st);
        return;
    }
    json_t *list = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(
            list, json_pack("{s:s,s:s,s:o,s:b}", "key_id", keys[i].key_id, "created_at",
                            keys[i].created_at, "expires_at",
                            keys[i].expires_at[0] ? json_string(keys[i].expires_at) : json_null(),
                            "active", keys[i].active));
    free(keys);
    al_reply_json(x, 200, json_pack("{s:s,s:o}", "id", x->params[0], "keys", list));
}

/* GET /v1/partners/{id}/contracts (admin): every contract, with the time it took effect. */
void al_api_partner_contracts(al_exchange *x)
{
    if (!partner_found(x))
        return;
    al_partner_contract *c = NULL;
    size_t n = 0;
    al_db_status st = al_partner_contracts_list(al_db_of(x), x->tenant, x->params[0], &c, &n);
    if (st != AL_DB_OK) {
        free(c);
        al_reply_db_failure(x, st);
        return;
    }
    json_t *list = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(
            list,
            json_pack("{s:s,s:s,s:I,s:I}", "effective_from", c[i].effective_from, "currency",
                      c[i].currency, "issue_minor_per_1000", (json_int_t)c[i].issue_minor_per_1000,
                      "redeem_minor_per_1000", (json_int_t)c[i].redeem_minor_per_1000));
    free(c);
    al_reply_json(x, 200, json_pack("{s:s,s:o}", "id", x->params[0], "contracts", list));
}

/* DELETE /v1/partners/{id}/keys/{key_id} (admin): the key stops working at once. */
void al_api_partner_key_revoke(al_exchange *x)
{
    bool found = false;
    al_db_status st =
        al_partner_key_revoke(al_db_of(x), x->tenant, x->params[0], x->params[1], &found);
    if (st != AL_DB_OK) {
        al_reply_db_failure(x, st);
        return;
    }
    if (!found) {
        al_reply_error(x, 404, "key_not_found", "partner %s has no key %s", x->params[0],
                       x->params[1]);
        return;
    }
    al_log(AL_LOG_INFO, "tenant %s: partner %s's key %s revoked", x->tenant, x->params[0],
           x->params[1]);
    al_api_audit(x, x->tenant, "partner.key.revoke", x->params[0], NULL,
                 json_pack("{s:s}", "key_id", x->params[1]));
    al_reply_json(
        x, 200,
        json_pack("{s:s,s:s,s:b}", "id", x->params[0], "key_id", x->params[1], "revoked", true));
}
