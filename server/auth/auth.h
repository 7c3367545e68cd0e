/*
 * Partners' credentials, as the domain knows them: partner keys (the secret
 * sealed under the master key) and the signature a partner puts on each
 * request (admin keys: admin_keys.h; console sessions: sessions.h). The HTTP side (which header
 * holds what, which status a refusal gets) is api/credentials.c.
 */
#ifndef AL_AUTH_H
#define AL_AUTH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "auth/rate.h"
#include "auth/secrets.h"
#include "core/ids.h"
#include "db/db.h"

/* Signed requests older or newer than this are refused. */
#define AL_MAX_CLOCK_SKEW_S 300

/* A partner's signing key, with its secret opened. */
typedef struct al_partner_key {
    char tenant[AL_ID_MAX + 1];
    char partner[AL_ID_MAX + 1];
    char secret[AL_SECRET_LEN + 1]; /* wipe after use (al_partner_key_wipe) */
    int64_t setup_version;          /* the tenant's, read with the key */
    int64_t expires_at;             /* Unix seconds; 0: does not expire */
    bool suspended;                 /* the partner is suspended: its calls are refused */
    al_rate rate;                   /* the tenant's limit a partner key */
} al_partner_key;

typedef enum {
    AL_KEY_OK,
    AL_KEY_UNKNOWN,   /* no such key, or it has expired */
    AL_KEY_UNREADABLE /* its secret does not open under master_key (or there is none) */
} al_key_state;

/* Looks key_id up (unexpired) and opens its secret; master_key may be NULL. */
al_db_status al_partner_key_find(al_db *db, const uint8_t *master_key, const char *key_id,
                                 al_partner_key *out, al_key_state *state);

void al_partner_key_wipe(al_partner_key *k);

/*
 * Makes a signing key for a partner: key_id ("pk_" and 32 hex digits) and a
 * fresh secret, stored sealed under master_key (bound to tenant and key id).
 */
al_db_status al_partner_key_new(al_db *db, const uint8_t master_key[AL_MASTER_KEY_BYTES],
                                const char *tenant, const char *partner, char key_id[40],
                                char secret[AL_SECRET_LEN + 1]);

/* Whether ts (Unix seconds as text) is within AL_MAX_CLOCK_SKEW_S of now. */
bool al_timestamp_fresh(const char *ts, time_t now);

/*
 * The signature of a request: lowercase hex HMAC-SHA256(secret, METHOD \n
 * PATH_WITH_QUERY \n TIMESTAMP \n hex SHA-256(body)); 0, or -1 out of memory.
 */
int al_request_signature(const char *secret, const char *method, const char *path_with_query,
                         const char *ts, const void *body, size_t body_len, char out[65]);

/* Whether given is the expected signature (constant time). */
bool al_signature_matches(const char *given, const char expected[65]);

#endif
