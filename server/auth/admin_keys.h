/*
 * Admin keys: a tenant's people. The first key, made with the tenant, is the
 * owner's (tenants.admin_key_hash); an owner adds keys for colleagues, each
 * with a role (owner, finance, program, viewer) and a name, and revokes them.
 * Only a key's SHA-256 is kept; its first 16 hex digits are the key's id and
 * name it in records (the audit log's "admin:<id>").
 */
#ifndef AL_ADMIN_KEYS_H
#define AL_ADMIN_KEYS_H

#include <stdbool.h>
#include <stddef.h>

#include "auth/rate.h"
#include "core/ids.h"
#include "db/db.h"

/* Length of a generated admin key: "ak_" and 64 hex digits. */
#define AL_ADMIN_KEY_LEN 67

/* Longest name of a colleague's key, in bytes of UTF-8. */
#define AL_ADMIN_NAME_MAX 512

/* Who an admin key (or a console session signed in with one) is. */
typedef struct al_admin {
    char tenant[AL_ID_MAX + 1];
    char role[16];     /* owner, finance, program or viewer */
    char key_hash[65]; /* SHA-256 of the key, hex */
    char key_ref[20];  /* its first 16 digits: the key's id */
    al_rate rate;      /* the tenant's limit an admin key */
} al_admin;

/* A colleague's key as listed. */
typedef struct al_admin_key_row {
    char id[17];
    char role[16];
    char name[AL_ADMIN_NAME_MAX + 1];
    char created_by[80];
    char created_at[32];
    char revoked_at[32]; /* empty: in use */
} al_admin_key_row;

/* Whether role names one of the four roles. */
bool al_admin_role_valid(const char *role);

/* A fresh admin key and the hash stored for it. */
int al_admin_key_new(char key[AL_ADMIN_KEY_LEN + 1], char hash[65]);

/* Whether token has the shape of an admin key (worth a lookup). */
bool al_admin_key_shaped(const char *token);

/* The tenant and role of the (unrevoked) admin key token: *found and out. */
al_db_status al_admin_key_find(al_db *db, const char *token, al_admin *out, bool *found);

/* Adds a colleague's key (shown once, in key) with role and name; id names it. */
al_db_status al_admin_key_add(al_db *db, const char *tenant, const char *role, const char *name,
                              const char *created_by, char key[AL_ADMIN_KEY_LEN + 1], char id[17]);

/* A tenant's colleagues' keys, revoked ones too, oldest first (*out malloc'd). */
al_db_status al_admin_keys_list(al_db *db, const char *tenant, al_admin_key_row **out, size_t *n);

/*
 * Revokes key id of tenant, and ends its console sessions: *found (false: no
 * such key), *was_active (false: it was revoked before; nothing changed).
 */
al_db_status al_admin_key_revoke(al_db *db, const char *tenant, const char *id, bool *found,
                                 bool *was_active);

#endif
