/*
 * Partners of a tenant, as typed rows: which plugin translates their
 * transactions and its config, their money contract (with its history of
 * effective dates, for settlement), and what booking needs of a partner and
 * its tenant in one read.
 */
#ifndef AL_PARTNERS_H
#define AL_PARTNERS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "alliance/plugin.h"
#include "auth/secrets.h"
#include "core/ids.h"
#include "db/db.h"

#define AL_PARTNER_NAME_MAX 200
#define AL_KEY_ID_MAX 39

typedef struct al_contract {
    char currency[4];
    int64_t issue_minor_per_1000, redeem_minor_per_1000;
    char effective_from[27]; /* a DATETIME; "" when not given (now) */
} al_contract;

typedef struct al_partner {
    char id[AL_ID_MAX + 1];
    char name[AL_PARTNER_NAME_MAX + 1];
    char plugin[ALLIANCE_NAME_MAX];
    char *config; /* JSON text, malloc'd (al_partner_clear) */
    int64_t config_version;
    al_contract contract; /* the current one */
    char created_at[32], updated_at[32];
    bool suspended; /* its calls are refused; its members' points stay */
} al_partner;

void al_partner_clear(al_partner *p);

/*
 * Creates a partner with its first contract (from always) and a signing key,
 * in one transaction; *exists when the id is taken (nothing changed).
 */
al_db_status al_partner_create(al_db *db, const uint8_t master_key[AL_MASTER_KEY_BYTES],
                               const char *tenant, const al_partner *p,
                               char key_id[AL_KEY_ID_MAX + 1], char secret[AL_SECRET_LEN + 1],
                               bool *exists);

al_db_status al_partner_get(al_db *db, const char *tenant, const char *id, al_partner *out,
                            bool *found);

/* Every partner of tenant by id (free with al_partners_free). */
al_db_status al_partners_list(al_db *db, const char *tenant, al_partner **out, size_t *n);
void al_partners_free(al_partner *list, size_t n);

/*
 * Changes name, plugin, config and contract (config_version counts it); with
 * new_contract, the contract also starts a new period from its effective date.
 */
al_db_status al_partner_update(al_db *db, const char *tenant, const al_partner *p,
                               bool new_contract);

/*
 * A new signing key; the partner's older keys expire after grace_hours.
 * One transaction.
 */
al_db_status al_partner_rotate_key(al_db *db, const uint8_t master_key[AL_MASTER_KEY_BYTES],
                                   const char *tenant, const char *partner, int grace_hours,
                                   char key_id[AL_KEY_ID_MAX + 1], char secret[AL_SECRET_LEN + 1]);

/* What booking a partner's transaction needs of it and its tenant, in one read. */
/*
 * Suspends (its signed calls answered 403 partner_suspended) or resumes a
 * partner; every server learns it with the tenant's setup version.
 */
al_db_status al_partner_set_suspended(al_db *db, const char *tenant, const char *partner,
                                      bool suspended);

typedef struct al_partner_key_info {
    char key_id[AL_KEY_ID_MAX + 1];
    char created_at[32], expires_at[32]; /* RFC 3339; expires_at "" when it does not expire */
    bool active;
} al_partner_key_info;

/* A partner's keys, the oldest first (free *out). */
al_db_status al_partner_keys_list(al_db *db, const char *tenant, const char *partner,
                                  al_partner_key_info **out, size_t *n);

/* One of a partner's contracts: in force from effective_from until the next one's. */
typedef struct al_partner_contract {
    char effective_from[32]; /* RFC 3339 */
    char currency[4];
    int64_t issue_minor_per_1000, redeem_minor_per_1000;
} al_partner_contract;

/* A partner's contracts, the oldest first (free *out). */
al_db_status al_partner_contracts_list(al_db *db, const char *tenant, const char *partner,
                                       al_partner_contract **out, size_t *n);

/*
 * Revokes one of a partner's keys at once (it expires now; a key already past
 * its time stays as it is). *found false: the partner has no such key.
 */
al_db_status al_partner_key_revoke(al_db *db, const char *tenant, const char *partner,
                                   const char *key_id, bool *found);

typedef struct al_partner_setup {
    char plugin[ALLIANCE_NAME_MAX];
    char *config; /* malloc'd (al_partner_setup_clear) */
    bool auto_enrol;
    int expiry_months;
    int rules_version;
    int64_t setup_version; /* the tenant's, read with the rest */
    char time_zone[65];    /* the tenant's (IANA name) */
} al_partner_setup;

al_db_status al_partner_setup_load(al_db *db, const char *tenant, const char *partner,
                                   al_partner_setup *out, bool *found);
void al_partner_setup_clear(al_partner_setup *s);

#endif
