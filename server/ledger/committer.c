/* Group commit; see committer.h. */
#include "ledger/committer.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/ids.h"
#include "core/log.h"
#include "core/metrics.h"
#include "ledger/batch.h"
#include "tenants/versions.h"

#define MAX_COMMITTERS 64
#define ATTEMPTS 3
#define POLL_MS 1000

typedef struct {
    pthread_t thread;
    al_job *head, *tail; /* the queue, under lock */
    pthread_mutex_t lock;
    pthread_cond_t wake;
    al_db_set dbs; /* one connection a cluster */
    int index;
    int max_batch;
    bool stop;
    int64_t polled_ms; /* the last setup versions' read (the first committer) */
} committer;

static committer committers[MAX_COMMITTERS];
static int ncommitters;
static pthread_mutex_t life_lock = PTHREAD_MUTEX_INITIALIZER; /* interrupt against stop */

bool al_committers_running(void)
{
    return ncommitters > 0;
}

static void set_error(al_job *job, al_result result, const char *code, const char *message)
{
    job->result = result;
    snprintf(job->code, sizeof(job->code), "%s", code);
    snprintf(job->message, sizeof(job->message), "%s", message);
}

bool al_job_run(al_db *db, al_job *job, bool *db_failed)
{
    *db_failed = false;
    free(job->reply);
    job->reply = NULL;
    job->db = AL_DB_OK;
    if (job->idempotent) {
        al_idem_state state;
        char *stored = NULL;
        al_db_status st = al_idem_claim(db, &job->key, &state, &stored);
        if (st != AL_DB_OK) {
            job->db = st;
            *db_failed = true;
            return false;
        }
        if (state == AL_IDEM_REPLAY) {
            job->result = AL_DONE;
            job->reply = stored;
            return false; /* nothing of ours to keep */
        }
        if (state == AL_IDEM_CONFLICT) {
            char msg[128];
            snprintf(msg, sizeof(msg), "id %s was used with another body", job->key.id);
            set_error(job, AL_CONFLICT, "id_reused", msg);
            return false;
        }
    }
    al_outcome o = {0};
    if (!job->fn(db, job->ctx, &o)) {
        json_decref(o.reply);
        free(o.reply_text);
        if (o.db != AL_DB_OK) {
            job->db = o.db;
            *db_failed = true;
            return false;
        }
        set_error(job, o.result, o.code, o.message);
        return o.keep;
    }
    job->reply =
        o.reply_text
            ? o.reply_text
            : json_dumps(o.reply, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(12));
    json_decref(o.reply);
    job->result = o.result;
    memcpy(job->signature, o.signature, sizeof(job->signature));
    al_db_status st = job->reply ? AL_DB_OK : AL_DB_ERROR;
    if (st == AL_DB_OK && job->idempotent)
        st = al_idem_store(db, &job->key, (int)job->result, job->reply);
    if (st != AL_DB_OK) {
        job->db = st;
        *db_failed = true;
        return false;
    }
    return true;
}

bool al_job_check_setup(al_job *job, int64_t version, int64_t changed_us)
{
    if (job->setup_version == 0 ||
        !al_setup_stale(job->setup_version, job->setup_read_us, version, changed_us))
        return false;
    job->stale = true;
    set_error(job, AL_STALE, "setup_changed",
              "the partner's setup changed while this request was on its way; send it again "
              "with the same id");
    return true;
}

static bool use_sets = true; /* ledger_sets */

static bool settable(const al_job *j)
{
    return use_sets && j->describe != NULL && j->idempotent;
}

/*
 * Jobs a worker made with what it keeps in memory (keys, partner setups,
 * rules: tenants/versions.h) commit only if that was current when they read
 * it: their tenant's setup version is unchanged, or its one change came after
 * the read (as if the worker had read the database then). The tenants' rows
 * are read with a shared lock, so a later change waits for this commit, and
 * causally on a Galera cluster (wsrep_sync_wait: a change another node
 * committed before is applied here first; a no-op on one server). A
 * stale job is not run: the worker runs its request again (api/booking.c).
 */
static bool checked_here(const al_job *j, bool plain_only)
{
    return j->setup_version > 0 && !(plain_only && settable(j)); /* sets check their own */
}

