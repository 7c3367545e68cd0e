/* The credentials' SQL; see store.h. */
#include "auth/store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Columns of an admin: tenant, role, key hash, and the tenant's admin rate. */
static void admin_of(MYSQL_ROW row, al_admin *out)
{
    snprintf(out->tenant, sizeof(out->tenant), "%s", row[0]);
    snprintf(out->role, sizeof(out->role), "%s", row[1]);
    snprintf(out->key_hash, sizeof(out->key_hash), "%s", row[2]);
    snprintf(out->key_ref, sizeof(out->key_ref), "%.16s", row[2]);
    out->rate = (al_rate){.per_second = atoi(row[3]), .burst = atoi(row[4])};
}

al_db_status al_store_admin_of_key(al_db *db, const char *hash, al_admin *out, bool *found)
{
    al_db_param p[] = {AL_STR(hash), AL_STR(hash)};
    MYSQL_ROW row;
    MYSQL_RES *res = NULL;
    al_db_status st = al_db_row(
        db,
        "SELECT tenant_id, 'owner', admin_key_hash, admin_rate_per_s, admin_rate_burst "
        "FROM tenants WHERE admin_key_hash = ? "
        "UNION ALL SELECT k.tenant_id, k.role, k.key_hash, t.admin_rate_per_s, t.admin_rate_burst "
        "FROM admin_keys k JOIN tenants t ON t.tenant_id = k.tenant_id "
        "WHERE k.key_hash = ? AND k.revoked_at IS NULL",
        p, 2, &res, &row);
    *found = st == AL_DB_OK && row != NULL;
    if (*found)
        admin_of(row, out);
    al_db_free_result(res);
    return st;
}

al_db_status al_store_admin_key_add(al_db *db, const char *tenant, const char *id, const char *hash,
                                    const char *role, const char *name, const char *created_by)
{
    al_db_param p[] = {AL_STR(tenant), AL_STR(id),   AL_STR(hash),
                       AL_STR(role),   AL_STR(name), AL_STR(created_by)};
    return al_db_exec(db,
                      "INSERT INTO admin_keys (tenant_id, key_id, key_hash, role, name, "
                      "created_by) VALUES (?, ?, ?, ?, ?, ?)",
                      p, 6, NULL);
}

static int admin_key_row_of(MYSQL_ROW row, void *element)
{
    al_admin_key_row *k = element;
    snprintf(k->id, sizeof(k->id), "%s", row[0]);
    snprintf(k->role, sizeof(k->role), "%s", row[1]);
    snprintf(k->name, sizeof(k->name), "%s", row[2]);
    snprintf(k->created_by, sizeof(k->created_by), "%s", row[3]);
    snprintf(k->created_at, sizeof(k->created_at), "%s", row[4]);
    snprintf(k->revoked_at, sizeof(k->revoked_at), "%s", row[5] ? row[5] : "");
    return 0;
}

al_db_status al_store_admin_keys(al_db *db, const char *tenant, al_admin_key_row **out, size_t *n)
{
    al_db_param p[] = {AL_STR(tenant)};
    void *list = NULL;
    al_db_status st = al_db_list(
        db,
        "SELECT key_id, role, name, created_by, " AL_SQL_RFC3339_S(
            "created_at") ", " AL_SQL_RFC3339_S("revoked_at") " FROM admin_keys WHERE tenant_id = "
                                                              "? ORDER BY created_at, key_id",
        p, 1, sizeof(**out), admin_key_row_of, &list, n);
    *out = list;
    return st;
}

al_db_status al_store_admin_key_revoke(al_db *db, const char *tenant, const char *id, bool *found,
                                       bool *was_active)
{
    al_db_param p[] = {AL_STR(tenant), AL_STR(id)};
    MYSQL_ROW row;
    MYSQL_RES *res = NULL;
    *found = *was_active = false;
    al_db_status st = al_db_exec(db, "START TRANSACTION", NULL, 0, NULL);
    if (st == AL_DB_OK)
        st = al_db_row(db,
                       "SELECT key_hash, revoked_at IS NULL FROM admin_keys "
                       "WHERE tenant_id = ? AND key_id = ? FOR UPDATE",
                       p, 2, &res, &row);
    if (st == AL_DB_OK && row != NULL) {
        char hash[65];
        snprintf(hash, sizeof(hash), "%s", row[0]);
        *found = true;
        *was_active = strcmp(row[1], "1") == 0;
        al_db_param h[] = {AL_STR(hash)};
        if (*was_active)
            st = al_db_exec(db,
                            "UPDATE admin_keys SET revoked_at = NOW(6) "
                            "WHERE tenant_id = ? AND key_id = ?",
                            p, 2, NULL);
        if (st == AL_DB_OK)
            st = al_db_exec(db, "DELETE FROM console_sessions WHERE key_hash = ?", h, 1, NULL);
    }
    al_db_free_result(res);
    al_db_status end = al_db_exec(db, st == AL_DB_OK ? "COMMIT" : "ROLLBACK", NULL, 0, NULL);
    return st != AL_DB_OK ? st : end;
}

