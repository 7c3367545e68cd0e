/*
 * Listeners, worker threads and graceful stop; see server.h.
 *
 * Start: bind one SO_REUSEPORT socket per worker on the same port (the first
 * one picks the port when it is 0), then each worker runs its own loop.
 * Stop: the main thread catches SIGTERM/SIGINT and wakes every worker, which
 * closes its listener, answers what is in flight, and leaves its loop. When
 * the grace runs out first, hooks->interrupt cuts what still blocks them.
 */
#include "http/server.h"

#include <errno.h>
#include <netdb.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/listener.h>
#include <event2/thread.h>
#include <openssl/rand.h>

#include "core/ids.h"
#include "core/log.h"
#include "http/framing.h"
#include "http/guard.h"
#include "http/tls.h"
#include "http/worker.h"

/* Bodies larger than this many times the limit are cut off by libevent itself
 * (a bare 413) before they are read into memory; smaller ones get the envelope. */
#define HARD_BODY_FACTOR 4

struct al_http_worker {
    int id;
    pthread_t thread;
    al_http_server *server;
    struct event_base *base;
    struct evhttp *http;
    struct evhttp_bound_socket *bound;
    al_guard guard;
    struct event *stop_event;  /* activated by the main thread on SIGTERM */
    struct event *drain_timer; /* while stopping: waits for in-flight work */
    struct event *task_event;  /* tasks were posted */
    pthread_mutex_t task_lock;
    al_task *tasks, *tasks_tail; /* posted, not yet run */
    struct event *turn_event;    /* a zero timer: runs what waits for the next turn */
    al_task *turn, *turn_tail;   /* waiting for the next turn (this thread only) */
    int listen_fd;
    int inflight; /* requests accepted and not yet answered */
    int stopping;
    int64_t stop_deadline_ms;
    uint64_t next_request; /* for generated request ids */
    void *ctx;             /* the hooks' context of this worker */
};

struct al_http_server {
    al_http_options opt;
    al_http_hooks hooks;
    al_http_worker *workers;
    int n, started;
    SSL_CTX *tls;
    int port;
    char host[256];
    struct event_base *main_base;
    struct event *sigterm, *sigint, *sighup;
    int signo;
};

static uint32_t boot_id; /* tells request ids of different runs apart */

static const char *method_name(enum evhttp_cmd_type cmd)
{
    switch (cmd) {
    case EVHTTP_REQ_GET: return "GET";
    case EVHTTP_REQ_POST: return "POST";
    case EVHTTP_REQ_HEAD: return "HEAD";
    case EVHTTP_REQ_PUT: return "PUT";
    case EVHTTP_REQ_DELETE: return "DELETE";
    case EVHTTP_REQ_OPTIONS: return "OPTIONS";
    case EVHTTP_REQ_TRACE: return "TRACE";
    case EVHTTP_REQ_CONNECT: return "CONNECT";
    case EVHTTP_REQ_PATCH: return "PATCH";
    }
    return "UNKNOWN";
}

static void set_request_id(al_exchange *x, al_http_worker *w)
{
    const char *given = al_header(x, "X-Request-Id");
    if (given != NULL && al_id_valid(given)) {
        snprintf(x->request_id, sizeof(x->request_id), "%s", given);
        return;
    }
    snprintf(x->request_id, sizeof(x->request_id), "%08x-%d-%llu", boot_id, w->id,
             (unsigned long long)++w->next_request);
}

/* The path of the request line without its query, copied into x->path. */
static int set_path(al_exchange *x)
{
    const char *uri = evhttp_request_get_uri(x->req);
    size_t len = strcspn(uri, "?#");
    if (len == 0 || uri[0] != '/' || len >= sizeof(x->path))
        return -1;
    memcpy(x->path, uri, len);
    x->path[len] = '\0';
    return 0;
}

