/*
 * The sweeper: a thread of its own, with its own connection, that every
 * expiry_sweep_s releases lapsed holds, reviews tiers and expires points for
 * every tenant of every cluster (ledger/expiry.c). Never on a worker; a stop makes it give up
 * between passes. Of several server nodes on one database, the one holding
 * the "sweeper" lease (db/lease.h) sweeps.
 */
#ifndef AL_SWEEPER_H
#define AL_SWEEPER_H

#include "db/clusters.h"

/* Starts the sweeper (every_s > 0); 0 or -1. */
int al_sweeper_start(const al_clusters *clusters, unsigned timeout_s, unsigned io_timeout_s,
                     int every_s);

/* Asks it to stop (any thread): a sweep in progress ends after its current pass. */
void al_sweeper_cancel(void);

/* From any thread: the statement it waits on fails at once. */
void al_sweeper_interrupt(void);

/* Waits for it to end. */
void al_sweeper_stop(void);

#endif
