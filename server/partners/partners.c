/* Partners' SQL; see partners.h. */
#include "partners/partners.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth/auth.h"
#include "tenants/versions.h"
#include "webhooks/outbox.h"

void al_partner_clear(al_partner *p)
{
    free(p->config);
    p->config = NULL;
}

void al_partner_setup_clear(al_partner_setup *s)
{
    free(s->config);
    s->config = NULL;
}

/*
 * Records a contract from its effective date (the first one: from always, so
 * every booking has a price; a later one: from the date given, or now).
 */
static al_db_status add_contract(al_db *db, const char *tenant, const char *partner,
                                 const al_contract *c, bool first)
{
    const char *from = first ? "1970-01-01 00:00:00" : c->effective_from;
    al_db_param p[] = {AL_STR(tenant),
                       AL_STR(partner),
                       from[0] ? AL_STR(from) : AL_NULL,
                       AL_STR(c->currency),
                       AL_INT(c->issue_minor_per_1000),
                       AL_INT(c->redeem_minor_per_1000)};
    return al_db_exec(db,
                      "REPLACE INTO partner_contracts (tenant_id, partner_id, effective_from, "
                      "currency, issue_minor_per_1000, redeem_minor_per_1000) "
                      "VALUES (?, ?, IFNULL(?, NOW(6)), ?, ?, ?)",
                      p, 6, NULL);
}

/* In the caller's transaction: partner's change for the webhooks (data: more fields, taken). */
static al_db_status partner_event(al_db *db, const char *tenant, const char *type,
                                  const char *partner, json_t *data)
{
    if (data == NULL)
        data = json_object();
    json_object_set_new(data, "partner", json_string(partner));
    return al_outbox_add(db, tenant, type, NULL, data);
}

/* Ends a transaction: COMMIT when st is fine, else ROLLBACK; st or the commit's. */
static al_db_status finish(al_db *db, al_db_status st)
{
    if (st == AL_DB_OK)
        st = al_db_exec(db, "COMMIT", NULL, 0, NULL);
    if (st != AL_DB_OK)
        al_db_exec(db, "ROLLBACK", NULL, 0, NULL);
    return st;
}

