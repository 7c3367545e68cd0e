/*
 * The HTTP transport: N worker threads, each with its own event_base and
 * evhttp, all accepting on one port through SO_REUSEPORT; graceful stop on
 * SIGTERM/SIGINT. It knows nothing of what it serves: the layer above
 * registers hooks (the request handler, a context per worker, what to do on
 * reload and stop), and work finished on other threads comes back to a
 * worker's loop as an al_task that carries its own handler.
 */
#ifndef AL_HTTP_SERVER_H
#define AL_HTTP_SERVER_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>

#include "http/exchange.h"

typedef struct al_http_server al_http_server;
typedef struct al_http_worker al_http_worker;

/* Work handed to a worker's loop from any thread; its handler runs there. */
typedef struct al_task {
    struct al_task *next;
    void (*handler)(struct al_task *task);
} al_task;

typedef struct al_http_hooks {
    void *arg; /* passed to every hook */
    /* On worker id's thread before it serves: its context, seen as x->ctx. */
    void *(*worker_start)(int id, void *arg);
    /* On the worker's thread after it stopped serving. */
    void (*worker_stop)(void *ctx, void *arg);
    /* Every request, on its worker's thread: it must answer (now or later). */
    void (*request)(al_exchange *x);
    /* SIGHUP. */
    void (*reload)(void *arg);
    /* SIGTERM/SIGINT: the listeners close; long work should give up now. */
    void (*stopping)(void *arg);
} al_http_hooks;

typedef struct al_http_options {
    const char *listen; /* host:port, port 0 picks one */
    int threads;
    const char *tls_cert, *tls_key; /* "" or NULL: plain HTTP */
    int64_t max_body_bytes;         /* larger bodies: 413 */
    int64_t max_connections;        /* per worker; at the cap a worker stops accepting */
    int64_t header_timeout_s;       /* a request's headers must be in within this, however sent */
    int64_t idle_timeout_s;         /* a connection silent this long is closed */
    int64_t shutdown_grace_s;       /* on stop, how long what is in flight gets */
    const char *port_file;          /* written with the bound port once serving; may be NULL */
} al_http_options;

/*
 * Blocks the signals the transport's main loop takes (SIGTERM, SIGINT,
 * SIGHUP) in the calling thread, saving the mask in *old: threads started
 * meanwhile inherit it and leave those signals to that loop.
 */
void al_http_block_signals(sigset_t *old);

/*
 * Binds the listeners and starts the workers; NULL after logging why. Other
 * threads of the process should be started with the signals blocked.
 */
al_http_server *al_http_start(const al_http_options *opt, const al_http_hooks *hooks);

/*
 * Serves until SIGTERM or SIGINT, then stops accepting, lets what is in
 * flight finish (up to the grace: a worker leaves its loop then, answered or
 * not) and returns once every worker has stopped: 0, or -1 when the server
 * could not run. A worker blocked in a call past the grace is the caller's to
 * cut (hooks->stopping is the moment to arm that).
 */
int al_http_wait(al_http_server *s);

/* Runs the tasks posted after the workers stopped, then frees everything. */
void al_http_free(al_http_server *s);

/* Hands task to w's loop (from any thread); its handler runs there. */
void al_http_post(al_http_worker *w, al_task *task);

/*
 * Runs task on w's loop at its next turn, after the loop has looked at its
 * connections (only from w's own thread): long work on a worker goes in
 * slices this way, so the worker keeps answering between them.
 */
void al_http_next_turn(al_http_worker *w, al_task *task);

/* True once w is stopping (SIGTERM): long work should give up rather than start more. */
bool al_http_worker_stopping(const al_http_worker *w);

/* The worker that took x. */
static inline al_http_worker *al_http_worker_of(const al_exchange *x)
{
    return x->worker;
}

#endif
