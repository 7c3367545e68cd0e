/* The route table of HTTP API v1: every endpoint, its roles and handler. */
#ifndef AL_ROUTES_H
#define AL_ROUTES_H

#include <stddef.h>

#include "http/router.h"

extern const al_route al_routes[];
extern const size_t al_nroutes;

/* Handlers, one file a resource. */
void al_api_healthz(al_exchange *x);
void al_api_readyz(al_exchange *x);
void al_api_tenant_create(al_exchange *x);
void al_api_tenant_get(al_exchange *x);
void al_api_plugins_list(al_exchange *x);
void al_api_plugins_reload(al_exchange *x);
void al_api_partner_create(al_exchange *x);
void al_api_partner_list(al_exchange *x);
void al_api_partner_get(al_exchange *x);
void al_api_partner_patch(al_exchange *x);
void al_api_partner_rotate_key(al_exchange *x);
void al_api_transaction_simulate(al_exchange *x);

#endif
