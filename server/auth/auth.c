/* Caller authentication; see auth.h. */
#include "auth/auth.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "db/db.h"
#include "http/server.h"

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
        snprintf(x->tenant, sizeof(x->tenant), "%s", row[0]);
    }
    mysql_free_result(res);
    return 0;
}

int al_authenticate(al_exchange *x, unsigned roles)
{
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
