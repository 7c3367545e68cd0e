/* The credentials' SQL; see store.h. */
#include "auth/store.h"

#include <stdio.h>
#include <stdlib.h>

al_db_status al_store_tenant_of_admin_key(al_db *db, const char *hash, bool *found,
                                          char tenant[AL_ID_MAX + 1], al_rate *rate)
{
    al_db_param p[] = {AL_STR(hash)};
    MYSQL_ROW row;
    MYSQL_RES *res = NULL;
    al_db_status st = al_db_row(db,
                                "SELECT tenant_id, admin_rate_per_s, admin_rate_burst FROM tenants "
                                "WHERE admin_key_hash = ?",
                                p, 1, &res, &row);
    *found = st == AL_DB_OK && row != NULL;
    if (*found) {
        snprintf(tenant, AL_ID_MAX + 1, "%s", row[0]);
        *rate = (al_rate){.per_second = atoi(row[1]), .burst = atoi(row[2])};
    }
    al_db_free_result(res);
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
