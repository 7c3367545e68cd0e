/* Recording changes in the audit log from a handler; see api/audit.c. */
#ifndef AL_API_AUDIT_H
#define AL_API_AUDIT_H

#include <jansson.h>

#include "http/exchange.h"

/* Who the caller is, for the log: "operator" or "admin:<key ref>". */
void al_api_actor(const al_exchange *x, char out[48]);

/*
 * Appends a change x made to tenant's chain, after it is done (its own
 * transaction); before and after are stolen (NULL: none). A failure is
 * logged: the change itself stands.
 */
void al_api_audit(al_exchange *x, const char *tenant, const char *action, const char *target,
                  json_t *before, json_t *after);

#endif
