/*
 * Running a domain operation for a request, off the worker: a ledger write
 * through group commit (the reply is sent when the committer's COMMIT is
 * done), or long work (analytics, statements, imports, sweeps) on a report
 * thread. Either way the job carries its own answer callback, and the answer
 * comes back to the request's worker as a task (http/server.h). For writes:
 * one idempotency claim, the operation and the stored answer in one database
 * transaction; the reply after COMMIT; a refusal undone so it changes nothing.
 */
#ifndef AL_BOOKING_H
#define AL_BOOKING_H

#include <stddef.h>

#include <jansson.h>

#include "http/exchange.h"
#include "ledger/committer.h"

/*
 * Runs fn with a copy of ctx (ctx_size bytes; ctx_free, if set, frees what it
 * owns after the reply). kind and id name the idempotency record (kind NULL:
 * none); body is the request (kept alive, and hashed to tell replays from
 * conflicts); affinity picks the committer.
 */
/*
 * How a request whose booking was made with a setup that had changed runs
 * again (the application's dispatch, registered at start): credentials and
 * setup read afresh. Twice at most; then, and for batch lines, 503.
 */
void al_booking_on_stale(void (*rerun)(al_exchange *x));

void al_run_booking(al_exchange *x, const char *kind, const char *id, json_t *body,
                    uint32_t affinity, al_job_fn fn, const void *ctx, size_t ctx_size,
                    void (*ctx_free)(void *ctx));

/*
 * The same for an earning or a redemption: describe says which (from the
 * copy of ctx), so that the committer may book it with others as a set.
 */
void al_run_set_booking(al_exchange *x, const char *kind, const char *id, json_t *body,
                        uint32_t affinity, al_job_fn fn, void (*describe)(void *ctx, al_job_op *op),
                        const void *ctx, size_t ctx_size, void (*ctx_free)(void *ctx));

/*
 * Runs long work fn with a copy of ctx on a report thread
 * (server/ledger/report_threads.c): no transaction, no idempotency record; the
 * answer is sent from x's worker.
 */
void al_run_report(al_exchange *x, al_job_fn fn, const void *ctx, size_t ctx_size,
                   void (*ctx_free)(void *ctx));

#endif
