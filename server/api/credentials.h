/*
 * Who is calling, from the request's headers: the operator's bearer token
 * (from the configuration), a tenant admin's bearer key, or a partner's
 * signed request (README, "Using the API"). The tenant always comes from the
 * credentials, never from the request.
 */
#ifndef AL_API_CREDENTIALS_H
#define AL_API_CREDENTIALS_H

#include "auth/admin_keys.h"
#include "http/exchange.h"

/* The name of the console's session cookie. */
#define AL_SESSION_COOKIE "alliance_session"

/*
 * Who may call, from the request's headers: the operator's bearer token, an
 * admin key (its role decides what it may do), a console session's cookie
 * (the role of the key it was signed in with; a change must carry the
 * session's X-CSRF-Token), or a partner's signed request.
 *
 * Resolves the caller into x->role and x->tenant (and x->partner) and checks
 * the role is one of roles. Returns 0, or replies (401 no or bad credentials,
 * 403 wrong role, 503 database down) and returns -1.
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

/* The value of the request's console session cookie (up to ';'), or NULL. */
const char *al_session_cookie(const al_exchange *x);

#endif