al_db_status al_store_session_add(al_db *db, const char *hash, const al_admin *admin,
                                  const char *csrf, int64_t lifetime_s)
{
    al_db_param drop[] = {AL_STR(admin->tenant)};
    al_db_status st = al_db_exec(db,
                                 "DELETE FROM console_sessions WHERE tenant_id = ? "
                                 "AND expires_at < NOW(6)",
                                 drop, 1, NULL);
    if (st != AL_DB_OK)
        return st;
    al_db_param p[] = {AL_STR(hash),        AL_STR(admin->tenant), AL_STR(admin->key_hash),
                       AL_STR(admin->role), AL_STR(csrf),          AL_INT(lifetime_s)};
    return al_db_exec(db,
                      "INSERT INTO console_sessions (session_hash, tenant_id, key_hash, role, "
                      "csrf_token, expires_at) VALUES (?, ?, ?, ?, ?, "
                      "NOW(6) + INTERVAL ? SECOND)",
                      p, 6, NULL);
}

al_db_status al_store_session(al_db *db, const char *hash, al_session *out, bool *found)
{
    al_db_param p[] = {AL_STR(hash)};
    MYSQL_ROW row;
    MYSQL_RES *res = NULL;
    al_db_status st = al_db_row(
        db,
        "SELECT s.tenant_id, s.role, s.key_hash, t.admin_rate_per_s, t.admin_rate_burst, "
        "s.csrf_token, TIMESTAMPDIFF(SECOND, NOW(6), s.expires_at) "
        "FROM console_sessions s JOIN tenants t ON t.tenant_id = s.tenant_id "
        "WHERE s.session_hash = ? AND s.expires_at > NOW(6) AND (t.admin_key_hash = s.key_hash "
        "OR EXISTS (SELECT 1 FROM admin_keys k WHERE k.key_hash = s.key_hash "
        "AND k.revoked_at IS NULL))",
        p, 1, &res, &row);
    *found = st == AL_DB_OK && row != NULL;
    if (*found) {
        admin_of(row, &out->admin);
        snprintf(out->csrf, sizeof(out->csrf), "%s", row[5]);
        out->expires_in = strtoll(row[6], NULL, 10);
    }
    al_db_free_result(res);
    return st;
}

al_db_status al_store_session_extend(al_db *db, const char *hash, int64_t lifetime_s)
{
    al_db_param p[] = {AL_INT(lifetime_s), AL_STR(hash)};
    return al_db_exec(db,
                      "UPDATE console_sessions SET expires_at = NOW(6) + INTERVAL ? SECOND "
                      "WHERE session_hash = ?",
                      p, 2, NULL);
}

al_db_status al_store_session_delete(al_db *db, const char *hash)
{
    al_db_param p[] = {AL_STR(hash)};
    return al_db_exec(db, "DELETE FROM console_sessions WHERE session_hash = ?", p, 1, NULL);
}

al_db_status al_store_member_token_add(al_db *db, al_member_token *t, int64_t ttl_s,
                                       const char *created_by)
{
    /* The expiry is the database's clock, whole seconds: what the signature covers. */
    int64_t now = 0;
    bool found = false;
    al_db_status st = al_db_int(db, "SELECT UNIX_TIMESTAMP()", NULL, 0, &now, &found);
    if (st != AL_DB_OK)
        return st;
    t->expires_at = now + ttl_s;
    al_db_param p[] = {AL_STR(t->id), AL_STR(t->tenant), AL_STR(t->member), AL_STR(created_by),
                       AL_INT(t->expires_at)};
    return al_db_exec(db,
                      "INSERT INTO member_tokens (token_id, tenant_id, member_id, created_by, "
                      "expires_at) VALUES (?, ?, ?, ?, FROM_UNIXTIME(?))",
                      p, 5, NULL);
}