/* evhttp's gencb: the exchange, the checks every request gets, then the hook. */
static void on_request(struct evhttp_request *req, void *arg)
{
    al_http_worker *w = arg;
    al_exchange *x = calloc(1, sizeof(*x));
    if (x == NULL) {
        evhttp_send_error(req, 500, NULL);
        return;
    }
    x->req = req;
    x->worker = w;
    x->ctx = w->ctx;
    x->method = method_name(evhttp_request_get_command(req));
    clock_gettime(CLOCK_MONOTONIC, &x->started);
    w->inflight++;
    set_request_id(x, w);

    al_refusal refusal;
    if (strcmp(evhttp_request_get_uri(req), AL_GUARD_REFUSED_PATH) == 0 &&
        al_guard_refusal(&w->guard,
                         evhttp_connection_get_bufferevent(evhttp_request_get_connection(req)),
                         &refusal)) {
        /* The framer refused what the client sent: its answer closes the connection. */
        x->method = "-";
        snprintf(x->path, sizeof(x->path), "%s", refusal.target[0] ? refusal.target : "-");
        evhttp_add_header(evhttp_request_get_output_headers(req), "Connection", "close");
        al_reply_error(x, refusal.status, refusal.code, "%s", refusal.message);
        return;
    }
    if (set_path(x) != 0) {
        snprintf(x->path, sizeof(x->path), "(invalid)");
        al_reply_error(x, 414, "uri_too_long", "the path is missing or longer than %d bytes",
                       AL_PATH_MAX - 1);
        return;
    }
    size_t body = evbuffer_get_length(evhttp_request_get_input_buffer(req));
    if (body > (size_t)w->server->opt.max_body_bytes) {
        al_reply_error(x, 413, "body_too_large", "the body is over %lld bytes",
                       (long long)w->server->opt.max_body_bytes);
        return;
    }
    w->server->hooks.request(x);
}

void al_http_post(al_http_worker *w, al_task *task)
{
    task->next = NULL;
    pthread_mutex_lock(&w->task_lock);
    if (w->tasks_tail != NULL)
        w->tasks_tail->next = task;
    else
        w->tasks = task;
    w->tasks_tail = task;
    pthread_mutex_unlock(&w->task_lock);
    event_active(w->task_event, EV_READ, 0);
}

/* Runs the tasks posted to w, in the order they came. */
static void run_tasks(al_http_worker *w)
{
    pthread_mutex_lock(&w->task_lock);
    al_task *t = w->tasks;
    w->tasks = w->tasks_tail = NULL;
    pthread_mutex_unlock(&w->task_lock);
    while (t != NULL) {
        al_task *next = t->next;
        t->handler(t);
        t = next;
    }
}

static void on_tasks(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    run_tasks(arg);
}

void al_http_next_turn(al_http_worker *w, al_task *task)
{
    task->next = NULL;
    if (w->turn_tail != NULL)
        w->turn_tail->next = task;
    else
        w->turn = task;
    w->turn_tail = task;
    /* A timer, not event_active: timers run after the loop has polled its sockets. */
    static const struct timeval now = {0, 0};
    event_add(w->turn_event, &now);
}

static void on_turn(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    al_http_worker *w = arg;
    al_task *t = w->turn;
    w->turn = w->turn_tail = NULL;
    while (t != NULL) {
        al_task *next = t->next;
        t->handler(t); /* may ask for another turn */
        t = next;
    }
}

void al_http_request_done(al_http_worker *w)
{
    w->inflight--;
}

bool al_http_worker_stopping(const al_http_worker *w)
{
    return w->stopping != 0;
}

/* While stopping: leave the loop once nothing is in flight or time is up. */
static void on_drain_tick(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    al_http_worker *w = arg;
    if (w->inflight > 0 && al_monotonic_ms() < w->stop_deadline_ms)
        return;
    event_del(w->drain_timer);
    /* A short grace lets the last replies leave the output buffers. */
    struct timeval flush = {0, 50000};
    event_base_loopexit(w->base, &flush);
}

