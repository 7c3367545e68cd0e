/*
 * Set-based batches: a committer's earnings and redemptions of one tenant as
 * a set. Instead of a dozen statements an operation, a run of them costs a
 * few multi-row statements in all: every idempotency key read at once,
 * every member row locked in one statement (the primary key's order), the
 * capped promotions' counts, tier windows and lots read once; then each
 * operation is decided in memory, in the order it came, against what the
 * ones before it left (points, debts, holds, lots, caps, tiers); then the
 * bookings, balances, lots, consumptions, transactions, redemptions,
 * counters and member rows are written as multi-row statements, and every
 * answer with them. A refused operation changes nothing in memory, so it
 * spoils no other; what the set cannot decide exactly (an overflow, a new
 * lot a redemption of the same run would need) ends the run there or fails
 * the batch, whose jobs then run one by one through the same rules in
 * ledger.c. docs/ledger.md says which statements a run costs.
 */
#ifndef AL_BATCH_H
#define AL_BATCH_H

#include <stddef.h>

#include "db/db.h"
#include "ledger/committer.h"

/* What a run also does, to spare round trips: start the transaction; commit it. */
#define AL_BATCH_BEGIN 1u       /* no transaction is open: its reads start one */
#define AL_BATCH_COMMIT_LAST 2u /* nothing follows these jobs: commit with the writes */

/*
 * Runs jobs (each with op EARN or REDEEM, all of one tenant, in their order)
 * inside the transaction (flags as above). Jobs made with what a worker kept
 * in memory are checked against the tenant's setup version first (see
 * committer.c); a stale one is answered AL_STALE. *done says how many jobs,
 * from the first, it answered; the others wait for another run. *committed:
 * the run took them all and committed. Not AL_DB_OK: the transaction must be
 * rolled back and its jobs run one by one (AL_DB_RETRY also when the set met a
 * case only the one-by-one path decides).
 */
al_db_status al_batch_run(al_db *db, al_job **jobs, size_t n, unsigned flags, size_t *done,
                          bool *committed);

/* Frees what this thread's runs kept (a committer, at its end). */
void al_batch_thread_end(void);

#endif
