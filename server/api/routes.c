/* The route table; see routes.h. Read this file to see the whole API. */
#include "api/routes.h"

#define OP AL_ROLE_OPERATOR
#define ADMIN AL_ROLE_ADMIN

const al_route al_routes[] = {
    {"GET", "/healthz", 0, al_api_healthz},
    {"GET", "/readyz", 0, al_api_readyz},
    {"POST", "/v1/tenants", OP, al_api_tenant_create},
    {"GET", "/v1/tenants/{id}", OP | ADMIN, al_api_tenant_get},
};

const size_t al_nroutes = sizeof(al_routes) / sizeof(al_routes[0]);