static void on_stop(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    al_http_worker *w = arg;
    if (w->stopping)
        return;
    w->stopping = 1;
    w->stop_deadline_ms = al_monotonic_ms() + w->server->opt.shutdown_grace_s * 1000;
    al_guard_unlisten(&w->guard);
    if (w->bound != NULL) {
        evhttp_del_accept_socket(w->http, w->bound); /* closes the socket */
        w->bound = NULL;
        w->listen_fd = -1;
    }
    struct timeval tick = {0, 10000};
    event_add(w->drain_timer, &tick);
}

static void *worker_main(void *arg)
{
    al_http_worker *w = arg;
    al_http_server *s = w->server;
    if (w->bound != NULL)
        al_guard_listen(&w->guard, evhttp_bound_socket_get_listener(w->bound));
    if (s->hooks.worker_start != NULL)
        w->ctx = s->hooks.worker_start(w->id, s->hooks.arg);
    event_base_dispatch(w->base);
    if (s->hooks.worker_stop != NULL)
        s->hooks.worker_stop(w->ctx, s->hooks.arg);
    return NULL;
}

/* A listening socket on host:port with SO_REUSEPORT; -1 and err on failure. */
static int listen_on(const char *host, int port, char err[256])
{
    struct addrinfo hints = {0}, *ai = NULL;
    char service[8];
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
    snprintf(service, sizeof(service), "%d", port);
    int rc = getaddrinfo(host, service, &hints, &ai);
    if (rc != 0) {
        snprintf(err, 256, "listen: cannot resolve %.64s: %s", host, gai_strerror(rc));
        return -1;
    }
    int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    int one = 1;
    if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) != 0 ||
        setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one)) != 0 ||
        bind(fd, ai->ai_addr, ai->ai_addrlen) != 0 || listen(fd, 1024) != 0) {
        snprintf(err, 256, "listen: cannot listen on %.64s:%d: %s", host, port, strerror(errno));
        if (fd >= 0)
            close(fd);
        fd = -1;
    }
    freeaddrinfo(ai);
    return fd;
}

static int bound_port(int fd)
{
    union {
        struct sockaddr sa;
        struct sockaddr_in in;
        struct sockaddr_in6 in6;
    } addr;
    memset(&addr, 0, sizeof(addr));
    socklen_t len = sizeof(addr);
    if (getsockname(fd, &addr.sa, &len) != 0)
        return -1;
    return ntohs(addr.sa.sa_family == AF_INET6 ? addr.in6.sin6_port : addr.in.sin_port);
}

/* The soft descriptor limit up to the hard one: each connection is a descriptor. */
static void raise_fd_limit(void)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur >= rl.rlim_max)
        return;
    rlim_t was = rl.rlim_cur;
    rl.rlim_cur = rl.rlim_max;
    if (setrlimit(RLIMIT_NOFILE, &rl) == 0)
        al_log(AL_LOG_INFO, "descriptor limit raised from %llu to %llu", (unsigned long long)was,
               (unsigned long long)rl.rlim_max);
}

