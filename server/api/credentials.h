/*
 * Who is calling, from the request's headers: the operator's bearer token
 * (from the configuration), a tenant admin's bearer key, or a partner's
 * signed request (README, "Using the API"). The tenant always comes from the
 * credentials, never from the request.
 */
#ifndef AL_API_CREDENTIALS_H
#define AL_API_CREDENTIALS_H

#include "http/exchange.h"

/*
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

#endif