static al_db_status check_setups(al_db *db, al_job *jobs, bool begin, bool plain_only)
{
    size_t n = 0;
    for (al_job *j = jobs; j != NULL; j = j->next)
        n += checked_here(j, plain_only);
    if (n == 0)
        return begin ? al_ledger_begin(db) : AL_DB_OK;
    al_db_param *p = calloc(n, sizeof(*p));
    char *sql = malloc(256 + 2 * n); /* the text below, then ",?" each */
    if (p == NULL || sql == NULL) {
        free(p);
        free(sql);
        return AL_DB_ERROR;
    }
    size_t k = 0;
    /* begin: with the transaction's start, one round trip (a committer's connection takes scripts)
     */
    size_t len = (size_t)sprintf(sql,
                                 "%sSET STATEMENT wsrep_sync_wait = 1 FOR "
                                 "SELECT tenant_id, setup_version, TIMESTAMPDIFF("
                                 "MICROSECOND, '1970-01-01', setup_changed_at) "
                                 "FROM tenants WHERE tenant_id IN (",
                                 begin ? "START TRANSACTION; " : "");
    for (al_job *j = jobs; j != NULL; j = j->next)
        if (checked_here(j, plain_only)) {
            len += (size_t)sprintf(sql + len, k ? ",?" : "?");
            p[k++] = AL_STR(j->key.tenant);
        }
    sprintf(sql + len, ") LOCK IN SHARE MODE");
    MYSQL_RES *res = NULL;
    size_t got = 0;
    al_db_status st =
        begin ? al_db_script(db, sql, p, k, &res, 1, &got) : al_db_exec(db, sql, p, k, &res);
    if (st == AL_DB_OK && res == NULL)
        st = AL_DB_ERROR;
    free(sql);
    free(p);
    if (st != AL_DB_OK)
        return st;
    MYSQL_ROW row;
    while ((row = mysql_fetch_row(res)) != NULL) {
        int64_t version = strtoll(row[1], NULL, 10), changed_us = strtoll(row[2], NULL, 10);
        al_setup_seen(row[0], version);
        for (al_job *j = jobs; j != NULL; j = j->next)
            if (checked_here(j, plain_only) && strcmp(j->key.tenant, row[0]) == 0)
                al_job_check_setup(j, version, changed_us);
    }
    al_db_free_result(res);
    return AL_DB_OK;
}

void al_job_run_alone(al_db *db, al_job *job)
{
    for (int attempt = 0; attempt < ATTEMPTS; attempt++) {
        bool failed = false;
        al_db_status st = al_ledger_begin(db);
        if (st == AL_DB_OK && job->setup_version > 0) {
            al_job *next = job->next; /* this job's check alone */
            job->next = NULL;
            st = check_setups(db, job, false, false);
            job->next = next;
            if (st == AL_DB_OK && job->stale) {
                al_ledger_rollback(db);
                return;
            }
        }
        if (st == AL_DB_OK) {
            bool keep = al_job_run(db, job, &failed);
            if (failed)
                st = job->db;
            else if (keep)
                st = al_ledger_commit(db);
            else
                al_ledger_rollback(db); /* refused, replayed: nothing to keep */
        }
        if (st == AL_DB_OK)
            return;
        al_ledger_rollback(db);
        job->db = st;
        if (st != AL_DB_RETRY)
            break;
    }
    free(job->reply);
    job->reply = NULL;
    if (job->db == AL_DB_RETRY)
        set_error(job, AL_BUSY, "busy", "the ledger is busy; try again with the same id");
}

/* Where a batch's transaction is: started (by a set's reads, or here); committed (by a set's
 * writes). */
typedef struct {
    bool open, committed;
} txn;

/*
 * Runs jobs (set-able, in order) as sets of one tenant each, the tenant's
 * jobs in their order; the first starts the transaction, and when nothing
 * follows (last) the one that ends them commits it.
 */
static al_db_status run_sets(al_db *db, al_job **jobs, size_t n, bool last, txn *t)
{
    al_job **mine = malloc(n * sizeof(al_job *));
    if (mine == NULL)
        return AL_DB_ERROR;
    al_db_status st = AL_DB_OK;
    for (size_t i = 0; i < n && st == AL_DB_OK; i++) {
        if (jobs[i] == NULL)
            continue;
        size_t k = 0;
        bool final = true;
        const char *tenant = jobs[i]->key.tenant;
        for (size_t j = i; j < n; j++)
            if (jobs[j] != NULL && strcmp(jobs[j]->key.tenant, tenant) == 0) {
                mine[k++] = jobs[j];
                jobs[j] = NULL;
            } else if (jobs[j] != NULL) {
                final = false;
            }
        for (size_t off = 0, done = 0; off < k && st == AL_DB_OK; off += done) {
            unsigned flags =
                (t->open ? 0u : AL_BATCH_BEGIN) | (last && final ? AL_BATCH_COMMIT_LAST : 0u);
            bool committed = false;
            st = al_batch_run(db, mine + off, k - off, flags, &done, &committed);
            t->open = true; /* its reads started it, even when it failed after */
            t->committed = committed;
        }
    }
    free(mine);
    return st;
}

