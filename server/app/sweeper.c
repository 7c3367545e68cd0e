/* The sweeper; see sweeper.h. */
#include "app/sweeper.h"

#include <pthread.h>
#include <stdatomic.h>
#include <time.h>

#include "core/ids.h"
#include "core/log.h"
#include "core/metrics.h"
#include "db/clusters.h"
#include "db/db.h"
#include "db/lease.h"
#include "ledger/expiry.h"

static pthread_t thread;
static bool started;
static al_db_set sweep_dbs; /* one connection a cluster */
static int every;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t wake = PTHREAD_COND_INITIALIZER;
static atomic_bool cancelled;
static pthread_mutex_t life_lock = PTHREAD_MUTEX_INITIALIZER; /* interrupt against stop */
static bool was_holder[AL_MAX_CLUSTERS]; /* of each cluster's sweeper lease, at the last sweep */
/* A holder that stops sweeping hands over after three sweeps' time, at least this. */
#define SWEEP_LEASE_MIN_MS 30000
#define SWEEP_LEASE "sweeper"

static bool should_stop(void)
{
    return atomic_load(&cancelled);
}

/*
 * One node of several on a database sweeps: the one holding the sweeper's
 * lease, renewed each sweep; another takes over when it stops renewing.
 */
static bool own_the_sweep(int k)
{
    int64_t ttl_ms = (int64_t)every * 3000;
    if (ttl_ms < SWEEP_LEASE_MIN_MS)
        ttl_ms = SWEEP_LEASE_MIN_MS;
    bool held = false;
    al_db_status st = al_lease_take(&sweep_dbs.db[k], SWEEP_LEASE, ttl_ms, &held);
    if (st != AL_DB_OK)
        al_log(AL_LOG_WARN, "sweep: cannot take the sweeper's lease of cluster %d (%d)", k,
               (int)st);
    if (held != was_holder[k])
        al_log(AL_LOG_INFO, "sweep: this node %s the sweeps of cluster %d",
               held ? "runs" : "no longer runs", k);
    was_holder[k] = held;
    return held;
}

/* One cluster's sweep, when this node holds its lease. */
static void sweep(int k)
{
    if (!own_the_sweep(k))
        return;
    char as_of[27];
    al_sql_now(as_of);
    al_sweep s;
    int64_t t0 = al_monotonic_ms();
    al_db_status st = al_expire_now(&sweep_dbs.db[k], NULL, as_of, should_stop, &s);
    al_metrics_sweep((al_monotonic_ms() - t0) * 1000);
    if (st != AL_DB_OK)
        al_log(AL_LOG_WARN, "sweep: the database failed (%d); the next sweep goes on", (int)st);
    else if (s.holds || s.members || s.tiers || s.stopped || s.referrals_rewarded ||
             s.referrals_taken_back || s.referrals_lapsed)
        al_log(AL_LOG_INFO,
               "sweep: %d holds released, %d tiers changed, %lld points of %d members expired, "
               "referrals %d rewarded, %d taken back, %d lapsed in %lld ms%s",
               s.holds, s.tiers, (long long)s.points, s.members, s.referrals_rewarded,
               s.referrals_taken_back, s.referrals_lapsed, (long long)(al_monotonic_ms() - t0),
               s.stopped ? "; stopped: the server stops" : "");
}

static void *sweeper_main(void *arg)
{
    (void)arg;
    al_db_thread_start();
    pthread_mutex_lock(&lock);
    while (!atomic_load(&cancelled)) {
        struct timespec until = al_deadline_in_ms((int64_t)every * 1000);
        while (!atomic_load(&cancelled) && pthread_cond_timedwait(&wake, &lock, &until) == 0)
            ; /* woken early without a cancel: wait on */
        if (atomic_load(&cancelled))
            break;
        pthread_mutex_unlock(&lock);
        for (int k = 0; k < sweep_dbs.n && !atomic_load(&cancelled); k++)
            sweep(k);
        pthread_mutex_lock(&lock);
    }
    pthread_mutex_unlock(&lock);
    for (int k = 0; k < sweep_dbs.n; k++)
        if (was_holder[k]) /* another node sweeps from its next sweep, not after the lease lapses */
            al_lease_release(&sweep_dbs.db[k], SWEEP_LEASE);
    al_db_set_close(&sweep_dbs);
    al_db_thread_end();
    return NULL;
}

int al_sweeper_start(const al_clusters *clusters, unsigned timeout_s, unsigned io_timeout_s,
                     int every_s)
{
    al_db_set_init(&sweep_dbs, clusters, timeout_s, io_timeout_s, -1);
    every = every_s;
    atomic_store(&cancelled, false);
    if (pthread_create(&thread, NULL, sweeper_main, NULL) != 0) {
        al_log(AL_LOG_ERROR, "cannot start the sweeper");
        al_db_set_free(&sweep_dbs);
        return -1;
    }
    started = true;
    return 0;
}

void al_sweeper_cancel(void)
{
    pthread_mutex_lock(&lock);
    atomic_store(&cancelled, true);
    pthread_cond_signal(&wake);
    pthread_mutex_unlock(&lock);
}

void al_sweeper_interrupt(void)
{
    pthread_mutex_lock(&life_lock);
    if (started)
        al_db_set_interrupt(&sweep_dbs);
    pthread_mutex_unlock(&life_lock);
}

void al_sweeper_stop(void)
{
    if (!started)
        return;
    al_sweeper_cancel();
    pthread_join(thread, NULL);
    pthread_mutex_lock(&life_lock);
    al_db_set_free(&sweep_dbs);
    started = false;
    pthread_mutex_unlock(&life_lock);
}
