/*
 * Who is calling, from the request's headers: the operator's bearer token
 * (from the configuration), a tenant admin's bearer key (with its role), the
 * console's session cookie, or a partner's signed request (README, "Using the
 * API"). The tenant always comes from the credentials, never from the request.
 */
#ifndef AL_API_CREDENTIALS_H
#define AL_API_CREDENTIALS_H

#include <stdbool.h>

#include "auth/admin_keys.h"
#include "auth/sessions.h"
#include "http/exchange.h"

/* The name of the console's session cookie. */
#define AL_SESSION_COOKIE "alliance_session"

/*
 * Resolves the caller into x->role and x->tenant (and x->partner) and checks
 * the role is one of roles (a console session has the role of the key it was
 * signed in with; a change made with it must carry its X-CSRF-Token).
 * Returns 0, or replies (401 no or bad credentials, 403 wrong role or CSRF
 * token, 503 database down) and returns -1.
 */
int al_authenticate(al_exchange *x, unsigned roles);

/*
 * The operator names a tenant (in the path, the body or the query): x's
 * database cluster becomes that tenant's (tenants/directory.h). 0, or -1
 * after replying 503 (the directory cannot be read). A tenant's own
 * credentials were routed when they were read: nothing to do.
 */
int al_route_tenant(al_exchange *x, const char *tenant);

/* The role an admin key's role name gives (AL_ROLE_NONE: no such role). */
al_role al_role_named(const char *name);

/*
 * The admin whose key is token, on whichever cluster holds it: 1 (out, and
 * *cluster), 0 (no such key), or -1 after replying 503.
 */
int al_admin_find(al_exchange *x, const char *token, al_admin *out, int *cluster);

/* x acts as the admin a (its tenant, key, role) on cluster: what a valid credential does. */
void al_act_as_admin(al_exchange *x, const al_admin *a, int cluster);

/* Whether the request has a console session cookie; its token into token. */
bool al_session_token(const al_exchange *x, char token[AL_SESSION_TOKEN_LEN + 1]);

#endif