/*
 * All jobs of a batch in one transaction: earnings and redemptions as sets
 * (batch.h), any other job alone under a savepoint (so a refusal undoes only
 * itself); false when it must be redone, with *down set when the database
 * is not answering.
 */
static bool run_batch(committer *c, al_db *db, al_job *jobs, bool *down)
{
    al_db_status st = AL_DB_OK;
    txn t = {0};
    bool plain_checked = false;
    for (al_job *j = jobs; j != NULL && st == AL_DB_OK;) {
        if (j->stale) {
            j = j->next;
            continue;
        }
        if (settable(j)) {
            size_t n = 0;
            for (al_job *k = j; k != NULL && settable(k) && !k->stale; k = k->next)
                n++;
            al_job **run = malloc(n * sizeof(al_job *));
            if (run == NULL) {
                st = AL_DB_ERROR;
                break;
            }
            for (size_t i = 0; i < n; i++, j = j->next)
                run[i] = j;
            st = run_sets(db, run, n, j == NULL, &t);
            free(run);
            continue;
        }
        if (!plain_checked) { /* the other jobs' setups, once; the transaction's start with it */
            st = check_setups(db, jobs, !t.open, true);
            t.open = plain_checked = true;
            if (st != AL_DB_OK || j->stale)
                continue;
        }
        st = al_db_exec(db, "SAVEPOINT job", NULL, 0, NULL);
        if (st != AL_DB_OK)
            break;
        bool failed = false;
        bool keep = al_job_run(db, j, &failed);
        if (failed) {
            st = j->db;
            break;
        }
        if (!keep)
            st = al_db_exec(db, "ROLLBACK TO SAVEPOINT job", NULL, 0, NULL);
        j = j->next;
    }
    if (st == AL_DB_OK && !t.committed && t.open)
        st = al_ledger_commit(db);
    if (st == AL_DB_OK)
        return true;
    al_ledger_rollback(db);
    *down = st == AL_DB_DOWN;
    if (st != AL_DB_RETRY && st != AL_DB_DUPLICATE)
        al_log(AL_LOG_WARN, "committer %d: a batch failed (%d); running its jobs one by one",
               c->index, (int)st);
    return false;
}

/* Every cluster's tenants' setup versions (a cluster that does not answer is read next time). */
static void poll_setups(committer *c)
{
    c->polled_ms = al_monotonic_ms();
    for (int k = 0; k < c->dbs.n; k++) {
        al_db_status st = al_setup_poll(&c->dbs.db[k]);
        if (st != AL_DB_OK)
            al_log(AL_LOG_DEBUG, "committer 0: cannot read the setup versions of cluster %d (%d)",
                   k, (int)st);
    }
}

/*
 * One cluster's jobs of a batch: in one transaction, or when that fails each
 * alone; then each answered.
 */
static void commit_batch(committer *c, al_db *db, al_job *batch)
{
    bool down = false;
    int jobs = 0;
    for (al_job *j = batch; j != NULL; j = j->next)
        jobs++;
    int64_t t0 = al_monotonic_us();
    bool done = run_batch(c, db, batch, &down);
    if (done)
        al_metrics_batch(jobs, al_monotonic_us() - t0);
    /* A connection the database dropped while idle is no dead database: one ping says which. */
    if (!done && down && al_db_ping(db) == AL_DB_OK)
        down = false;
    if (!done)
        for (al_job *j = batch; j != NULL; j = j->next) {
            if (j->stale)
                continue; /* answered: its setup changed */
            if (!down) {
                al_job_run_alone(db, j);
                continue;
            }
            free(j->reply); /* the database is gone: no job of it is retried */
            j->reply = NULL;
            j->db = AL_DB_DOWN;
        }
    for (al_job *j = batch, *next; j != NULL; j = next) {
        next = j->next;
        j->next = NULL;
        j->done(j); /* the answer is final: after COMMIT */
    }
}

