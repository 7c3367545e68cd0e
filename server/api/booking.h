/*
 * Running a ledger operation for a request: through group commit when
 * committers run (the reply is sent when the committer's COMMIT is done), or
 * inline on the worker's connection (batch lines, and servers started with
 * ledger_committers 0). Either way: one idempotency claim, the operation and
 * the stored answer in one database transaction; the reply after COMMIT; a
 * refusal undone so it changes nothing.
 */
#ifndef AL_BOOKING_H
#define AL_BOOKING_H

#include <stddef.h>

#include <jansson.h>

#include "http/exchange.h"
#include "ledger/committer.h"
#include "ledger/ledger.h"

/*
 * Runs fn with a copy of ctx (ctx_size bytes; ctx_free, if set, frees what it
 * owns after the reply). kind and id name the idempotency record (kind NULL:
 * none); body is the request (kept alive, and hashed to tell replays from
 * conflicts); affinity picks the committer.
 */
void al_run_booking(al_exchange *x, const char *kind, const char *id, json_t *body,
                    uint32_t affinity, al_job_fn fn, const void *ctx, size_t ctx_size,
                    void (*ctx_free)(void *ctx));

/*
 * Runs a long read fn (analytics, statements) with a copy of ctx on a report
 * thread (server/ledger/reports.c), or on the worker when none run: no
 * transaction, no idempotency record; the answer is sent from x's worker.
 */
void al_run_report(al_exchange *x, al_job_fn fn, const void *ctx, size_t ctx_size,
                   void (*ctx_free)(void *ctx));

/* Worker side of group commit: answers the jobs a committer finished. */
void al_booking_answer(al_job *job);

#endif