static int worker_setup(al_http_worker *w, int id, al_http_server *s, int fd)
{
    const al_http_options *o = &s->opt;
    w->id = id;
    w->server = s;
    w->listen_fd = fd;
    w->base = event_base_new();
    /* Two priorities: 0 for the guard's set-up of a new connection, which must run first. */
    if (w->base == NULL || event_base_priority_init(w->base, 2) != 0)
        return -1;
    w->http = evhttp_new(w->base);
    w->stop_event = event_new(w->base, -1, 0, on_stop, w);
    w->drain_timer = event_new(w->base, -1, EV_PERSIST, on_drain_tick, w);
    w->task_event = event_new(w->base, -1, 0, on_tasks, w);
    w->turn_event = evtimer_new(w->base, on_turn, w);
    pthread_mutex_init(&w->task_lock, NULL);
    if (w->http == NULL || w->stop_event == NULL || w->drain_timer == NULL ||
        w->task_event == NULL || w->turn_event == NULL ||
        al_guard_init(&w->guard, w->base, s->tls, o->max_connections, o->header_timeout_s,
                      (uint64_t)o->max_body_bytes * HARD_BODY_FACTOR, id) != 0)
        return -1;
    evhttp_set_gencb(w->http, on_request, w);
    evhttp_set_allowed_methods(w->http, EVHTTP_REQ_GET | EVHTTP_REQ_POST | EVHTTP_REQ_HEAD |
                                            EVHTTP_REQ_PUT | EVHTTP_REQ_DELETE |
                                            EVHTTP_REQ_OPTIONS | EVHTTP_REQ_PATCH);
    evhttp_set_max_body_size(w->http, (ev_ssize_t)o->max_body_bytes * HARD_BODY_FACTOR);
    /* Above the framer's bound on a whole head: evhttp never refuses one itself. */
    evhttp_set_max_headers_size(w->http, (ev_ssize_t)2 * AL_FRAME_HEAD_MAX);
    evhttp_set_timeout(w->http, (int)o->idle_timeout_s);
    evhttp_set_bevcb(w->http, al_guard_bufferevent, &w->guard);
    w->bound = evhttp_accept_socket_with_handle(w->http, fd);
    if (w->bound == NULL)
        return -1;
    w->listen_fd = -1; /* the bound socket owns it now */
    return 0;
}

static void worker_free(al_http_worker *w)
{
    if (w->task_event != NULL) {
        run_tasks(w); /* answers that came after the loop ended */
        event_free(w->task_event);
        pthread_mutex_destroy(&w->task_lock);
    }
    while (w->turn != NULL) /* slices of work left when the loop ended */
        on_turn(-1, 0, w);
    if (w->turn_event != NULL)
        event_free(w->turn_event);
    if (w->http != NULL)
        evhttp_free(w->http); /* closes the listener still bound, if any */
    if (w->listen_fd >= 0)
        close(w->listen_fd);
    if (w->stop_event != NULL)
        event_free(w->stop_event);
    if (w->drain_timer != NULL)
        event_free(w->drain_timer);
    al_guard_free(&w->guard);
    if (w->base != NULL)
        event_base_free(w->base);
}

static void on_signal(evutil_socket_t sig, short what, void *arg)
{
    (void)what;
    al_http_server *s = arg;
    if (sig == SIGHUP) {
        if (s->hooks.reload != NULL)
            s->hooks.reload(s->hooks.arg);
        return;
    }
    if (s->signo != 0)
        return;
    s->signo = (int)sig;
    al_log(AL_LOG_INFO, "stopping on %s: no new connections, finishing requests in flight",
           sig == SIGTERM ? "SIGTERM" : "SIGINT");
    if (s->hooks.stopping != NULL)
        s->hooks.stopping(s->hooks.arg);
    for (int i = 0; i < s->started; i++)
        event_active(s->workers[i].stop_event, EV_READ, 0);
}

void al_http_block_signals(sigset_t *old)
{
    sigset_t block;
    sigemptyset(&block);
    sigaddset(&block, SIGTERM);
    sigaddset(&block, SIGINT);
    sigaddset(&block, SIGHUP);
    pthread_sigmask(SIG_BLOCK, &block, old);
}

