/* Caller authentication; see auth.h. */
#include "auth/auth.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <stdlib.h>
#include <time.h>

#include <event2/buffer.h>
#include <openssl/crypto.h>

#include "auth/secrets.h"
#include "db/db.h"
#include "http/server.h"

/* Signed requests older or newer than this are refused. */
#define MAX_CLOCK_SKEW_S 300

/* The token of "Authorization: Bearer <token>", or NULL. */
static const char *bearer(const al_exchange *x)
{
    const char *h = al_header(x, "Authorization");
    if (h == NULL || strncasecmp(h, "Bearer ", 7) != 0)
        return NULL;
    h += 7;
    while (*h == ' ')
        h++;
    return *h ? h : NULL;
}

int al_admin_key_new(char key[AL_ADMIN_KEY_LEN + 1], char hash[65])
{
    memcpy(key, "ak_", 3);
    if (al_random_hex(key + 3, 32) != 0)
        return -1;
    al_sha256_hex(key, strlen(key), hash);
    return 0;
}

/* Finds the tenant whose admin key hashes to the token's hash. */
static int admin_tenant(al_exchange *x, const char *token)
{
    char hash[65];
    al_sha256_hex(token, strlen(token), hash);
    al_db_param p[] = {AL_STR(hash)};
    MYSQL_RES *res = NULL;
    al_db_status st = al_db_exec(
        &x->worker->db, "SELECT tenant_id FROM tenants WHERE admin_key_hash = ?", p, 1, &res);
    if (st != AL_DB_OK) {
        al_reply_db_failure(x, st);
        return -1;
    }
    MYSQL_ROW row = mysql_fetch_row(res);
    if (row != NULL) {
        x->role = AL_ROLE_ADMIN;
        snprintf(x->key_ref, sizeof(x->key_ref), "%.16s", hash);
        snprintf(x->tenant, sizeof(x->tenant), "%s", row[0]);
    }
    mysql_free_result(res);
    return 0;
}

/*
 * A partner's signed request: X-Alliance-Key, X-Alliance-Timestamp and
 * X-Alliance-Signature = hex HMAC-SHA256(secret, METHOD \n PATH_WITH_QUERY \n
 * TIMESTAMP \n hex SHA-256(body)).
 */
static int partner_signature(al_exchange *x, const char *key_id)
{
    const char *ts = al_header(x, "X-Alliance-Timestamp");
    const char *sig = al_header(x, "X-Alliance-Signature");
    if (ts == NULL || sig == NULL) {
        al_reply_error(x, 401, "missing_signature",
                       "X-Alliance-Key, X-Alliance-Timestamp and X-Alliance-Signature go together");
        return -1;
    }
    char *end = NULL;
    long long when = strtoll(ts, &end, 10);
    long long skew = (long long)time(NULL) - when;
    if (end == ts || *end != '\0' || skew > MAX_CLOCK_SKEW_S || skew < -MAX_CLOCK_SKEW_S) {
        al_reply_error(
            x, 401, "stale_timestamp",
            "X-Alliance-Timestamp must be Unix seconds within %d s of the server's clock",
            MAX_CLOCK_SKEW_S);
        return -1;
    }
    if (!al_id_valid(key_id)) {
        al_reply_error(x, 401, "unknown_key", "no such partner key");
        return -1;
    }
    al_db_param p[] = {AL_STR(key_id)};
    MYSQL_RES *res = NULL;
    al_db_status st = al_db_exec(&x->worker->db,
                                 "SELECT tenant_id, partner_id, HEX(secret_enc) FROM partner_keys "
                                 "WHERE key_id = ? AND (expires_at IS NULL OR expires_at > NOW(6))",
                                 p, 1, &res);
    if (st != AL_DB_OK) {
        al_reply_db_failure(x, st);
        return -1;
    }
    MYSQL_ROW row = mysql_fetch_row(res);
    if (row == NULL) {
        mysql_free_result(res);
        al_reply_error(x, 401, "unknown_key", "no such partner key, or it has expired");
        return -1;
    }
    char tenant[AL_ID_MAX + 1], partner[AL_ID_MAX + 1], aad[2 * AL_ID_MAX + 2],
        secret[AL_SECRET_LEN + 1];
    snprintf(tenant, sizeof(tenant), "%s", row[0]);
    snprintf(partner, sizeof(partner), "%s", row[1]);
    snprintf(aad, sizeof(aad), "%s/%s", tenant, key_id);
    int opened =
        x->worker->has_master_key ? al_secret_open(x->worker->master_key, aad, row[2], secret) : -1;
    mysql_free_result(res);
    if (opened != 0) {
        al_reply_error(x, 500, "internal_error", "the partner's secret cannot be read");
        return -1;
    }

    struct evbuffer *in = evhttp_request_get_input_buffer(x->req);
    size_t len = evbuffer_get_length(in);
    char body_hash[65], expected[65];
    al_sha256_hex(len ? evbuffer_pullup(in, -1) : (const unsigned char *)"", len, body_hash);
    char *msg = NULL;
    int n =
        asprintf(&msg, "%s\n%s\n%s\n%s", x->method, evhttp_request_get_uri(x->req), ts, body_hash);
    if (n < 0) {
        al_reply_error(x, 500, "internal_error", "out of memory");
        return -1;
    }
    al_hmac_sha256_hex(secret, AL_SECRET_LEN, msg, (size_t)n, expected);
    free(msg);
    OPENSSL_cleanse(secret, sizeof(secret));
    if (strlen(sig) != 64 || CRYPTO_memcmp(sig, expected, 64) != 0) {
        al_reply_error(x, 401, "invalid_signature", "the signature does not match the request");
        return -1;
    }
    x->role = AL_ROLE_PARTNER;
    snprintf(x->tenant, sizeof(x->tenant), "%s", tenant);
    snprintf(x->partner, sizeof(x->partner), "%s", partner);
    return 0;
}

int al_authenticate(al_exchange *x, unsigned roles)
{
    const char *key_id = al_header(x, "X-Alliance-Key");
    if (key_id != NULL) {
        if (partner_signature(x, key_id) != 0)
            return -1;
        if ((roles & AL_ROLE_PARTNER) == 0) {
            al_reply_error(x, 403, "forbidden", "partner keys may not do this");
            return -1;
        }
        return 0;
    }
    const char *token = bearer(x);
    if (token == NULL) {
        al_reply_error(x, 401, "unauthorized", "credentials are required");
        return -1;
    }
    const char *op = x->worker->cfg->operator_token;
    if (op[0] != '\0' && al_secret_equal(token, op))
        x->role = AL_ROLE_OPERATOR;
    else if (strncmp(token, "ak_", 3) == 0 && strlen(token) == AL_ADMIN_KEY_LEN &&
             admin_tenant(x, token) != 0)
        return -1;
    if (x->role == AL_ROLE_NONE) {
        al_reply_error(x, 401, "unauthorized", "the credentials are not valid");
        return -1;
    }
    if ((x->role & roles) == 0) {
        al_reply_error(x, 403, "forbidden", "these credentials may not do this");
        return -1;
    }
    return 0;
}
