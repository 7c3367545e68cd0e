/* The application; see app.h. */
#include "app/app.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "api/booking.h"
#include "api/context.h"
#include "app/dispatch.h"
#include "app/sweeper.h"
#include "app/webhook_sender.h"
#include "core/ids.h"
#include "core/log.h"
#include "db/clusters.h"
#include "db/db.h"
#include "db/probe.h"
#include "http/server.h"
#include "ledger/committer.h"
#include "ledger/report_threads.h"
#include "tenants/directory.h"
#include "tenants/versions.h"

typedef struct {
    const al_config *cfg;
    al_keys keys;
    al_ctx *ctxs; /* one per worker, made before the workers start */
    int nctx;
    /* The stop's watchdog: at the end of the grace it cuts what still waits on the database. */
    pthread_t watchdog;
    bool watchdog_started;
    pthread_mutex_t lock;
    pthread_cond_t wake;
    bool all_stopped;
} app;

static void *worker_start(int id, void *arg)
{
    app *a = arg;
    al_ctx *c = &a->ctxs[id];
    al_db_thread_start();
    for (int k = 0; k < c->dbs.n; k++)
        al_db_ensure(&c->dbs.db[k]); /* connect early; failure is fine, it retries */
    return c;
}

static void worker_stop(void *ctx, void *arg)
{
    (void)arg;
    al_ctx *c = ctx;
    al_db_set_close(&c->dbs);
    al_db_thread_end();
}

static void reload(void *arg)
{
    (void)arg;
    al_log(AL_LOG_INFO, "SIGHUP: reloading plugins");
    al_plugins_reload(NULL);
}

/* Every connection that may block a stop: the workers', the committers', the threads'. */
static void interrupt_all(app *a)
{
    for (int i = 0; i < a->nctx; i++)
        al_db_set_interrupt(&a->ctxs[i].dbs);
    al_committers_interrupt();
    al_reports_interrupt();
    al_sweeper_interrupt();
    al_webhook_sender_interrupt();
}

static void *watchdog_main(void *arg)
{
    app *a = arg;
    struct timespec until = al_deadline_in_ms(a->cfg->shutdown_grace_s * 1000);
    pthread_mutex_lock(&a->lock);
    int rc = 0;
    while (!a->all_stopped && rc == 0)
        rc = pthread_cond_timedwait(&a->wake, &a->lock, &until);
    bool late = !a->all_stopped;
    pthread_mutex_unlock(&a->lock);
    if (late) {
        al_log(AL_LOG_WARN, "the grace is over: cutting what still waits on the database");
        interrupt_all(a);
    }
    return NULL;
}

/* SIGTERM/SIGINT: long work gives up now; the grace starts. */
static void stopping(void *arg)
{
    app *a = arg;
    al_reports_cancel();
    al_sweeper_cancel();
    al_webhook_sender_cancel();
    a->watchdog_started = pthread_create(&a->watchdog, NULL, watchdog_main, a) == 0;
}

/* Removes path if it still names this process (another server may have taken it over since). */
static void remove_pid_file(const char *path)
{
    FILE *f = fopen(path, "r");
    long pid = 0;
    if (f == NULL)
        return;
    bool ours = fscanf(f, "%ld", &pid) == 1 && pid == (long)getpid();
    fclose(f);
    if (ours)
        unlink(path);
}

static int start_threads(app *a, const al_clusters *clusters)
{
    const al_config *cfg = a->cfg;
    unsigned connect = (unsigned)cfg->db_connect_timeout_s;
    if (al_db_probe_start(clusters) != 0 ||
        al_committers_start(clusters, connect, (unsigned)cfg->db_timeout_s,
                            (int)cfg->ledger_committers, (int)cfg->ledger_batch_max,
                            cfg->ledger_sets != 0,
                            (int)(cfg->node_index * cfg->ledger_committers)) != 0 ||
        al_reports_start(clusters, connect, (unsigned)cfg->report_db_timeout_s,
                         (int)cfg->report_threads) != 0)
        return -1;
    if (cfg->expiry_sweep_s > 0 &&
        al_sweeper_start(clusters, connect, (unsigned)cfg->report_db_timeout_s,
                         (int)cfg->expiry_sweep_s) != 0)
        return -1;
    /* Without a master key no webhook (nor its secret) can have been made. */
    if (a->keys.has_master_key && al_webhook_sender_start(clusters, cfg, a->keys.master_key) != 0)
        return -1;
    return 0;
}

