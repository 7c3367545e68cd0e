/* Running a ledger operation for a request; see booking.h. */
#include "api/booking.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/ids.h"
#include "http/server.h"
#include "ledger/reports.h"

/* A job with what the request must keep alive until its answer. */
typedef struct {
    al_job job;
    json_t *body;
    void (*ctx_free)(void *ctx);
    max_align_t ctx[]; /* the caller's context, copied */
} booking;

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

void al_booking_answer(al_job *job)
{
    booking *b = (booking *)job;
    al_exchange *x = job->owner;
    if (job->reply != NULL && job->header_name[0] != '\0')
        evhttp_add_header(evhttp_request_get_output_headers(x->req), job->header_name,
                          job->header_value);
    if (job->reply != NULL)
        al_reply_raw(x, job->status, job->reply);
    else if (job->db != AL_DB_OK && job->db != AL_DB_RETRY)
        al_reply_db_failure(x, job->db);
    else if (job->status < 400 || job->code[0] == '\0') /* an operation that said nothing */
        al_reply_error(x, 500, "internal_error", "the operation gave no answer");
    else
        al_reply_error(x, job->status, job->code, "%s", job->message);
    free(job->reply);
    if (b->ctx_free != NULL)
        b->ctx_free(b->ctx);
    json_decref(b->body);
    free(b);
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
    b->job.fn = fn;
    b->job.ctx = b->ctx;
    b->job.owner = x;
    return b;
}

void al_run_report(al_exchange *x, al_job_fn fn, const void *ctx, size_t ctx_size,
                   void (*ctx_free)(void *ctx))
{
    booking *b = new_job(x, fn, ctx, ctx_size, ctx_free);
    if (b == NULL)
        return;
    al_job *job = &b->job;
    if (al_reports_running() && !x->sub) {
        job->done = al_worker_job_done; /* answered on x's worker */
        al_report_submit(job);
        return;
    }
    bool failed;
    al_job_run(&x->worker->db, job, &failed);
    al_booking_answer(job);
}

void al_run_booking(al_exchange *x, const char *kind, const char *id, json_t *body,
                    uint32_t affinity, al_job_fn fn, const void *ctx, size_t ctx_size,
                    void (*ctx_free)(void *ctx))
{
    booking *b = new_job(x, fn, ctx, ctx_size, ctx_free);
    if (b == NULL)
        return;
    b->body = json_incref(body);
    al_job *job = &b->job;
    job->affinity = affinity;
    job->idempotent = kind != NULL;
    job->key = (al_idem_key){.tenant = x->tenant, .partner = x->partner, .kind = kind, .id = id};
    if (kind != NULL && request_hash(x, body, job->key.hash) != 0) {
        job->status = 500;
        snprintf(job->code, sizeof(job->code), "internal_error");
        snprintf(job->message, sizeof(job->message), "out of memory");
        al_booking_answer(job);
        return;
    }
    if (al_committers_running() && !x->sub) {
        job->done = al_worker_job_done; /* answered on x's worker after COMMIT */
        al_commit_submit(job);
        return;
    }
    al_job_run_alone(&x->worker->db, job);
    al_booking_answer(job);
}
