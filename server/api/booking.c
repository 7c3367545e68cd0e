/* Running a domain operation for a request; see booking.h. */
#include "api/booking.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/statuses.h"
#include "core/ids.h"
#include "core/log.h"
#include "http/server.h"
#include "ledger/report_threads.h"

/* A job with what the request must keep alive until its answer. */
typedef struct {
    al_task task; /* the answer, run on the request's worker */
    al_job job;
    al_exchange *x;
    json_t *body;
    void (*ctx_free)(void *ctx);
    max_align_t ctx[]; /* the caller's context, copied */
} booking;

#define BOOKING_OF(p, member) ((booking *)((char *)(p)-offsetof(booking, member)))

/* The canonical body (spacing and key order aside) and the path, hashed. */
static int request_hash(al_exchange *x, json_t *body, char out[65])
{
    char *canon = json_dumps(body, JSON_COMPACT | JSON_SORT_KEYS), *text = NULL;
    if (canon == NULL || asprintf(&text, "%s\n%s", x->path, canon) < 0) {
        free(canon);
        return -1;
    }
    al_sha256_hex(text, strlen(text), out);
    free(canon);
    free(text);
    return 0;
}

static void (*rerun_hook)(al_exchange *x);

void al_booking_on_stale(void (*rerun)(al_exchange *x))
{
    rerun_hook = rerun;
}

static void booking_free(booking *b)
{
    free(b->job.reply);
    if (b->ctx_free != NULL)
        b->ctx_free(b->ctx);
    json_decref(b->body);
    free(b);
}

/* On the request's worker: the reply, then the job is freed. */
static void answer(al_task *task)
{
    booking *b = BOOKING_OF(task, task);
    al_job *job = &b->job;
    al_exchange *x = b->x;
    if (job->result == AL_STALE && rerun_hook != NULL && !x->sub && x->reruns < 2) {
        al_log(AL_LOG_INFO, "request %s runs again: tenant %s changed its setup before it was read",
               x->request_id, x->tenant);
        booking_free(b);
        x->reruns++;
        x->role = AL_ROLE_NONE;
        x->tenant[0] = x->partner[0] = x->key_ref[0] = '\0';
        x->cluster = 0;
        x->setup_version = 0;
        rerun_hook(x); /* the worker's caches now see the new version */
        return;
    }
    al_reply_outcome(x, job->result, job->reply, job->code, job->message, job->db, job->signature);
    booking_free(b);
}

/* On the committer or report thread, once the answer is final. */
static void job_done(al_job *job)
{
    booking *b = BOOKING_OF(job, job);
    al_http_post(al_http_worker_of(b->x), &b->task);
}

/* A job of fn over a copy of ctx, owned by x; NULL after replying 500. */
static booking *new_job(al_exchange *x, al_job_fn fn, const void *ctx, size_t ctx_size,
                        void (*ctx_free)(void *ctx))
{
    booking *b = calloc(1, sizeof(*b) + ctx_size);
    if (b == NULL) {
        if (ctx_free != NULL)
            ctx_free((void *)ctx);
        al_reply_error(x, 500, "internal_error", "out of memory");
        return NULL;
    }
    memcpy(b->ctx, ctx, ctx_size);
    b->ctx_free = ctx_free;
    b->x = x;
    b->task.handler = answer;
    b->job.fn = fn;
    b->job.ctx = b->ctx;
    b->job.done = job_done;
    b->job.cluster = x->cluster;
    return b;
}

void al_run_report(al_exchange *x, al_job_fn fn, const void *ctx, size_t ctx_size,
                   void (*ctx_free)(void *ctx))
{
    booking *b = new_job(x, fn, ctx, ctx_size, ctx_free);
    if (b != NULL)
        al_report_submit(&b->job);
}

void al_run_booking(al_exchange *x, const char *kind, const char *id, json_t *body,
                    uint32_t affinity, al_job_fn fn, const void *ctx, size_t ctx_size,
                    void (*ctx_free)(void *ctx))
{
    al_run_set_booking(x, kind, id, body, affinity, fn, NULL, ctx, ctx_size, ctx_free);
}

void al_run_set_booking(al_exchange *x, const char *kind, const char *id, json_t *body,
                        uint32_t affinity, al_job_fn fn, void (*describe)(void *ctx, al_job_op *op),
                        const void *ctx, size_t ctx_size, void (*ctx_free)(void *ctx))
{
    booking *b = new_job(x, fn, ctx, ctx_size, ctx_free);
    if (b == NULL)
        return;
    b->job.describe = describe;
    b->body = json_incref(body);
    al_job *job = &b->job;
    job->affinity = affinity;
    job->idempotent = kind != NULL;
    job->setup_version = x->setup_version;
    job->setup_read_us = x->setup_read_us;
    job->key = (al_idem_key){.tenant = x->tenant, .partner = x->partner, .kind = kind, .id = id};
    if (kind != NULL && request_hash(x, body, job->key.hash) != 0) {
        job->result = AL_FAILED;
        snprintf(job->code, sizeof(job->code), "internal_error");
        snprintf(job->message, sizeof(job->message), "out of memory");
        answer(&b->task);
        return;
    }
    al_commit_submit(job);
}
