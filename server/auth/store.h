/*
 * The credentials' SQL (private to auth/): typed rows of tenants, admin_keys,
 * console_sessions, member_tokens and partner_keys.
 */
#ifndef AL_AUTH_STORE_H
#define AL_AUTH_STORE_H

#include <stdbool.h>

#include "auth/admin_keys.h"
#include "auth/member_tokens.h"
#include "auth/rate.h"
#include "auth/secrets.h"
#include "auth/sessions.h"
#include "core/ids.h"
#include "db/db.h"

/* The admin whose (unrevoked) key hashes to hash: the tenant's first key, or a colleague's. */
al_db_status al_store_admin_of_key(al_db *db, const char *hash, al_admin *out, bool *found);

al_db_status al_store_admin_key_add(al_db *db, const char *tenant, const char *id, const char *hash,
                                    const char *role, const char *name, const char *created_by);

al_db_status al_store_admin_keys(al_db *db, const char *tenant, al_admin_key_row **out, size_t *n);

/* Revokes the key and deletes its sessions, in one transaction. */
al_db_status al_store_admin_key_revoke(al_db *db, const char *tenant, const char *id, bool *found,
                                       bool *was_active);

/* Adds a session (and drops the tenant's expired ones). */
al_db_status al_store_session_add(al_db *db, const char *hash, const al_admin *admin,
                                  const char *csrf, int64_t lifetime_s);

/* The live session whose token hashes to hash, with its key still valid. */
al_db_status al_store_session(al_db *db, const char *hash, al_session *out, bool *found);

al_db_status al_store_session_extend(al_db *db, const char *hash, int64_t lifetime_s);

al_db_status al_store_session_delete(al_db *db, const char *hash);

/* A member token's row (its expiry: ttl_s from now, in whole seconds; into t->expires_at). */
al_db_status al_store_member_token_add(al_db *db, al_member_token *t, int64_t ttl_s,
                                       const char *created_by);

/* The unexpired, unrevoked token id. */
al_db_status al_store_member_token(al_db *db, const char *id, al_member_token *out, bool *found);

al_db_status al_store_member_token_revoke(al_db *db, const char *tenant, const char *id,
                                          bool *found);

typedef struct al_key_row {
    char tenant[AL_ID_MAX + 1];
    char partner[AL_ID_MAX + 1];
    char sealed_hex[AL_SEALED_HEX_LEN + 1];
    int64_t setup_version; /* the tenant's, read with the key */
    int64_t expires_at;    /* Unix seconds, rounded down; 0: does not expire */
    bool suspended;        /* the partner's calls are refused */
    al_rate rate;          /* the tenant's limit a partner key */
} al_key_row;

/* An unexpired partner key. */
al_db_status al_store_partner_key(al_db *db, const char *key_id, al_key_row *out, bool *found);

/* Stores a new key with its sealed secret (hex). */
al_db_status al_store_partner_key_add(al_db *db, const char *key_id, const char *tenant,
                                      const char *partner, const char *sealed_hex);

#endif
