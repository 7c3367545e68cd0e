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

#include "api/routes.h"
#include "auth/secrets.h"
#include "db/db.h"
#include "http/server.h"
#include "plugins/translate.h"

#define KEY_GRACE_HOURS 24

typedef struct {
    char currency[4];
    json_int_t issue_minor_per_1000, redeem_minor_per_1000;
    char effective_from[27]; /* a DATETIME; "" when not given */
} contract;

static int parse_contract(al_exchange *x, json_t *body, contract *c)
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
                       "contract.effective_from must be an RFC 3339 UTC time");
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
    al_plugin_set *set = al_plugins_acquire(&x->worker->plugins);
    al_tr_status st = al_plugin_check_config(set, plugin, config, &err);
    al_plugins_release(set);
    if (st == AL_TR_NO_PLUGIN) {
        al_reply_error(x, 400, "unknown_plugin", "no plugin named %.32s is loaded", plugin);
        return -1;
    }
    if (st != AL_TR_OK) {
        al_reply_error(x, 400, err.code, "config: %s", err.message);
        return -1;
    }
    return 0;
}

/* Makes a key for the partner; key_id and secret are filled in. */
static al_db_status new_key(al_exchange *x, const char *partner, char key_id[40],
                            char secret[AL_SECRET_LEN + 1])
{
    char sealed[AL_SEALED_HEX_LEN + 1], aad[2 * AL_ID_MAX + 2];
    memcpy(key_id, "pk_", 3);
    if (al_random_hex(key_id + 3, 16) != 0 || al_random_hex(secret, AL_SECRET_LEN / 2) != 0)
        return AL_DB_ERROR;
    snprintf(aad, sizeof(aad), "%s/%s", x->tenant, key_id);
    if (al_secret_seal(x->worker->master_key, aad, secret, sealed) != 0)
        return AL_DB_ERROR;
    al_db_param p[] = {AL_STR(key_id), AL_STR(x->tenant), AL_STR(partner), AL_STR(sealed)};
    return al_db_exec(&x->worker->db,
                      "INSERT INTO partner_keys (key_id, tenant_id, partner_id, secret_enc) "
                      "VALUES (?, ?, ?, UNHEX(?))",
                      p, 4, NULL);
}

/*
 * Records a contract from its effective date (the first one: from always, so
 * every booking has a price; a later one: from the date given, or now).
 */
static al_db_status add_contract(al_exchange *x, const char *partner, const contract *c, bool first)
{
    const char *from = first ? "1970-01-01 00:00:00" : c->effective_from;
    al_db_param p[] = {AL_STR(x->tenant),
                       AL_STR(partner),
                       from[0] ? AL_STR(from) : AL_NULL,
                       AL_STR(c->currency),
                       AL_INT(c->issue_minor_per_1000),
                       AL_INT(c->redeem_minor_per_1000)};
    return al_db_exec(&x->worker->db,
                      "REPLACE INTO partner_contracts (tenant_id, partner_id, effective_from, "
                      "currency, issue_minor_per_1000, redeem_minor_per_1000) "
                      "VALUES (?, ?, IFNULL(?, NOW(6)), ?, ?, ?)",
                      p, 6, NULL);
}

static bool need_master_key(al_exchange *x)
{
    if (x->worker->has_master_key)
        return true;
    al_reply_error(x, 503, "master_key_missing",
                   "the server has no master_key (ALLIANCE_MASTER_KEY) to keep partner secrets");
    return false;
}

static void rollback(al_exchange *x)
{
    al_db_exec(&x->worker->db, "ROLLBACK", NULL, 0, NULL);
}

