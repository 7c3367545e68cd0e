/*
 * Leases: one owner at a time for work that several server nodes could each
 * start (migrations, the expiry sweep), kept in a table of the database
 * rather than in a named lock (GET_LOCK), which a Galera cluster does not
 * replicate. A lease is a row (name, holder, expires_at); taking it is one
 * upsert that keeps another holder's row until it expires, so two nodes
 * racing for it write the same row and the database lets one win (a lock
 * wait on one server, a certification conflict on Galera). A holder that
 * dies loses its lease when it expires; no one has to release it.
 */
#ifndef AL_LEASE_H
#define AL_LEASE_H

#include <stdbool.h>
#include <stdint.h>

#include "db/db.h"

#define AL_LEASE_HOLDER_MAX 96

/* Creates the leases table when it is missing (before any migration runs). */
al_db_status al_lease_prepare(al_db *db);

/*
 * This process's name as a holder: host, pid and a random tag, made once.
 * Two processes never share it, even on one host after a restart.
 */
const char *al_lease_holder(void);

/*
 * Takes or renews the lease name for ttl_ms: *held says whether this process
 * holds it now. A conflict with another node taking it at the same moment is
 * "not held", not an error.
 */
al_db_status al_lease_take(al_db *db, const char *name, int64_t ttl_ms, bool *held);

/* Gives the lease up at once when this process holds it. */
al_db_status al_lease_release(al_db *db, const char *name);

#endif
