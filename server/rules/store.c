/* The rules' SQL; see store.h. */
#include "rules/store.h"
#include "tenants/versions.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

al_db_status al_rules_version_load(al_db *db, const char *tenant, int version,
                                   al_rules_version_row *out, bool *found)
{
    al_db_param p[] = {AL_STR(tenant), AL_INT(version)};
    MYSQL_RES *res = NULL;
    MYSQL_ROW row;
    al_db_status st =
        al_db_row(db,
                  "SELECT document, " AL_SQL_RFC3339(
                      "created_at") ", created_by "
                                    "FROM rules_versions WHERE tenant_id = ? AND version = ?",
                  p, 2, &res, &row);
    memset(out, 0, sizeof(*out));
    *found = false;
    if (st == AL_DB_OK && row != NULL) {
        out->version = version;
        out->document = json_loads(row[0], 0, NULL);
        snprintf(out->created_at, sizeof(out->created_at), "%s", row[1]);
        snprintf(out->created_by, sizeof(out->created_by), "%s", row[2]);
        *found = out->document != NULL;
    }
    al_db_free_result(res);
    return st;
}

static int version_of(MYSQL_ROW row, void *element)
{
    al_rules_version_row *r = element;
    r->version = atoi(row[0]);
    snprintf(r->created_at, sizeof(r->created_at), "%s", row[1]);
    snprintf(r->created_by, sizeof(r->created_by), "%s", row[2]);
    return 0;
}

al_db_status al_rules_versions_list(al_db *db, const char *tenant, al_rules_version_row **out,
                                    size_t *n)
{
    al_db_param p[] = {AL_STR(tenant)};
    void *list = NULL;
    al_db_status st = al_db_list(
        db,
        "SELECT version, " AL_SQL_RFC3339(
            "created_at") ", created_by "
                          "FROM rules_versions WHERE tenant_id = ? ORDER BY version DESC",
        p, 1, sizeof(**out), version_of, &list, n);
    *out = list;
    return st;
}

al_db_status al_rules_version_add(al_db *db, const char *tenant, const char *document,
                                  const char *created_by, int *version)
{
    int64_t current = 0;
    bool found = false;
    al_db_param t[] = {AL_STR(tenant)};
    al_db_status st = al_db_exec(db, "START TRANSACTION", NULL, 0, NULL);
    if (st == AL_DB_OK)
        st = al_db_int(db, "SELECT rules_version FROM tenants WHERE tenant_id = ? FOR UPDATE", t, 1,
                       &current, &found);
    al_db_param v[] = {AL_STR(tenant), AL_INT(current + 1), AL_STR(document), AL_STR(created_by)};
    if (st == AL_DB_OK)
        st = al_db_exec(db,
                        "INSERT INTO rules_versions (tenant_id, version, document, created_by) "
                        "VALUES (?, ?, ?, ?)",
                        v, 4, NULL);
    al_db_param u[] = {AL_INT(current + 1), AL_STR(tenant)};
    if (st == AL_DB_OK)
        st = al_db_exec(
            db,
            "UPDATE tenants SET rules_version = ?, "
            "setup_version = setup_version + 1, setup_changed_at = NOW(6) WHERE tenant_id = ?",
            u, 2, NULL);
    if (st == AL_DB_OK)
        st = al_db_exec(db, "COMMIT", NULL, 0, NULL);
    if (st != AL_DB_OK) {
        al_db_exec(db, "ROLLBACK", NULL, 0, NULL);
        return st;
    }
    *version = (int)(current + 1);
    al_setup_forget(tenant);
    return AL_DB_OK;
}
