/*
 * The HTTP server: N worker threads, each with its own event_base, evhttp and
 * database connection, all accepting on one port through SO_REUSEPORT. Nothing
 * is shared on the request path but the read-only configuration.
 */
#ifndef AL_SERVER_H
#define AL_SERVER_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include <openssl/ssl.h>

#include "auth/secrets.h"
#include "core/config.h"
#include "db/db.h"
#include "plugins/registry.h"

typedef struct al_worker {
    int id;
    pthread_t thread;
    struct event_base *base;
    struct evhttp *http;
    struct evhttp_bound_socket *bound;
    struct event *stop_event;  /* activated by the main thread on SIGTERM */
    struct event *drain_timer; /* while stopping: waits for in-flight work */
    struct event *sweep_timer; /* worker 0: lapses holds, expires points */
    struct event *done_event;  /* a committer finished jobs of this worker's */
    pthread_mutex_t done_lock;
    struct al_job *done_head; /* finished jobs waiting for their reply */
    int listen_fd;
    al_db db;
    const al_config *cfg;
    SSL_CTX *tls; /* NULL: plain HTTP */
    int inflight; /* requests accepted and not yet answered */
    int stopping;
    int64_t stop_deadline_ms;
    uint64_t next_request;        /* for generated request ids */
    al_plugin_set *plugins;       /* this worker's reference on the plugin set in use */
    struct al_rules_cache *rules; /* tenants' compiled rules (api/rules.c) */
    uint8_t master_key[AL_MASTER_KEY_BYTES];
    bool has_master_key;
    uint8_t settlement_key[32];
    bool has_settlement_key;
} al_worker;

/*
 * Runs the server until SIGTERM or SIGINT, then stops accepting, lets what is
 * in flight finish (up to shutdown_grace_s) and returns 0. When port_file is
 * set, the bound port is written there once the server accepts.
 */
int al_server_run(const al_config *cfg, const char *port_file);

/* A committer's job is final: answer it on its request's worker (any thread). */
void al_worker_job_done(struct al_job *job);

/* Called by the reply path once per answered request. */
void al_worker_request_done(al_worker *w);

#endif
