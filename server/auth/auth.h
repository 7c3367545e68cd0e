/*
 * Credentials: who is calling. The operator's bearer token comes from the
 * configuration; a tenant admin's bearer key is looked up by its SHA-256.
 * The tenant always comes from the credentials, never from the request.
 */
#ifndef AL_AUTH_H
#define AL_AUTH_H

#include "http/exchange.h"

/* Length of a generated admin key: "ak_" and 64 hex digits. */
#define AL_ADMIN_KEY_LEN 67

/*
 * Resolves the caller into x->role and x->tenant and checks the role is one of
 * roles. Returns 0, or replies (401 no or bad credentials, 403 wrong role,
 * 503 database down) and returns -1.
 */
int al_authenticate(al_exchange *x, unsigned roles);

/* A fresh admin key and the hash stored for it. */
int al_admin_key_new(char key[AL_ADMIN_KEY_LEN + 1], char hash[65]);

#endif