al_db_status al_store_member_token(al_db *db, const char *id, al_member_token *out, bool *found)
{
    al_db_param p[] = {AL_STR(id)};
    MYSQL_ROW row;
    MYSQL_RES *res = NULL;
    al_db_status st = al_db_row(db,
                                "SELECT k.token_id, k.tenant_id, k.member_id, "
                                "UNIX_TIMESTAMP(k.expires_at), t.partner_rate_per_s, "
                                "t.partner_rate_burst FROM member_tokens k JOIN tenants t "
                                "ON t.tenant_id = k.tenant_id WHERE k.token_id = ? "
                                "AND k.revoked_at IS NULL AND k.expires_at > NOW()",
                                p, 1, &res, &row);
    *found = st == AL_DB_OK && row != NULL;
    if (*found) {
        snprintf(out->id, sizeof(out->id), "%s", row[0]);
        snprintf(out->tenant, sizeof(out->tenant), "%s", row[1]);
        snprintf(out->member, sizeof(out->member), "%s", row[2]);
        out->expires_at = strtoll(row[3], NULL, 10);
        out->rate = (al_rate){.per_second = atoi(row[4]), .burst = atoi(row[5])};
    }
    al_db_free_result(res);
    return st;
}

al_db_status al_store_member_token_revoke(al_db *db, const char *tenant, const char *id,
                                          bool *found)
{
    al_db_param p[] = {AL_STR(tenant), AL_STR(id)};
    int64_t n = 0;
    al_db_status st =
        al_db_int(db, "SELECT COUNT(*) FROM member_tokens WHERE tenant_id = ? AND token_id = ?", p,
                  2, &n, found);
    *found = st == AL_DB_OK && n > 0;
    if (*found)
        st = al_db_exec(db,
                        "UPDATE member_tokens SET revoked_at = IFNULL(revoked_at, NOW(6)) "
                        "WHERE tenant_id = ? AND token_id = ?",
                        p, 2, NULL);
    return st;
}

al_db_status al_store_partner_key(al_db *db, const char *key_id, al_key_row *out, bool *found)
{
    al_db_param p[] = {AL_STR(key_id)};
    MYSQL_ROW row;
    MYSQL_RES *res = NULL;
    al_db_status st = al_db_row(db,
                                "SELECT k.tenant_id, k.partner_id, HEX(k.secret_enc), "
                                "t.setup_version, IFNULL(TIMESTAMPDIFF(SECOND, '1970-01-01', "
                                "k.expires_at), 0), p.status = 'suspended', t.partner_rate_per_s, "
                                "t.partner_rate_burst FROM partner_keys k "
                                "JOIN tenants t ON t.tenant_id = k.tenant_id JOIN partners p ON "
                                "p.tenant_id = k.tenant_id AND p.partner_id = k.partner_id "
                                "WHERE k.key_id = ? AND "
                                "(k.expires_at IS NULL OR k.expires_at > NOW(6))",
                                p, 1, &res, &row);
    *found = st == AL_DB_OK && row != NULL;
    if (*found) {
        snprintf(out->tenant, sizeof(out->tenant), "%s", row[0]);
        snprintf(out->partner, sizeof(out->partner), "%s", row[1]);
        snprintf(out->sealed_hex, sizeof(out->sealed_hex), "%s", row[2]);
        out->setup_version = strtoll(row[3], NULL, 10);
        out->expires_at = strtoll(row[4], NULL, 10);
        out->suspended = strcmp(row[5], "1") == 0;
        out->rate = (al_rate){.per_second = atoi(row[6]), .burst = atoi(row[7])};
    }
    al_db_free_result(res);
    return st;
}

al_db_status al_store_partner_key_add(al_db *db, const char *key_id, const char *tenant,
                                      const char *partner, const char *sealed_hex)
{
    al_db_param p[] = {AL_STR(key_id), AL_STR(tenant), AL_STR(partner), AL_STR(sealed_hex)};
    return al_db_exec(db,
                      "INSERT INTO partner_keys (key_id, tenant_id, partner_id, secret_enc) "
                      "VALUES (?, ?, ?, UNHEX(?))",
                      p, 4, NULL);
}