void al_api_partner_create(al_exchange *x)
{
    static const char *const fields[] = {"id", "name", "plugin", "config", "contract", NULL};
    json_t *body = NULL;
    const char *id, *name, *plugin;
    contract c;
    if (!need_master_key(x) || al_body_object(x, &body) != 0)
        return;
    if (al_body_only(x, body, fields) != 0 || al_body_id(x, body, "id", &id) != 0 ||
        al_body_string(x, body, "name", 200, &name) != 0 ||
        al_body_string(x, body, "plugin", 31, &plugin) != 0 || parse_contract(x, body, &c) != 0 ||
        check_config(x, plugin, json_object_get(body, "config")) != 0)
        goto done;

    char *config = json_dumps(json_object_get(body, "config"), JSON_COMPACT | JSON_PRESERVE_ORDER);
    char key_id[40], secret[AL_SECRET_LEN + 1];
    al_db *db = &x->worker->db;
    al_db_param p[] = {AL_STR(x->tenant),
                       AL_STR(id),
                       AL_STR(name),
                       AL_STR(plugin),
                       AL_STR(config),
                       AL_STR(c.currency),
                       AL_INT(c.issue_minor_per_1000),
                       AL_INT(c.redeem_minor_per_1000)};
    al_db_status st = al_db_exec(db, "START TRANSACTION", NULL, 0, NULL);
    if (st == AL_DB_OK)
        st = al_db_exec(db,
                        "INSERT INTO partners (tenant_id, partner_id, name, plugin, config, "
                        "currency, issue_minor_per_1000, redeem_minor_per_1000) "
                        "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                        p, 8, NULL);
    if (st == AL_DB_OK)
        st = add_contract(x, id, &c, true);
    if (st == AL_DB_OK)
        st = new_key(x, id, key_id, secret);
    if (st == AL_DB_OK)
        st = al_db_exec(db, "COMMIT", NULL, 0, NULL);
    if (st != AL_DB_OK)
        rollback(x);
    free(config);
    if (st == AL_DB_DUPLICATE)
        al_reply_error(x, 409, "partner_exists", "a partner with id %s already exists", id);
    else if (st != AL_DB_OK)
        al_reply_db_failure(x, st);
    else
        al_reply_json(x, 201,
                      json_pack("{s:s,s:s,s:s,s:O,s:O,s:i,s:s,s:s}", "id", id, "name", name,
                                "plugin", plugin, "config", json_object_get(body, "config"),
                                "contract", json_object_get(body, "contract"), "config_version", 1,
                                "key_id", key_id, "secret", secret));
done:
    json_decref(body);
}

#define PARTNER_COLUMNS                                                                            \
    "SELECT partner_id, name, plugin, config, config_version, currency, issue_minor_per_1000, "    \
    "redeem_minor_per_1000, DATE_FORMAT(created_at, '%Y-%m-%dT%H:%i:%sZ'), "                       \
    "DATE_FORMAT(updated_at, '%Y-%m-%dT%H:%i:%sZ') FROM partners "

static json_t *partner_json(MYSQL_ROW row)
{
    json_t *config = json_loads(row[3], 0, NULL);
    return json_pack("{s:s,s:s,s:s,s:o,s:I,s:{s:s,s:I,s:I},s:s,s:s}", "id", row[0], "name", row[1],
                     "plugin", row[2], "config", config ? config : json_object(), "config_version",
                     (json_int_t)atoll(row[4]), "contract", "currency", row[5],
                     "issue_minor_per_1000", (json_int_t)atoll(row[6]), "redeem_minor_per_1000",
                     (json_int_t)atoll(row[7]), "created_at", row[8], "updated_at", row[9]);
}

void al_api_partner_list(al_exchange *x)
{
    al_db_param p[] = {AL_STR(x->tenant)};
    MYSQL_RES *res = NULL;
    al_db_status st = al_db_exec(
        &x->worker->db, PARTNER_COLUMNS "WHERE tenant_id = ? ORDER BY partner_id", p, 1, &res);
    if (st != AL_DB_OK) {
        al_reply_db_failure(x, st);
        return;
    }
    json_t *list = json_array();
    MYSQL_ROW row;
    while ((row = mysql_fetch_row(res)) != NULL)
        json_array_append_new(list, partner_json(row));
    mysql_free_result(res);
    al_reply_json(x, 200, json_pack("{s:o}", "partners", list));
}

/* Reads one partner of the caller's tenant; NULL (and a reply) when absent. */
static json_t *load_partner(al_exchange *x, const char *id)
{
    if (!al_id_valid(id)) {
        al_reply_error(x, 404, "not_found", "no such partner");
        return NULL;
    }
    al_db_param p[] = {AL_STR(x->tenant), AL_STR(id)};
    MYSQL_RES *res = NULL;
    al_db_status st = al_db_exec(
        &x->worker->db, PARTNER_COLUMNS "WHERE tenant_id = ? AND partner_id = ?", p, 2, &res);
    if (st != AL_DB_OK) {
        al_reply_db_failure(x, st);
        return NULL;
    }
    MYSQL_ROW row = mysql_fetch_row(res);
    json_t *partner = row ? partner_json(row) : NULL;
    mysql_free_result(res);
    if (partner == NULL)
        al_reply_error(x, 404, "not_found", "no such partner");
    return partner;
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
    char *config = NULL;
    const char *name, *plugin;
    contract c;
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
    if (al_body_string(x, body, "name", 200, &name) != 0 ||
        al_body_string(x, body, "plugin", 31, &plugin) != 0 || parse_contract(x, body, &c) != 0 ||
        check_config(x, plugin, json_object_get(body, "config")) != 0)
        goto done;
    config = json_dumps(json_object_get(body, "config"), JSON_COMPACT | JSON_PRESERVE_ORDER);
    al_db_param p[] = {AL_STR(name),
                       AL_STR(plugin),
                       AL_STR(config),
                       AL_STR(c.currency),
                       AL_INT(c.issue_minor_per_1000),
                       AL_INT(c.redeem_minor_per_1000),
                       AL_STR(x->tenant),
                       AL_STR(x->params[0])};
    al_db_status st = al_db_exec(&x->worker->db,
                                 "UPDATE partners SET name = ?, plugin = ?, config = ?, "
                                 "currency = ?, issue_minor_per_1000 = ?, "
                                 "redeem_minor_per_1000 = ?, config_version = config_version + 1, "
                                 "updated_at = CURRENT_TIMESTAMP(6) "
                                 "WHERE tenant_id = ? AND partner_id = ?",
                                 p, 8, NULL);
    if (st == AL_DB_OK && new_contract)
        st = add_contract(x, x->params[0], &c, false);
    if (st != AL_DB_OK) {
        al_reply_db_failure(x, st);
        goto done;
    }
    json_decref(partner);
    partner = load_partner(x, x->params[0]);
    if (partner != NULL) {
        al_reply_json(x, 200, partner);
        partner = NULL;
    }
done:
    free(config);
    json_decref(partner);
    json_decref(body);
}

void al_api_partner_rotate_key(al_exchange *x)
{
    if (!need_master_key(x))
        return;
    json_t *partner = load_partner(x, x->params[0]);
    if (partner == NULL)
        return;
    json_decref(partner);
    char key_id[40], secret[AL_SECRET_LEN + 1];
    al_db *db = &x->worker->db;
    al_db_param p[] = {AL_INT(KEY_GRACE_HOURS), AL_STR(x->tenant), AL_STR(x->params[0])};
    al_db_status st = al_db_exec(db, "START TRANSACTION", NULL, 0, NULL);
    if (st == AL_DB_OK)
        st = al_db_exec(db,
                        "UPDATE partner_keys SET expires_at = NOW(6) + INTERVAL ? HOUR "
                        "WHERE tenant_id = ? AND partner_id = ? AND expires_at IS NULL",
                        p, 3, NULL);
    if (st == AL_DB_OK)
        st = new_key(x, x->params[0], key_id, secret);
    if (st == AL_DB_OK)
        st = al_db_exec(db, "COMMIT", NULL, 0, NULL);
    if (st != AL_DB_OK) {
        rollback(x);
        al_reply_db_failure(x, st);
        return;
    }
    al_reply_json(x, 201,
                  json_pack("{s:s,s:s,s:s,s:i}", "id", x->params[0], "key_id", key_id, "secret",
                            secret, "previous_keys_valid_hours", KEY_GRACE_HOURS));
}
