/*
 * Console sessions: a person signs in to the console with an admin key and
 * holds a session token (in an HttpOnly cookie) instead of the key. A session
 * is short-lived (console_session_s without use; a use in its second half
 * renews it), carries the key's tenant and role, and a CSRF token that every
 * change made with it must repeat. Only the session token's SHA-256 is kept;
 * a revoked or rotated key ends its sessions.
 */
#ifndef AL_SESSIONS_H
#define AL_SESSIONS_H

#include <stdbool.h>
#include <stdint.h>

#include "auth/admin_keys.h"
#include "db/db.h"

/* Length of a session token: "cs_" and 64 hex digits. */
#define AL_SESSION_TOKEN_LEN 67

typedef struct al_session {
    al_admin admin;     /* who signed in, with the key's role */
    char csrf[65];      /* the token changes must carry */
    int64_t expires_in; /* seconds left */
} al_session;

/* A new session for admin, lasting lifetime_s: its token (for the cookie) and out. */
al_db_status al_session_start(al_db *db, const al_admin *admin, int64_t lifetime_s,
                              char token[AL_SESSION_TOKEN_LEN + 1], al_session *out);

/* The live session of token (renewed when less than half of lifetime_s is left). */
al_db_status al_session_find(al_db *db, const char *token, int64_t lifetime_s, al_session *out,
                             bool *found);

/* Ends the session of token (signing out); nothing when there is none. */
al_db_status al_session_end(al_db *db, const char *token);

#endif
