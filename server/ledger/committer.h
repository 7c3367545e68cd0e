/*
 * Group commit. Workers hand ledger operations (jobs) to committer threads;
 * a committer runs every job waiting for it in one database transaction, a
 * savepoint each (so a refused job undoes only itself), commits once, and
 * only then hands each job's answer back to the worker that sent it. Many
 * operations share one COMMIT (one log flush) while durability stays on.
 * When the database fails under a batch (down, hung past the connection's
 * timeout), every job of it is answered with that failure at once: none is
 * retried against a database that is not answering.
 *
 * A job goes to the committer chosen by its affinity (the member, or the id
 * it names), so one member's jobs queue on one connection. Each committer
 * writes the partner balance shard of its own number, so committers do not
 * wait on each other's balance rows (the committer's number is its
 * connection's lane, which the ledger reads). A deadlock fails the batch;
 * its jobs are then run one transaction each.
 */
#ifndef AL_COMMITTER_H
#define AL_COMMITTER_H

#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

#include "db/clusters.h"
#include "db/db.h"
#include "ledger/idempotency.h"
#include "ledger/ledger.h"
#include "ledger/outcome.h"

typedef struct al_job al_job;

/* The operation, run on a committer's connection inside its transaction. */
typedef bool (*al_job_fn)(al_db *db, void *ctx, al_outcome *o);

/*
 * What an earning or a redemption is, for the set-based batches (batch.h);
 * a job of another kind runs through its fn alone.
 */
typedef enum { AL_OP_NONE = 0, AL_OP_EARN, AL_OP_REDEEM } al_op_kind;

typedef struct al_job_op {
    al_op_kind kind;
    al_earn earn;
    al_redeem redeem;
} al_job_op;

/* Called on the committer thread when the job's answer is final (after COMMIT). */
typedef void (*al_job_done_fn)(al_job *job);

struct al_job {
    al_job *next;
    /* in */
    al_job_fn fn;
    void *ctx;
    void (*describe)(void *ctx,
                     al_job_op *op); /* NULL: fn only; else batches may run it as a set */
    bool idempotent;
    al_idem_key key;
    uint32_t affinity;
    int cluster;           /* the database cluster of the job's tenant (db/clusters.h) */
    int64_t setup_version; /* what the request was checked against (tenants/versions.h); 0: none */
    int64_t setup_read_us; /* when (wall clock, microseconds) */
    bool stale;            /* that setup had changed before it was read: answered busy, not run */
    al_job_done_fn done;
    /* out */
    al_result result;    /* what the operation came to */
    char *reply;         /* the answer's JSON text (malloc'd), success or replay */
    char code[64];       /* an error's code when reply is NULL */
    char message[256];   /* an error's message */
    al_db_status db;     /* not AL_DB_OK: the database failed */
    char signature[160]; /* a detached signature of a done answer ("" for none) */
};

/*
 * Starts n committers, each with its own connection to each cluster (io_timeout_s: see
 * al_db_init), their lanes first_lane, first_lane + 1, ... (a server node's
 * own: see node_index); 0 or -1.
 */
int al_committers_start(const al_clusters *clusters, unsigned timeout_s, unsigned io_timeout_s,
                        int n, int max_batch, bool sets, int first_lane);

/* From any thread: the statements the committers wait on fail at once (a stop past its grace). */
void al_committers_interrupt(void);

/* Stops them after the jobs they hold are done. */
void al_committers_stop(void);

/* True when committers run (else operations run inline). */
bool al_committers_running(void);

/* Queues a job; its done() is called later on a committer thread. */
void al_commit_submit(al_job *job);

/*
 * Checks a job made with kept setup against its tenant's version, read now
 * (tenants/versions.h): when it was stale when read, the job is answered
 * AL_STALE (stale set, not run) and true comes back.
 */
bool al_job_check_setup(al_job *job, int64_t version, int64_t changed_us);

/*
 * Runs one job inside the caller's open transaction: the idempotency claim,
 * the operation, the stored answer. Fills job's out fields; returns false
 * when the job's work must be undone (a refusal, a replay, a conflict) and
 * sets *db_failed when the database failed (the transaction is lost).
 */
bool al_job_run(al_db *db, al_job *job, bool *db_failed);

/*
 * Runs one job in a transaction of its own on db, retried on deadlocks (then
 * 503 busy): a committer's fallback when a batch fails, and the inline path.
 */
void al_job_run_alone(al_db *db, al_job *job);

#endif
