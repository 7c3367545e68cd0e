/* The credentials' SQL (private to auth/): typed rows of tenants and partner_keys. */
#ifndef AL_AUTH_STORE_H
#define AL_AUTH_STORE_H

#include <stdbool.h>

#include "auth/rate.h"
#include "auth/secrets.h"
#include "core/ids.h"
#include "db/db.h"

/* The tenant whose admin key hashes to hash. */
al_db_status al_store_tenant_of_admin_key(al_db *db, const char *hash, bool *found,
                                          char tenant[AL_ID_MAX + 1], al_rate *rate);

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
