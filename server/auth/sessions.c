/* Console sessions; see sessions.h. */
#include "auth/sessions.h"

#include <string.h>

#include "auth/store.h"
#include "core/ids.h"

al_db_status al_session_start(al_db *db, const al_admin *admin, int64_t lifetime_s,
                              char token[AL_SESSION_TOKEN_LEN + 1], al_session *out)
{
    char hash[65];
    memcpy(token, "cs_", 3);
    if (al_random_hex(token + 3, 32) != 0 || al_random_hex(out->csrf, 32) != 0)
        return AL_DB_ERROR;
    al_sha256_hex(token, strlen(token), hash);
    out->admin = *admin;
    out->expires_in = lifetime_s;
    return al_store_session_add(db, hash, admin, out->csrf, lifetime_s);
}

al_db_status al_session_find(al_db *db, const char *token, int64_t lifetime_s, al_session *out,
                             bool *found)
{
    char hash[65];
    *found = false;
    if (strncmp(token, "cs_", 3) != 0 || strlen(token) != AL_SESSION_TOKEN_LEN)
        return AL_DB_OK;
    al_sha256_hex(token, strlen(token), hash);
    al_db_status st = al_store_session(db, hash, out, found);
    /* Renewed at most once in half a lifetime: most uses write nothing. */
    if (st == AL_DB_OK && *found && out->expires_in < lifetime_s / 2) {
        st = al_store_session_extend(db, hash, lifetime_s);
        out->expires_in = lifetime_s;
    }
    return st;
}

al_db_status al_session_end(al_db *db, const char *token)
{
    char hash[65];
    al_sha256_hex(token, strlen(token), hash);
    return al_store_session_delete(db, hash);
}
