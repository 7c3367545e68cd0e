/* Tenants' SQL; see tenants.h. */
#include "tenants/tenants.h"
#include "tenants/versions.h"

#include "core/text.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

al_db_status al_tenant_create(al_db *db, const char *id, const char *name,
                              const char *admin_key_hash, bool *exists)
{
    al_db_param p[] = {AL_STR(id), AL_STR(name), AL_STR(admin_key_hash)};
    al_db_status st = al_db_exec(db,
                                 "INSERT INTO tenants (tenant_id, name, admin_key_hash) "
                                 "VALUES (?, ?, ?)",
                                 p, 3, NULL);
    *exists = st == AL_DB_DUPLICATE;
    return *exists ? AL_DB_OK : st;
}

/* clang-format off */
#define TENANT_COLUMNS                                                                     \
    "SELECT tenant_id, name, " AL_SQL_RFC3339_S("created_at") ", auto_enrol, "            \
    "expiry_months, rules_version, partner_rate_per_s, partner_rate_burst, "               \
    "admin_rate_per_s, admin_rate_burst, expiry_notice_days, time_zone FROM tenants "
/* clang-format on */

static int tenant_of(MYSQL_ROW row, void *element)
{
    al_tenant *out = element;
    snprintf(out->id, sizeof(out->id), "%s", row[0]);
    snprintf(out->name, sizeof(out->name), "%s", row[1]);
    snprintf(out->created_at, sizeof(out->created_at), "%s", row[2]);
    out->auto_enrol = strcmp(row[3], "0") != 0;
    out->expiry_months = atoi(row[4]);
    out->rules_version = atoi(row[5]);
    out->partner_rate = (al_rate){.per_second = atoi(row[6]), .burst = atoi(row[7])};
    out->admin_rate = (al_rate){.per_second = atoi(row[8]), .burst = atoi(row[9])};
    out->expiry_notice_days = atoi(row[10]);
    snprintf(out->time_zone, sizeof(out->time_zone), "%s", row[11]);
    return 0;
}

al_db_status al_tenant_get(al_db *db, const char *id, al_tenant *out, bool *found)
{
    al_db_param p[] = {AL_STR(id)};
    MYSQL_RES *res = NULL;
    MYSQL_ROW row;
    al_db_status st = al_db_row(db, TENANT_COLUMNS "WHERE tenant_id = ?", p, 1, &res, &row);
    *found = st == AL_DB_OK && row != NULL;
    if (*found)
        tenant_of(row, out);
    al_db_free_result(res);
    return st;
}

al_db_status al_tenants_get(al_db *db, const char *const *ids, size_t n, al_tenant **out,
                            size_t *got)
{
    *out = NULL;
    *got = 0;
    if (n == 0)
        return AL_DB_OK;
    al_db_param *p = calloc(n, sizeof(*p));
    al_text sql = {0};
    al_text_printf(&sql, "%s", TENANT_COLUMNS "WHERE tenant_id IN (");
    for (size_t i = 0; p != NULL && i < n; i++) {
        p[i] = AL_STR(ids[i]);
        al_text_printf(&sql, "%s?", i ? ", " : "");
    }
    al_text_printf(&sql, ") ORDER BY tenant_id");
    char *text = al_text_take(&sql);
    void *list = NULL;
    al_db_status st = p != NULL && text != NULL
                          ? al_db_list(db, text, p, n, sizeof(**out), tenant_of, &list, got)
                          : AL_DB_ERROR;
    free(text);
    free(p);
    *out = list;
    return st;
}

al_db_status al_tenant_update(al_db *db, const char *id, const al_tenant_changes *c)
{
#define KEEP_IF(cond, v) (cond) ? AL_NULL : AL_INT(v)
#define RATE(r, field) (r) != NULL ? AL_INT((r)->field) : AL_NULL
    al_db_param p[] = {AL_STR_OR_NULL(c->name),
                       KEEP_IF(c->auto_enrol < 0, c->auto_enrol),
                       KEEP_IF(c->expiry_months <= 0, c->expiry_months),
                       KEEP_IF(c->expiry_notice_days < 0, c->expiry_notice_days),
                       AL_STR_OR_NULL(c->time_zone),
                       RATE(c->partner_rate, per_second),
                       RATE(c->partner_rate, burst),
                       RATE(c->admin_rate, per_second),
                       RATE(c->admin_rate, burst),
                       AL_STR(id)};
#undef RATE
#undef KEEP_IF
    /* The key cache reads the partner rate with the key: the setup version moves. */
    al_db_status st = al_db_exec(
        db,
        "UPDATE tenants SET name = IFNULL(?, name), "
        "auto_enrol = IFNULL(?, auto_enrol), "
        "expiry_months = IFNULL(?, expiry_months), "
        "expiry_notice_days = IFNULL(?, expiry_notice_days), "
        "time_zone = IFNULL(?, time_zone), "
        "partner_rate_per_s = IFNULL(?, partner_rate_per_s), "
        "partner_rate_burst = IFNULL(?, partner_rate_burst), "
        "admin_rate_per_s = IFNULL(?, admin_rate_per_s), "
        "admin_rate_burst = IFNULL(?, admin_rate_burst), "
        "setup_version = setup_version + 1, setup_changed_at = NOW(6) WHERE tenant_id = ?",
        p, 10, NULL);
    al_setup_forget(id);
    return st;
}

al_db_status al_tenant_set_admin_key(al_db *db, const char *id, const char *admin_key_hash,
                                     bool *found)
{
    al_db_param p[] = {AL_STR(admin_key_hash), AL_STR(id)};
    al_db_status st =
        al_db_exec(db, "UPDATE tenants SET admin_key_hash = ? WHERE tenant_id = ?", p, 2, NULL);
    *found = st == AL_DB_OK && al_db_affected(db) > 0;
    return st;
}
