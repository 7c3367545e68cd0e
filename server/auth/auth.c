/* Credentials; see auth.h. */
#include "auth/auth.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "auth/store.h"

al_db_status al_partner_key_find(al_db *db, const uint8_t *master_key, const char *key_id,
                                 al_partner_key *out, al_key_state *state)
{
    al_key_row row;
    bool found = false;
    memset(out, 0, sizeof(*out));
    *state = AL_KEY_UNKNOWN;
    if (!al_id_valid(key_id))
        return AL_DB_OK;
    al_db_status st = al_store_partner_key(db, key_id, &row, &found);
    if (st != AL_DB_OK || !found)
        return st;
    char aad[2 * AL_ID_MAX + 2];
    snprintf(aad, sizeof(aad), "%s/%s", row.tenant, key_id);
    if (master_key == NULL || al_secret_open(master_key, aad, row.sealed_hex, out->secret) != 0) {
        *state = AL_KEY_UNREADABLE;
        return AL_DB_OK;
    }
    memcpy(out->tenant, row.tenant, sizeof(out->tenant));
    memcpy(out->partner, row.partner, sizeof(out->partner));
    out->setup_version = row.setup_version;
    out->expires_at = row.expires_at;
    out->suspended = row.suspended;
    out->rate = row.rate;
    *state = AL_KEY_OK;
    return AL_DB_OK;
}

al_db_status al_partner_key_new(al_db *db, const uint8_t master_key[AL_MASTER_KEY_BYTES],
                                const char *tenant, const char *partner, char key_id[40],
                                char secret[AL_SECRET_LEN + 1])
{
    char sealed[AL_SEALED_HEX_LEN + 1], aad[2 * AL_ID_MAX + 2];
    memcpy(key_id, "pk_", 3);
    if (al_random_hex(key_id + 3, 16) != 0 || al_random_hex(secret, AL_SECRET_LEN / 2) != 0)
        return AL_DB_ERROR;
    snprintf(aad, sizeof(aad), "%s/%s", tenant, key_id);
    if (al_secret_seal(master_key, aad, secret, sealed) != 0)
        return AL_DB_ERROR;
    return al_store_partner_key_add(db, key_id, tenant, partner, sealed);
}

void al_partner_key_wipe(al_partner_key *k)
{
    OPENSSL_cleanse(k->secret, sizeof(k->secret));
}

bool al_timestamp_fresh(const char *ts, time_t now)
{
    char *end = NULL;
    long long when = strtoll(ts, &end, 10);
    long long skew = (long long)now - when;
    return end != ts && *end == '\0' && skew <= AL_MAX_CLOCK_SKEW_S && skew >= -AL_MAX_CLOCK_SKEW_S;
}

int al_request_signature(const char *secret, const char *method, const char *path_with_query,
                         const char *ts, const void *body, size_t body_len, char out[65])
{
    char body_hash[65];
    al_sha256_hex(body_len ? body : "", body_len, body_hash);
    char *msg = NULL;
    int n = asprintf(&msg, "%s\n%s\n%s\n%s", method, path_with_query, ts, body_hash);
    if (n < 0)
        return -1;
    al_hmac_sha256_hex(secret, strlen(secret), msg, (size_t)n, out);
    free(msg);
    return 0;
}

bool al_signature_matches(const char *given, const char expected[65])
{
    return strlen(given) == 64 && CRYPTO_memcmp(given, expected, 64) == 0;
}