al_http_server *al_http_start(const al_http_options *opt, const al_http_hooks *hooks)
{
    char err[256] = "invalid listen address";
    al_http_server *s = calloc(1, sizeof(*s));
    if (s == NULL)
        return NULL;
    s->opt = *opt;
    s->hooks = *hooks;
    s->n = opt->threads;
    s->workers = calloc((size_t)s->n, sizeof(*s->workers));
    if (s->workers == NULL) {
        free(s);
        return NULL;
    }
    for (int i = 0; i < s->n; i++)
        s->workers[i].listen_fd = -1;
    RAND_bytes((unsigned char *)&boot_id, sizeof(boot_id));
    raise_fd_limit();
    if (evthread_use_pthreads() != 0 ||
        al_parse_listen(opt->listen, s->host, sizeof(s->host), &s->port) != 0) {
        al_log(AL_LOG_ERROR, "cannot start: %s", err);
        goto fail;
    }
    if (opt->tls_cert != NULL && opt->tls_cert[0] != '\0' &&
        (s->tls = al_tls_context(opt->tls_cert, opt->tls_key, err)) == NULL) {
        al_log(AL_LOG_ERROR, "cannot start: %s", err);
        goto fail;
    }
    for (int i = 0; i < s->n; i++) {
        int fd = listen_on(s->host, s->port, err);
        if (fd < 0) {
            al_log(AL_LOG_ERROR, "cannot start: %s", err);
            goto fail;
        }
        s->port = bound_port(fd); /* port 0: the others join the one picked */
        if (s->port < 0) {
            al_log(AL_LOG_ERROR, "cannot start: getsockname: %s", strerror(errno));
            close(fd);
            goto fail;
        }
        if (worker_setup(&s->workers[i], i, s, fd) != 0) {
            al_log(AL_LOG_ERROR, "cannot start worker %d: out of memory", i);
            goto fail;
        }
    }

    /* Workers must not see the signals; the main thread's loop takes them. */
    sigset_t old;
    al_http_block_signals(&old);
    for (; s->started < s->n; s->started++)
        if (pthread_create(&s->workers[s->started].thread, NULL, worker_main,
                           &s->workers[s->started]) != 0)
            break;
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (s->started < s->n) {
        al_log(AL_LOG_ERROR, "cannot start worker threads");
        goto fail;
    }
    s->main_base = event_base_new();
    if (s->main_base == NULL)
        goto fail;
    s->sigterm = evsignal_new(s->main_base, SIGTERM, on_signal, s);
    s->sigint = evsignal_new(s->main_base, SIGINT, on_signal, s);
    s->sighup = evsignal_new(s->main_base, SIGHUP, on_signal, s);
    if (s->sigterm == NULL || s->sigint == NULL || s->sighup == NULL ||
        event_add(s->sigterm, NULL) != 0 || event_add(s->sigint, NULL) != 0 ||
        event_add(s->sighup, NULL) != 0)
        goto fail;
    al_log(AL_LOG_INFO, "listening on %s:%d (%s), %d workers, at most %lld connections each",
           s->host, s->port, s->tls ? "https" : "http", s->n, (long long)opt->max_connections);
    /* After the line above: whoever waits for the port file finds it logged. */
    if (opt->port_file != NULL && al_write_number_file(opt->port_file, s->port) != 0) {
        al_log(AL_LOG_ERROR, "cannot write port file %s: %s", opt->port_file, strerror(errno));
        goto fail;
    }
    return s;
fail:
    s->signo = -1;
    al_http_wait(s);
    al_http_free(s);
    return NULL;
}

int al_http_wait(al_http_server *s)
{
    int rc = 0;
    if (s->signo == 0) {
        /* Returns after on_signal. */
        while (s->signo == 0 && event_base_loop(s->main_base, EVLOOP_ONCE) == 0)
            ;
    } else {
        rc = -1; /* a failed start: stop what started */
        for (int i = 0; i < s->started; i++)
            event_active(s->workers[i].stop_event, EV_READ, 0);
    }
    for (int i = 0; i < s->started; i++)
        pthread_join(s->workers[i].thread, NULL);
    s->started = 0;
    return rc;
}

void al_http_free(al_http_server *s)
{
    if (s == NULL)
        return;
    for (int i = 0; i < s->n; i++)
        worker_free(&s->workers[i]);
    free(s->workers);
    if (s->sigterm != NULL)
        event_free(s->sigterm);
    if (s->sigint != NULL)
        event_free(s->sigint);
    if (s->sighup != NULL)
        event_free(s->sighup);
    if (s->main_base != NULL)
        event_base_free(s->main_base);
    if (s->tls != NULL)
        SSL_CTX_free(s->tls);
    free(s);
}