static void *committer_main(void *arg)
{
    committer *c = arg;
    mysql_thread_init();
    for (;;) {
        pthread_mutex_lock(&c->lock);
        while (c->head == NULL && !c->stop) {
            if (c->index != 0) {
                pthread_cond_wait(&c->wake, &c->lock);
                continue;
            }
            /* The first committer also reads the tenants' setup versions, once a second. */
            struct timespec until = al_deadline_in_ms(POLL_MS);
            if (pthread_cond_timedwait(&c->wake, &c->lock, &until) == 0 || c->head != NULL)
                continue;
            pthread_mutex_unlock(&c->lock);
            poll_setups(c);
            pthread_mutex_lock(&c->lock);
        }
        if (c->head == NULL && c->stop) {
            pthread_mutex_unlock(&c->lock);
            break;
        }
        /* Take up to max_batch jobs. */
        al_job *batch = c->head, *last = c->head;
        int n = 1;
        while (last->next != NULL && n < c->max_batch) {
            last = last->next;
            n++;
        }
        c->head = last->next;
        if (c->head == NULL)
            c->tail = NULL;
        last->next = NULL;
        pthread_mutex_unlock(&c->lock);
        al_metrics_queue(AL_METRIC_QUEUE_COMMIT, -n);

        /* Each cluster's jobs in a transaction there, in their order. */
        al_job *head[AL_MAX_CLUSTERS] = {0}, *tail[AL_MAX_CLUSTERS] = {0};
        for (al_job *j = batch, *next; j != NULL; j = next) {
            next = j->next;
            j->next = NULL;
            int k = j->cluster >= 0 && j->cluster < c->dbs.n ? j->cluster : 0;
            if (tail[k] != NULL)
                tail[k]->next = j;
            else
                head[k] = j;
            tail[k] = j;
        }
        for (int k = 0; k < c->dbs.n; k++)
            if (head[k] != NULL)
                commit_batch(c, &c->dbs.db[k], head[k]);
        if (c->index == 0 && al_monotonic_ms() - c->polled_ms >= POLL_MS)
            poll_setups(c); /* busy: still once a second */
    }
    al_batch_thread_end();
    al_db_set_close(&c->dbs);
    mysql_thread_end();
    return NULL;
}

int al_committers_start(const al_clusters *clusters, unsigned timeout_s, unsigned io_timeout_s,
                        int n, int max_batch, bool sets, int first_lane)
{
    use_sets = sets;
    if (n > MAX_COMMITTERS)
        n = MAX_COMMITTERS;
    for (int i = 0; i < n; i++) {
        committer *c = &committers[i];
        memset(c, 0, sizeof(*c));
        c->index = i;
        c->max_batch = max_batch;
        al_db_set_init(&c->dbs, clusters, timeout_s, io_timeout_s, first_lane + i);
        for (int k = 0; k < c->dbs.n; k++)
            c->dbs.db[k].multi = true; /* a set's reads, and its writes, each one round trip */
        pthread_mutex_init(&c->lock, NULL);
        pthread_cond_init(&c->wake, NULL);
        if (pthread_create(&c->thread, NULL, committer_main, c) != 0) {
            al_log(AL_LOG_ERROR, "cannot start committer %d", i);
            ncommitters = i;
            al_committers_stop();
            return -1;
        }
        ncommitters = i + 1;
    }
    al_log(AL_LOG_INFO, "group commit: %d committers, up to %d operations a transaction", n,
           max_batch);
    return 0;
}

void al_committers_stop(void)
{
    for (int i = 0; i < ncommitters; i++) {
        committer *c = &committers[i];
        pthread_mutex_lock(&c->lock);
        c->stop = true;
        pthread_cond_signal(&c->wake);
        pthread_mutex_unlock(&c->lock);
        pthread_join(c->thread, NULL);
    }
    pthread_mutex_lock(&life_lock);
    for (int i = 0; i < ncommitters; i++) {
        committer *c = &committers[i];
        al_db_set_free(&c->dbs);
        pthread_mutex_destroy(&c->lock);
        pthread_cond_destroy(&c->wake);
    }
    ncommitters = 0;
    pthread_mutex_unlock(&life_lock);
}

void al_committers_interrupt(void)
{
    pthread_mutex_lock(&life_lock);
    for (int i = 0; i < ncommitters; i++)
        al_db_set_interrupt(&committers[i].dbs);
    pthread_mutex_unlock(&life_lock);
}

void al_commit_submit(al_job *job)
{
    if (ncommitters == 0) { /* stopped: nothing books any more */
        set_error(job, AL_STOPPING, "shutting_down", "the server is stopping; try again");
        job->done(job);
        return;
    }
    committer *c = &committers[job->affinity % (uint32_t)ncommitters];
    job->next = NULL;
    al_metrics_queue(AL_METRIC_QUEUE_COMMIT, 1);
    pthread_mutex_lock(&c->lock);
    if (c->tail != NULL)
        c->tail->next = job;
    else
        c->head = job;
    c->tail = job;
    pthread_cond_signal(&c->wake);
    pthread_mutex_unlock(&c->lock);
}