static void stop_threads(void)
{
    al_webhook_sender_stop();
    al_sweeper_stop();
    al_committers_stop(); /* after the workers: their answers go back to the workers' queues */
    al_reports_stop();
    al_db_probe_stop();
}

int al_app_run(const al_config *cfg, const char *port_file)
{
    int rc = -1;
    al_clusters clusters;
    char err[256];
    if (al_clusters_parse(cfg->db, cfg->db_clusters, &clusters, err) != 0) {
        al_log(AL_LOG_ERROR, "cannot start: %s", err);
        return -1;
    }
    al_directory_start(&clusters);
    app a = {.cfg = cfg, .nctx = (int)cfg->threads};
    pthread_mutex_init(&a.lock, NULL);
    pthread_cond_init(&a.wake, NULL);
    a.keys.has_master_key = al_master_key_parse(cfg->master_key, a.keys.master_key) == 0;
    a.keys.has_settlement_key =
        al_master_key_parse(cfg->settlement_key, a.keys.settlement_key) == 0;
    a.ctxs = calloc((size_t)a.nctx, sizeof(*a.ctxs));
    if (a.ctxs == NULL)
        return -1;
    for (int i = 0; i < a.nctx; i++) {
        a.ctxs[i].worker_id = i;
        a.ctxs[i].cfg = cfg;
        a.ctxs[i].keys = &a.keys;
        al_db_set_init(&a.ctxs[i].dbs, &clusters, (unsigned)cfg->db_connect_timeout_s,
                       (unsigned)cfg->db_timeout_s, -1);
    }

    /* The threads started here leave the signals to the transport's main loop. */
    sigset_t old;
    al_http_block_signals(&old);
    int started = start_threads(&a, &clusters);
    pthread_sigmask(SIG_SETMASK, &old, NULL);

    al_http_server *srv = NULL;
    if (started == 0) {
        al_http_options opt = {.listen = cfg->listen,
                               .threads = (int)cfg->threads,
                               .tls_cert = cfg->tls_cert,
                               .tls_key = cfg->tls_key,
                               .max_body_bytes = cfg->max_body_bytes,
                               .max_connections = cfg->max_connections,
                               .header_timeout_s = cfg->header_timeout_s,
                               .idle_timeout_s = cfg->idle_timeout_s,
                               .shutdown_grace_s = cfg->shutdown_grace_s,
                               .port_file = port_file};
        al_http_hooks hooks = {.arg = &a,
                               .worker_start = worker_start,
                               .worker_stop = worker_stop,
                               .request = al_dispatch,
                               .reload = reload,
                               .stopping = stopping};
        al_booking_on_stale(al_dispatch);
        srv = al_http_start(&opt, &hooks);
    }
    bool pid_written = false;
    if (srv != NULL && cfg->pid_file[0] != '\0') {
        pid_written = al_write_number_file(cfg->pid_file, (long long)getpid()) == 0;
        if (!pid_written)
            al_log(AL_LOG_WARN, "cannot write the pid file %s: %s", cfg->pid_file, strerror(errno));
    }
    if (srv != NULL)
        rc = al_http_wait(srv);
    if (pid_written)
        remove_pid_file(cfg->pid_file);
    stop_threads();
    pthread_mutex_lock(&a.lock);
    a.all_stopped = true;
    pthread_cond_signal(&a.wake);
    pthread_mutex_unlock(&a.lock);
    if (a.watchdog_started)
        pthread_join(a.watchdog, NULL);
    al_http_free(srv); /* answers that came after the workers stopped */
    for (int i = 0; i < a.nctx; i++) {
        al_db_set_free(&a.ctxs[i].dbs);
        al_plugins_release(a.ctxs[i].plugins);
        al_rules_cache_free(a.ctxs[i].rules);
        al_key_cache_free(a.ctxs[i].key_cache);
        al_setup_cache_free(a.ctxs[i].setup_cache);
    }
    al_setup_versions_free();
    al_directory_free();
    free(a.ctxs);
    pthread_mutex_destroy(&a.lock);
    pthread_cond_destroy(&a.wake);
    if (rc == 0)
        al_log(AL_LOG_INFO, "stopped: all requests answered, database closed");
    return rc;
}
