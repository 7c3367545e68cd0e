/* The readiness probe; see probe.h. */
#include "db/probe.h"

#include <pthread.h>
#include <stdatomic.h>
#include <string.h>
#include <time.h>

#include "core/ids.h"
#include "core/log.h"
#include "db/clusters.h"
#include "db/db.h"

#define PROBE_EVERY_MS 50
#define PROBE_TIMEOUT_S 1
/* A verdict older than this (a ping hung on a paused database) counts as not ready. */
#define FRESH_MS 1500

static pthread_t thread;
static bool started;
static al_db_set probe_dbs; /* one connection a cluster */
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t wake = PTHREAD_COND_INITIALIZER;
static bool stopping;
static atomic_llong ok_at_ms[AL_MAX_CLUSTERS]; /* when each last answered (monotonic), or 0 */
static atomic_bool last_ok[AL_MAX_CLUSTERS];
static int nclusters = 1;

bool al_db_probe_cluster_ready(int k)
{
    return k >= 0 && k < nclusters && atomic_load(&last_ok[k]) &&
           al_monotonic_ms() - atomic_load(&ok_at_ms[k]) < FRESH_MS;
}

int al_db_probe_clusters_ready(void)
{
    int ready = 0;
    for (int k = 0; k < nclusters; k++)
        ready += al_db_probe_cluster_ready(k);
    return ready;
}

bool al_db_probe_ready(void)
{
    return al_db_probe_clusters_ready() > 0;
}

/*
 * The database answers, and when it is a Galera node, it is synced with its
 * cluster (wsrep_local_state 4): a joiner, a donor or a node cut off from
 * the primary component is not ready, and HAProxy sends no one to it.
 */
static bool node_ready(al_db *db)
{
    MYSQL_RES *res = NULL;
    MYSQL_ROW row = NULL;
    al_db_status st = al_db_row(db,
                                "SELECT @@wsrep_on, (SELECT VARIABLE_VALUE FROM "
                                "information_schema.GLOBAL_STATUS "
                                "WHERE VARIABLE_NAME = 'WSREP_LOCAL_STATE')",
                                NULL, 0, &res, &row);
    bool ready = st == AL_DB_OK && row != NULL && row[0] != NULL &&
                 (strcmp(row[0], "0") == 0 || (row[1] != NULL && strcmp(row[1], "4") == 0));
    al_db_free_result(res);
    return ready;
}

static void *probe_main(void *arg)
{
    (void)arg;
    al_db_thread_start();
    pthread_mutex_lock(&lock);
    while (!stopping) {
        pthread_mutex_unlock(&lock);
        for (int k = 0; k < nclusters; k++) {
            bool ok = node_ready(&probe_dbs.db[k]);
            if (ok != atomic_load(&last_ok[k])) /* one line a change, not one a ping */
                al_log(ok ? AL_LOG_INFO : AL_LOG_WARN, "readiness: the database of cluster %d %s",
                       k,
                       ok ? "answers"
                          : "does not answer within 1 s (or its Galera node is not synced)");
            atomic_store(&last_ok[k], ok);
            if (ok)
                atomic_store(&ok_at_ms[k], al_monotonic_ms());
        }
        struct timespec until = al_deadline_in_ms(PROBE_EVERY_MS);
        pthread_mutex_lock(&lock);
        if (!stopping)
            pthread_cond_timedwait(&wake, &lock, &until);
    }
    pthread_mutex_unlock(&lock);
    al_db_set_close(&probe_dbs);
    al_db_thread_end();
    return NULL;
}

int al_db_probe_start(const al_clusters *clusters)
{
    al_db_set_init(&probe_dbs, clusters, PROBE_TIMEOUT_S, PROBE_TIMEOUT_S, -1);
    nclusters = clusters->n;
    for (int k = 0; k < nclusters; k++)
        probe_dbs.db[k].quiet = true;
    stopping = false;
    if (pthread_create(&thread, NULL, probe_main, NULL) != 0) {
        al_log(AL_LOG_ERROR, "cannot start the database probe");
        al_db_set_free(&probe_dbs);
        return -1;
    }
    started = true;
    return 0;
}

void al_db_probe_stop(void)
{
    if (!started)
        return;
    pthread_mutex_lock(&lock);
    stopping = true;
    pthread_cond_signal(&wake);
    pthread_mutex_unlock(&lock);
    al_db_set_interrupt(&probe_dbs); /* a question hung on a database gives up */
    pthread_join(thread, NULL);
    al_db_set_free(&probe_dbs);
    started = false;
}
