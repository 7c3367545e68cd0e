/* Report threads; see reports.h. */
#include "ledger/report_threads.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "core/metrics.h"

#define MAX_REPORT_THREADS 16
#define REPORT_ATTEMPTS 3

static pthread_t threads[MAX_REPORT_THREADS];
static al_db_set dbs[MAX_REPORT_THREADS]; /* each thread's, one connection a cluster */
static int nthreads;
static al_job *head, *tail; /* the queue, under lock */
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t wake = PTHREAD_COND_INITIALIZER;
static bool stopping;
static atomic_bool cancelled;
static pthread_mutex_t life_lock = PTHREAD_MUTEX_INITIALIZER; /* interrupt against stop */

bool al_reports_cancelled(void)
{
    return atomic_load_explicit(&cancelled, memory_order_relaxed);
}

void al_reports_cancel(void)
{
    atomic_store(&cancelled, true);
}

/*
 * Runs a job, again when the database asked for it (a deadlock, or a
 * certification conflict with another node of a Galera cluster: the job's
 * own transaction was rolled back whole).
 */
static void run_retried(al_db *db, al_job *job)
{
    for (int attempt = 0;; attempt++) {
        bool failed = false;
        al_job_run(db, job, &failed);
        if (!failed || job->db != AL_DB_RETRY || attempt + 1 == REPORT_ATTEMPTS)
            return;
        free(job->reply);
        job->reply = NULL;
        job->db = AL_DB_OK;
        job->code[0] = job->message[0] = '\0';
        job->result = AL_RESULT_NONE;
    }
}

static void *report_main(void *arg)
{
    al_db_set *set = arg;
    mysql_thread_init();
    for (;;) {
        pthread_mutex_lock(&lock);
        while (head == NULL && !stopping)
            pthread_cond_wait(&wake, &lock);
        al_job *job = head;
        if (job != NULL) {
            al_metrics_queue(AL_METRIC_QUEUE_REPORT, -1);
            head = job->next;
            if (head == NULL)
                tail = NULL;
            job->next = NULL;
        }
        pthread_mutex_unlock(&lock);
        if (job == NULL)
            break; /* stopping, and nothing left */
        run_retried(&set->db[job->cluster >= 0 && job->cluster < set->n ? job->cluster : 0], job);
        job->done(job);
    }
    al_db_set_close(set);
    mysql_thread_end();
    return NULL;
}

int al_reports_start(const al_clusters *clusters, unsigned timeout_s, unsigned io_timeout_s, int n)
{
    if (n > MAX_REPORT_THREADS)
        n = MAX_REPORT_THREADS;
    stopping = false;
    atomic_store(&cancelled, false);
    for (int i = 0; i < n; i++) {
        al_db_set_init(&dbs[i], clusters, timeout_s, io_timeout_s, -1);
        if (pthread_create(&threads[i], NULL, report_main, &dbs[i]) != 0) {
            al_log(AL_LOG_ERROR, "cannot start report thread %d", i);
            al_reports_stop();
            return -1;
        }
        nthreads = i + 1;
    }
    al_log(AL_LOG_INFO, "reports: %d threads", n);
    return 0;
}

void al_reports_stop(void)
{
    pthread_mutex_lock(&lock);
    stopping = true;
    pthread_cond_broadcast(&wake);
    pthread_mutex_unlock(&lock);
    for (int i = 0; i < nthreads; i++)
        pthread_join(threads[i], NULL);
    pthread_mutex_lock(&life_lock);
    for (int i = 0; i < nthreads; i++)
        al_db_set_free(&dbs[i]);
    nthreads = 0;
    pthread_mutex_unlock(&life_lock);
}

void al_reports_interrupt(void)
{
    pthread_mutex_lock(&life_lock);
    for (int i = 0; i < nthreads; i++)
        al_db_set_interrupt(&dbs[i]);
    pthread_mutex_unlock(&life_lock);
}

void al_report_submit(al_job *job)
{
    job->next = NULL;
    pthread_mutex_lock(&lock);
    if (nthreads == 0 || stopping) { /* stopped: no more long work */
        pthread_mutex_unlock(&lock);
        job->result = AL_STOPPING;
        snprintf(job->code, sizeof(job->code), "shutting_down");
        snprintf(job->message, sizeof(job->message), "the server is stopping; ask again later");
        job->done(job);
        return;
    }
    if (tail != NULL)
        tail->next = job;
    else
        head = job;
    tail = job;
    al_metrics_queue(AL_METRIC_QUEUE_REPORT, 1);
    pthread_cond_signal(&wake);
    pthread_mutex_unlock(&lock);
}
