/* Admin keys; see admin_keys.h. */
#include "auth/admin_keys.h"

#include <stdio.h>
#include <string.h>

#include "auth/store.h"

bool al_admin_role_valid(const char *role)
{
    static const char *const roles[] = {"owner", "finance", "program", "viewer"};
    for (size_t i = 0; i < sizeof(roles) / sizeof(roles[0]); i++)
        if (strcmp(role, roles[i]) == 0)
            return true;
    return false;
}

int al_admin_key_new(char key[AL_ADMIN_KEY_LEN + 1], char hash[65])
{
    memcpy(key, "ak_", 3);
    if (al_random_hex(key + 3, 32) != 0)
        return -1;
    al_sha256_hex(key, strlen(key), hash);
    return 0;
}

bool al_admin_key_shaped(const char *token)
{
    return strncmp(token, "ak_", 3) == 0 && strlen(token) == AL_ADMIN_KEY_LEN;
}

al_db_status al_admin_key_find(al_db *db, const char *token, al_admin *out, bool *found)
{
    char hash[65];
    al_sha256_hex(token, strlen(token), hash);
    return al_store_admin_of_key(db, hash, out, found);
}

al_db_status al_admin_key_add(al_db *db, const char *tenant, const char *role, const char *name,
                              const char *created_by, char key[AL_ADMIN_KEY_LEN + 1], char id[17])
{
    char hash[65];
    if (al_admin_key_new(key, hash) != 0)
        return AL_DB_ERROR;
    snprintf(id, 17, "%.16s", hash);
    return al_store_admin_key_add(db, tenant, id, hash, role, name, created_by);
}

al_db_status al_admin_keys_list(al_db *db, const char *tenant, al_admin_key_row **out, size_t *n)
{
    return al_store_admin_keys(db, tenant, out, n);
}

al_db_status al_admin_key_revoke(al_db *db, const char *tenant, const char *id, bool *found,
                                 bool *was_active)
{
    return al_store_admin_key_revoke(db, tenant, id, found, was_active);
}
