/*
 * Member tokens: a partner or an admin mints one for one member; the
 * member's app then reads that member's balance, history and tier with it,
 * and nothing else. A token is "mt_", its id (32 hex digits), "_" and the
 * server's signature (hex HMAC-SHA256, under a key derived from the master
 * key) over tenant, member, id and expiry; the row in member_tokens keeps it
 * revocable. A token past its time, revoked, or whose signature does not
 * match its row is no token.
 */
#ifndef AL_MEMBER_TOKENS_H
#define AL_MEMBER_TOKENS_H

#include <stdbool.h>
#include <stdint.h>

#include "auth/rate.h"
#include "auth/secrets.h"
#include "core/ids.h"
#include "db/db.h"

/* "mt_", 32 hex digits, "_", 64 hex digits. */
#define AL_MEMBER_TOKEN_LEN 100

/* The longest a token may live, and its default. */
#define AL_MEMBER_TOKEN_TTL_MAX 604800 /* a week */
#define AL_MEMBER_TOKEN_TTL_DEFAULT 3600

typedef struct al_member_token {
    char id[33];
    char tenant[AL_ID_MAX + 1];
    char member[AL_ID_MAX + 1];
    int64_t expires_at; /* Unix seconds */
    al_rate rate;       /* the tenant's limit a partner key, a token's too (read with it) */
} al_member_token;

/* Whether text has the shape of a member token (worth a lookup). */
bool al_member_token_shaped(const char *text);

/*
 * Mints a token for member of tenant lasting ttl_s seconds: the token text
 * into token, its id and expiry into out. created_by names who asked.
 */
al_db_status al_member_token_new(al_db *db, const uint8_t master_key[AL_MASTER_KEY_BYTES],
                                 const char *tenant, const char *member, int64_t ttl_s,
                                 const char *created_by, char token[AL_MEMBER_TOKEN_LEN + 1],
                                 al_member_token *out);

/* The live token text names: *found and out. */
al_db_status al_member_token_find(al_db *db, const uint8_t master_key[AL_MASTER_KEY_BYTES],
                                  const char *token, al_member_token *out, bool *found);

/* Revokes token id of tenant at once: *found false when the tenant has no such token. */
al_db_status al_member_token_revoke(al_db *db, const char *tenant, const char *id, bool *found);

#endif
