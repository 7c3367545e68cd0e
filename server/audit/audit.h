/*
 * The audit log: what admins and the operator changed, per tenant, as a hash
 * chain. Each row's hash is SHA-256 over the previous row's hash and its own
 * fields (a compact JSON array, see audit.c), so editing, inserting or
 * removing a row breaks the chain at that row; al_audit_verify names the
 * first broken link.
 */
#ifndef AL_AUDIT_H
#define AL_AUDIT_H

#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

#include "core/ids.h"
#include "db/db.h"

typedef struct al_audit_entry {
    const char *tenant;     /* whose chain */
    const char *actor;      /* "operator" or "admin:<key ref>" */
    const char *request_id; /* of the request that made the change */
    const char *action;     /* "partner.update", "rules.publish", ... */
    const char *target;     /* what changed: a partner id, a member id, ... */
    json_t *before, *after; /* borrowed; NULL: none */
} al_audit_entry;

/* Appends e to its tenant's chain in a transaction of its own (retried on a race). */
al_db_status al_audit_append(al_db *db, const al_audit_entry *e);

/* The same inside the caller's transaction: the row commits (or not) with the change. */
al_db_status al_audit_append_in(al_db *db, const al_audit_entry *e);

/* A tenant's rows after seq after, oldest first, at most limit: a JSON array (caller owns). */
al_db_status al_audit_list(al_db *db, const char *tenant, int64_t after, int limit, json_t **rows);

/* Checks the whole chain: *rows read; *broken the first row whose link fails, 0 when none. */
al_db_status al_audit_verify(al_db *db, const char *tenant, int64_t *rows, int64_t *broken);

#endif
