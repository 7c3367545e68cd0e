/*
 * Tenants' setup versions, as this server last saw them. Every change to a
 * tenant's partner keys, partners, settings or rules moves
 * tenants.setup_version in the same transaction; what a server keeps in
 * memory about a tenant (partners/cache.h) is good while the version it was
 * read at is still the one seen. A server sees versions by reading them all
 * once a second (al_setup_poll), at every commit that checks a booking's
 * version, and at once after its own changes (al_setup_forget). Shared by
 * every thread; one mutex, held for a lookup.
 */
#ifndef AL_TENANT_VERSIONS_H
#define AL_TENANT_VERSIONS_H

#include <stdbool.h>
#include <stdint.h>

#include "db/db.h"

/* Whether something read at version (and local epoch) is still good for tenant. */
bool al_setup_fresh(const char *tenant, int64_t version, uint64_t epoch);

/* The local epoch of tenant, to keep with what is read now. */
uint64_t al_setup_epoch(const char *tenant);

/* A version of tenant read from the database: a higher one makes older reads stale. */
void al_setup_seen(const char *tenant, int64_t version);

/* This server changed tenant's setup: what it read before is stale at once. */
void al_setup_forget(const char *tenant);

/*
 * Whether something read at version, at read_us (wall clock, microseconds),
 * was already stale when read, the tenant now being at now_version, last
 * changed at changed_us: its one change since came before the read, or more
 * than one change came since (their times unknown).
 */
bool al_setup_stale(int64_t version, int64_t read_us, int64_t now_version, int64_t changed_us);

/* Reads every tenant's version (one statement). */
al_db_status al_setup_poll(al_db *db);

/* Frees the table (at exit). */
void al_setup_versions_free(void);

#endif
