/* Member tokens; see member_tokens.h. */
#include "auth/member_tokens.h"

#include <stdio.h>
#include <string.h>

#include <openssl/crypto.h>

#include "auth/store.h"

/* The server's signature of a token: HMAC under a key of its own, derived from the master key. */
static void sign(const uint8_t master_key[AL_MASTER_KEY_BYTES], const al_member_token *t,
                 char out[65])
{
    char key[65], msg[3 * AL_ID_MAX + 64];
    al_hmac_sha256_hex((const char *)master_key, AL_MASTER_KEY_BYTES, "member-token", 12, key);
    int n = snprintf(msg, sizeof(msg), "%s\n%s\n%s\n%lld", t->tenant, t->member, t->id,
                     (long long)t->expires_at);
    al_hmac_sha256_hex(key, 64, msg, (size_t)n, out);
    OPENSSL_cleanse(key, sizeof(key));
}

bool al_member_token_shaped(const char *text)
{
    if (strncmp(text, "mt_", 3) != 0 || strlen(text) != AL_MEMBER_TOKEN_LEN || text[35] != '_')
        return false;
    for (size_t i = 3; i < AL_MEMBER_TOKEN_LEN; i++)
        if (i != 35 && !((text[i] >= '0' && text[i] <= '9') || (text[i] >= 'a' && text[i] <= 'f')))
            return false;
    return true;
}

al_db_status al_member_token_new(al_db *db, const uint8_t master_key[AL_MASTER_KEY_BYTES],
                                 const char *tenant, const char *member, int64_t ttl_s,
                                 const char *created_by, char token[AL_MEMBER_TOKEN_LEN + 1],
                                 al_member_token *out)
{
    memset(out, 0, sizeof(*out));
    if (al_random_hex(out->id, 16) != 0)
        return AL_DB_ERROR;
    snprintf(out->tenant, sizeof(out->tenant), "%s", tenant);
    snprintf(out->member, sizeof(out->member), "%s", member);
    al_db_status st = al_store_member_token_add(db, out, ttl_s, created_by);
    if (st != AL_DB_OK)
        return st;
    char sig[65];
    sign(master_key, out, sig);
    snprintf(token, AL_MEMBER_TOKEN_LEN + 1, "mt_%s_%s", out->id, sig);
    return AL_DB_OK;
}

al_db_status al_member_token_find(al_db *db, const uint8_t master_key[AL_MASTER_KEY_BYTES],
                                  const char *token, al_member_token *out, bool *found)
{
    *found = false;
    if (!al_member_token_shaped(token))
        return AL_DB_OK;
    char id[33], expected[65];
    memcpy(id, token + 3, 32);
    id[32] = '\0';
    al_db_status st = al_store_member_token(db, id, out, found);
    if (st != AL_DB_OK || !*found)
        return st;
    sign(master_key, out, expected);
    *found = CRYPTO_memcmp(token + 36, expected, 64) == 0;
    return AL_DB_OK;
}

al_db_status al_member_token_revoke(al_db *db, const char *tenant, const char *id, bool *found)
{
    return al_store_member_token_revoke(db, tenant, id, found);
}
