/*
 * Lookups handlers share, each "...OrReply" in the redis sense: on failure it
 * has already answered (503, 404, 500) and returns NULL or -1.
 */
#ifndef AL_API_LOOKUPS_H
#define AL_API_LOOKUPS_H

#include "http/exchange.h"
#include "rules/rules.h"
#include "tenants/tenants.h"

/* The caller's tenant (settings and live rules version). */
int al_tenant_load(al_exchange *x, al_tenant *out);

/* The tenant's compiled rules of version (0: the defaults), a reference (al_rules_drop). */
al_rules *al_rules_for(al_exchange *x, int version);

/* The caller's tenant's live rules, and the tenant into *tenant when not NULL. */
al_rules *al_tenant_rules(al_exchange *x, al_tenant *tenant);

#endif