al_db_status al_partner_create(al_db *db, const uint8_t master_key[AL_MASTER_KEY_BYTES],
                               const char *tenant, const al_partner *p,
                               char key_id[AL_KEY_ID_MAX + 1], char secret[AL_SECRET_LEN + 1],
                               bool *exists)
{
    al_db_param prm[] = {AL_STR(tenant),
                         AL_STR(p->id),
                         AL_STR(p->name),
                         AL_STR(p->plugin),
                         AL_STR(p->config),
                         AL_STR(p->contract.currency),
                         AL_INT(p->contract.issue_minor_per_1000),
                         AL_INT(p->contract.redeem_minor_per_1000)};
    al_db_status st = al_db_exec(db, "START TRANSACTION", NULL, 0, NULL);
    if (st == AL_DB_OK)
        st = al_db_exec(db,
                        "INSERT INTO partners (tenant_id, partner_id, name, plugin, config, "
                        "currency, issue_minor_per_1000, redeem_minor_per_1000) "
                        "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                        prm, 8, NULL);
    if (st == AL_DB_OK)
        st = add_contract(db, tenant, p->id, &p->contract, true);
    if (st == AL_DB_OK)
        st = al_partner_key_new(db, master_key, tenant, p->id, key_id, secret);
    if (st == AL_DB_OK)
        st = partner_event(
            db, tenant, AL_EVENT_PARTNER_CREATED, p->id,
            json_pack("{s:s,s:s,s:s}", "name", p->name, "plugin", p->plugin, "key_id", key_id));
    st = finish(db, st);
    *exists = st == AL_DB_DUPLICATE;
    return *exists ? AL_DB_OK : st;
}

#define PARTNER_COLUMNS                                                                            \
    "SELECT partner_id, name, plugin, config, config_version, currency, issue_minor_per_1000, "    \
    "redeem_minor_per_1000, " AL_SQL_RFC3339_S("created_at") ", " AL_SQL_RFC3339_S(                \
        "updated_at") ", status FROM partners "

static int partner_of_row(MYSQL_ROW row, al_partner *p)
{
    memset(p, 0, sizeof(*p));
    snprintf(p->id, sizeof(p->id), "%s", row[0]);
    snprintf(p->name, sizeof(p->name), "%s", row[1]);
    snprintf(p->plugin, sizeof(p->plugin), "%s", row[2]);
    p->config = strdup(row[3]);
    p->config_version = atoll(row[4]);
    snprintf(p->contract.currency, sizeof(p->contract.currency), "%s", row[5]);
    p->contract.issue_minor_per_1000 = atoll(row[6]);
    p->contract.redeem_minor_per_1000 = atoll(row[7]);
    snprintf(p->created_at, sizeof(p->created_at), "%s", row[8]);
    snprintf(p->updated_at, sizeof(p->updated_at), "%s", row[9]);
    p->suspended = strcmp(row[10], "suspended") == 0;
    return p->config != NULL ? 0 : -1;
}

al_db_status al_partner_get(al_db *db, const char *tenant, const char *id, al_partner *out,
                            bool *found)
{
    *found = false;
    if (!al_id_valid(id))
        return AL_DB_OK;
    al_db_param p[] = {AL_STR(tenant), AL_STR(id)};
    MYSQL_RES *res = NULL;
    MYSQL_ROW row;
    al_db_status st =
        al_db_row(db, PARTNER_COLUMNS "WHERE tenant_id = ? AND partner_id = ?", p, 2, &res, &row);
    if (st == AL_DB_OK && row != NULL) {
        if (partner_of_row(row, out) != 0)
            st = AL_DB_ERROR;
        *found = st == AL_DB_OK;
    }
    al_db_free_result(res);
    return st;
}

static int listed_partner(MYSQL_ROW row, void *element)
{
    return partner_of_row(row, element);
}

al_db_status al_partners_list(al_db *db, const char *tenant, al_partner **out, size_t *n)
{
    al_db_param p[] = {AL_STR(tenant)};
    void *list = NULL;
    al_db_status st = al_db_list(db, PARTNER_COLUMNS "WHERE tenant_id = ? ORDER BY partner_id", p,
                                 1, sizeof(**out), listed_partner, &list, n);
    *out = list;
    return st;
}

void al_partners_free(al_partner *list, size_t n)
{
    for (size_t i = 0; list != NULL && i < n; i++)
        al_partner_clear(&list[i]);
    free(list);
}

al_db_status al_partner_update(al_db *db, const char *tenant, const al_partner *p,
                               bool new_contract)
{
    al_db_param prm[] = {AL_STR(p->name),
                         AL_STR(p->plugin),
                         AL_STR(p->config),
                         AL_STR(p->contract.currency),
                         AL_INT(p->contract.issue_minor_per_1000),
                         AL_INT(p->contract.redeem_minor_per_1000),
                         AL_STR(tenant),
                         AL_STR(p->id)};
    al_db_status st = al_db_exec(db, "START TRANSACTION", NULL, 0, NULL);
    if (st == AL_DB_OK)
        st = al_db_exec(db,
                        "UPDATE partners p JOIN tenants t ON t.tenant_id = p.tenant_id "
                        "SET p.name = ?, p.plugin = ?, p.config = ?, p.currency = ?, "
                        "p.issue_minor_per_1000 = ?, p.redeem_minor_per_1000 = ?, "
                        "p.config_version = p.config_version + 1, "
                        "p.updated_at = CURRENT_TIMESTAMP(6), "
                        "t.setup_version = t.setup_version + 1, t.setup_changed_at = NOW(6) "
                        "WHERE p.tenant_id = ? AND p.partner_id = ?",
                        prm, 8, NULL);
    if (st == AL_DB_OK && new_contract)
        st = add_contract(db, tenant, p->id, &p->contract, false);
    if (st == AL_DB_OK)
        st = partner_event(db, tenant, AL_EVENT_PARTNER_UPDATED, p->id,
                           json_pack("{s:s,s:s,s:b}", "name", p->name, "plugin", p->plugin,
                                     "new_contract", new_contract));
    st = finish(db, st);
    al_setup_forget(tenant);
    return st;
}

/* Moves the tenant's setup version with a change to keys or partners, in the caller's transaction.
 */
static al_db_status setup_changed(al_db *db, const char *tenant)
{
    al_db_param p[] = {AL_STR(tenant)};
    return al_db_exec(db,
                      "UPDATE tenants SET setup_version = setup_version + 1, setup_changed_at = "
                      "NOW(6) WHERE tenant_id = ?",
                      p, 1, NULL);
}

al_db_status al_partner_rotate_key(al_db *db, const uint8_t master_key[AL_MASTER_KEY_BYTES],
                                   const char *tenant, const char *partner, int grace_hours,
                                   char key_id[AL_KEY_ID_MAX + 1], char secret[AL_SECRET_LEN + 1])
{
    al_db_param p[] = {AL_INT(grace_hours), AL_STR(tenant), AL_STR(partner)};
    al_db_status st = al_db_exec(db, "START TRANSACTION", NULL, 0, NULL);
    if (st == AL_DB_OK)
        st = al_db_exec(db,
                        "UPDATE partner_keys SET expires_at = NOW(6) + INTERVAL ? HOUR "
                        "WHERE tenant_id = ? AND partner_id = ? AND expires_at IS NULL",
                        p, 3, NULL);
    if (st == AL_DB_OK)
        st = setup_changed(db, tenant);
    if (st == AL_DB_OK)
        st = al_partner_key_new(db, master_key, tenant, partner, key_id, secret);
    if (st == AL_DB_OK)
        st = partner_event(
            db, tenant, AL_EVENT_KEY_CREATED, partner,
            json_pack("{s:s,s:i}", "key_id", key_id, "old_keys_expire_in_hours", grace_hours));
    st = finish(db, st);
    al_setup_forget(tenant);
    return st;
}

al_db_status al_partner_setup_load(al_db *db, const char *tenant, const char *partner,
                                   al_partner_setup *out, bool *found)
{
    al_db_param p[] = {AL_STR(tenant), AL_STR(partner)};
    MYSQL_RES *res = NULL;
    MYSQL_ROW row;
    memset(out, 0, sizeof(*out));
    al_db_status st = al_db_row(db,
                                "SELECT p.plugin, p.config, t.auto_enrol, t.expiry_months, "
                                "t.rules_version, t.setup_version, t.time_zone "
                                "FROM partners p JOIN tenants t ON t.tenant_id = p.tenant_id "
                                "WHERE p.tenant_id = ? AND p.partner_id = ?",
                                p, 2, &res, &row);
    *found = false;
    if (st == AL_DB_OK && row != NULL) {
        snprintf(out->plugin, sizeof(out->plugin), "%s", row[0]);
        out->config = strdup(row[1]);
        out->auto_enrol = strcmp(row[2], "0") != 0;
        out->expiry_months = atoi(row[3]);
        out->rules_version = atoi(row[4]);
        out->setup_version = strtoll(row[5], NULL, 10);
        snprintf(out->time_zone, sizeof(out->time_zone), "%s", row[6]);
        *found = out->config != NULL;
        if (out->config == NULL)
            st = AL_DB_ERROR;
    }
    al_db_free_result(res);
    return st;
}

al_db_status al_partner_set_suspended(al_db *db, const char *tenant, const char *partner,
                                      bool suspended)
{
    const char *status = suspended ? "suspended" : "active";
    al_db_param p[] = {AL_STR(status), AL_STR(tenant), AL_STR(partner), AL_STR(status)};
    al_db_status st = al_db_exec(db, "START TRANSACTION", NULL, 0, NULL);
    if (st == AL_DB_OK)
        st = al_db_exec(db,
                        "UPDATE partners SET status = ?, updated_at = CURRENT_TIMESTAMP(6) "
                        "WHERE tenant_id = ? AND partner_id = ? AND status <> ?",
                        p, 4, NULL);
    bool changed = st == AL_DB_OK && al_db_affected(db) > 0;
    if (st == AL_DB_OK)
        st = setup_changed(db, tenant);
    if (st == AL_DB_OK && changed)
        st = partner_event(db, tenant,
                           suspended ? AL_EVENT_PARTNER_SUSPENDED : AL_EVENT_PARTNER_RESUMED,
                           partner, NULL);
    st = finish(db, st);
    al_setup_forget(tenant);
    return st;
}

static int key_of_row(MYSQL_ROW row, void *element)
{
    al_partner_key_info *k = element;
    snprintf(k->key_id, sizeof(k->key_id), "%s", row[0]);
    snprintf(k->created_at, sizeof(k->created_at), "%s", row[1]);
    snprintf(k->expires_at, sizeof(k->expires_at), "%s", row[2] ? row[2] : "");
    k->active = strcmp(row[3], "1") == 0;
    return 0;
}

al_db_status al_partner_keys_list(al_db *db, const char *tenant, const char *partner,
                                  al_partner_key_info **out, size_t *n)
{
    al_db_param p[] = {AL_STR(tenant), AL_STR(partner)};
    void *list = NULL;
    al_db_status st = al_db_list(
        db,
        "SELECT key_id, " AL_SQL_RFC3339_S("created_at") ", " AL_SQL_RFC3339_S(
            "expires_at") ", expires_at IS NULL OR expires_at > NOW(6) FROM partner_keys "
                          "WHERE tenant_id = ? AND partner_id = ? ORDER BY created_at, key_id",
        p, 2, sizeof(**out), key_of_row, &list, n);
    *out = list;
    return st;
}

static int contract_of_row(MYSQL_ROW row, void *element)
{
    al_partner_contract *c = element;
    snprintf(c->effective_from, sizeof(c->effective_from), "%s", row[0]);
    snprintf(c->currency, sizeof(c->currency), "%s", row[1]);
    c->issue_minor_per_1000 = strtoll(row[2], NULL, 10);
    c->redeem_minor_per_1000 = strtoll(row[3], NULL, 10);
    return 0;
}

al_db_status al_partner_contracts_list(al_db *db, const char *tenant, const char *partner,
                                       al_partner_contract **out, size_t *n)
{
    al_db_param p[] = {AL_STR(tenant), AL_STR(partner)};
    void *list = NULL;
    al_db_status st = al_db_list(
        db,
        "SELECT " AL_SQL_RFC3339_S(
            "effective_from") ", currency, "
                              "issue_minor_per_1000, redeem_minor_per_1000 "
                              "FROM partner_contracts WHERE tenant_id = ? AND partner_id = ? "
                              "ORDER BY effective_from",
        p, 2, sizeof(**out), contract_of_row, &list, n);
    *out = list;
    return st;
}

al_db_status al_partner_key_revoke(al_db *db, const char *tenant, const char *partner,
                                   const char *key_id, bool *found)
{
    al_db_param p[] = {AL_STR(tenant), AL_STR(partner), AL_STR(key_id)};
    int64_t n = 0;
    bool any = false;
    *found = false;
    al_db_status st = al_db_exec(db, "START TRANSACTION", NULL, 0, NULL);
    if (st == AL_DB_OK)
        st = al_db_int(db,
                       "SELECT COUNT(*) FROM partner_keys WHERE tenant_id = ? AND partner_id = ? "
                       "AND key_id = ? FOR UPDATE",
                       p, 3, &n, &any);
    /* Expired at once (kept, for the record); one already past its time stays as it is. */
    if (st == AL_DB_OK && n > 0)
        st = al_db_exec(db,
                        "UPDATE partner_keys SET expires_at = NOW(6) WHERE tenant_id = ? AND "
                        "partner_id = ? AND key_id = ? AND (expires_at IS NULL OR expires_at > "
                        "NOW(6))",
                        p, 3, NULL);
    if (st == AL_DB_OK && n > 0)
        st = setup_changed(db, tenant);
    if (st == AL_DB_OK && n > 0)
        st = partner_event(db, tenant, AL_EVENT_KEY_REVOKED, partner,
                           json_pack("{s:s}", "key_id", key_id));
    st = finish(db, st);
    al_setup_forget(tenant);
    *found = st == AL_DB_OK && n > 0;
    return st;
}
