/*
 * Listeners, worker threads, dispatch and graceful stop; see server.h.
 *
 * Start: bind one SO_REUSEPORT socket per worker on the same port (the first
 * one picks the port when it is 0), then each worker runs its own loop.
 * Stop: the main thread catches SIGTERM/SIGINT and wakes every worker, which
 * closes its listener, answers what is in flight, and leaves its loop.
 */
#include "http/server.h"

#include <errno.h>
#include <netdb.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/thread.h>
#include <openssl/rand.h>

#include "api/booking.h"
#include "api/routes.h"
#include "auth/auth.h"
#include "core/log.h"
#include "http/exchange.h"
#include "http/router.h"
#include "http/tls.h"
#include "ledger/committer.h"
#include "ledger/reports.h"

/* Bodies larger than this many times the limit are cut off by libevent itself
 * (a bare 413) before they are read into memory; smaller ones get the envelope. */
#define HARD_BODY_FACTOR 4

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

static void set_request_id(al_exchange *x)
{
    const char *given = al_header(x, "X-Request-Id");
    if (given != NULL && al_id_valid(given)) {
        snprintf(x->request_id, sizeof(x->request_id), "%s", given);
        return;
    }
    snprintf(x->request_id, sizeof(x->request_id), "%08x-%d-%llu", boot_id, x->worker->id,
             (unsigned long long)++x->worker->next_request);
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

static void on_request(struct evhttp_request *req, void *arg)
{
    al_worker *w = arg;
    al_exchange *x = calloc(1, sizeof(*x));
    if (x == NULL) {
        evhttp_send_error(req, 500, NULL);
        return;
    }
    x->req = req;
    x->worker = w;
    x->method = method_name(evhttp_request_get_command(req));
    clock_gettime(CLOCK_MONOTONIC, &x->started);
    w->inflight++;
    set_request_id(x);

    if (set_path(x) != 0) {
        snprintf(x->path, sizeof(x->path), "(invalid)");
        al_reply_error(x, 414, "uri_too_long", "the path is missing or longer than %d bytes",
                       AL_PATH_MAX - 1);
        return;
    }
    size_t body = evbuffer_get_length(evhttp_request_get_input_buffer(req));
    if (body > (size_t)w->cfg->max_body_bytes) {
        al_reply_error(x, 413, "body_too_large", "the body is over %lld bytes",
                       (long long)w->cfg->max_body_bytes);
        return;
    }
    int status = 404;
    char allow[128];
    const al_route *r = al_route_find(al_routes, al_nroutes, x, &status, allow, sizeof(allow));
    if (r == NULL) {
        if (status == 405) {
            evhttp_add_header(evhttp_request_get_output_headers(req), "Allow", allow);
            al_reply_error(x, 405, "method_not_allowed", "%s is not allowed here; use %s",
                           x->method, allow);
        } else {
            al_reply_error(x, 404, "not_found", "no such resource");
        }
        return;
    }
    if (r->roles != 0 && al_authenticate(x, r->roles) != 0)
        return;
    r->handler(x);
}

void al_worker_job_done(al_job *job)
{
    al_worker *w = ((al_exchange *)job->owner)->worker;
    pthread_mutex_lock(&w->done_lock);
    job->next = w->done_head;
    w->done_head = job;
    pthread_mutex_unlock(&w->done_lock);
    event_active(w->done_event, EV_READ, 0);
}

/* Replies to the requests whose jobs the committers finished. */
static void on_jobs_done(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    al_worker *w = arg;
    pthread_mutex_lock(&w->done_lock);
    al_job *jobs = w->done_head;
    w->done_head = NULL;
    pthread_mutex_unlock(&w->done_lock);
    while (jobs != NULL) {
        al_job *next = jobs->next;
        al_booking_answer(jobs);
        jobs = next;
    }
}

void al_worker_request_done(al_worker *w)
{
    w->inflight--;
}

/* While stopping: leave the loop once nothing is in flight or time is up. */
static void on_drain_tick(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    al_worker *w = arg;
    if (w->inflight > 0 && al_monotonic_ms() < w->stop_deadline_ms)
        return;
    event_del(w->drain_timer);
    if (w->sweep_timer != NULL)
        event_del(w->sweep_timer);
    /* A short grace lets the last replies leave the output buffers. */
    struct timeval flush = {0, 50000};
    event_base_loopexit(w->base, &flush);
}

static void on_stop(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    al_worker *w = arg;
    if (w->stopping)
        return;
    w->stopping = 1;
    w->stop_deadline_ms = al_monotonic_ms() + w->cfg->shutdown_grace_s * 1000;
    if (w->bound != NULL) {
        evhttp_del_accept_socket(w->http, w->bound); /* closes the socket */
        w->bound = NULL;
        w->listen_fd = -1;
    }
    struct timeval tick = {0, 10000};
    event_add(w->drain_timer, &tick);
}

/* Worker 0's sweep: holds whose time is up, points that lapse now. */
static void on_sweep(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    al_worker *w = arg;
    char as_of[27];
    al_sql_now(as_of);
    int holds = 0, members = 0, tiers = 0;
    int64_t points = 0;
    if (al_expire_now(&w->db, NULL, as_of, &holds, &members, &points, &tiers) == 0 &&
        (holds || members || tiers))
        al_log(AL_LOG_INFO,
               "sweep: %d holds released, %d tiers changed, %lld points of %d members expired",
               holds, tiers, (long long)points, members);
}

static void *worker_main(void *arg)
{
    al_worker *w = arg;
    mysql_thread_init();
    al_db_ensure(&w->db); /* connect early; failure is fine, it retries */
    event_base_dispatch(w->base);
    al_db_close(&w->db);
    mysql_thread_end();
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

static int write_port_file(const char *path, int port)
{
    char tmp[4096];
    snprintf(tmp, sizeof(tmp), "%s.tmp", path);
    FILE *f = fopen(tmp, "w");
    if (f == NULL)
        return -1;
    fprintf(f, "%d\n", port);
    if (fclose(f) != 0)
        return -1;
    return rename(tmp, path);
}

static int worker_setup(al_worker *w, int id, const al_config *cfg, const al_db_url *url,
                        SSL_CTX *tls, int fd)
{
    w->id = id;
    w->cfg = cfg;
    w->tls = tls;
    w->listen_fd = fd;
    al_db_init(&w->db, url, (unsigned)cfg->db_connect_timeout_s);
    w->has_master_key = al_master_key_parse(cfg->master_key, w->master_key) == 0;
    w->has_settlement_key = al_master_key_parse(cfg->settlement_key, w->settlement_key) == 0;
    w->base = event_base_new();
    if (w->base == NULL)
        return -1;
    w->http = evhttp_new(w->base);
    w->stop_event = event_new(w->base, -1, 0, on_stop, w);
    w->drain_timer = event_new(w->base, -1, EV_PERSIST, on_drain_tick, w);
    w->done_event = event_new(w->base, -1, 0, on_jobs_done, w);
    pthread_mutex_init(&w->done_lock, NULL);
    if (w->http == NULL || w->stop_event == NULL || w->drain_timer == NULL || w->done_event == NULL)
        return -1;
    if (id == 0 && cfg->expiry_sweep_s > 0) {
        struct timeval every = {(time_t)cfg->expiry_sweep_s, 0};
        w->sweep_timer = event_new(w->base, -1, EV_PERSIST, on_sweep, w);
        if (w->sweep_timer == NULL || event_add(w->sweep_timer, &every) != 0)
            return -1;
    }
    evhttp_set_gencb(w->http, on_request, w);
    evhttp_set_allowed_methods(w->http, EVHTTP_REQ_GET | EVHTTP_REQ_POST | EVHTTP_REQ_HEAD |
                                            EVHTTP_REQ_PUT | EVHTTP_REQ_DELETE |
                                            EVHTTP_REQ_OPTIONS | EVHTTP_REQ_PATCH);
    evhttp_set_max_body_size(w->http, (ev_ssize_t)cfg->max_body_bytes * HARD_BODY_FACTOR);
    evhttp_set_max_headers_size(w->http, 16384);
    evhttp_set_timeout(w->http, 60);
    if (tls != NULL)
        evhttp_set_bevcb(w->http, al_tls_bufferevent, tls);
    w->bound = evhttp_accept_socket_with_handle(w->http, fd);
    if (w->bound == NULL)
        return -1;
    return 0;
}

static void worker_free(al_worker *w)
{
    if (w->http != NULL)
        evhttp_free(w->http); /* closes the listener still bound, if any */
    else if (w->listen_fd >= 0)
        close(w->listen_fd);
    if (w->stop_event != NULL)
        event_free(w->stop_event);
    if (w->drain_timer != NULL)
        event_free(w->drain_timer);
    if (w->sweep_timer != NULL)
        event_free(w->sweep_timer);
    if (w->done_event != NULL) {
        event_free(w->done_event);
        pthread_mutex_destroy(&w->done_lock);
    }
    if (w->base != NULL)
        event_base_free(w->base);
    al_db_close(&w->db);
    al_plugins_release(w->plugins);
    w->plugins = NULL;
    al_rules_cache_free(w->rules);
    w->rules = NULL;
}

typedef struct {
    al_worker *workers;
    int n;
    int signo;
} stopper;

static void on_signal(evutil_socket_t sig, short what, void *arg)
{
    (void)what;
    stopper *s = arg;
    if (sig == SIGHUP) {
        al_log(AL_LOG_INFO, "SIGHUP: reloading plugins");
        al_plugins_reload(NULL);
        return;
    }
    if (s->signo != 0)
        return;
    s->signo = (int)sig;
    al_log(AL_LOG_INFO, "stopping on %s: no new connections, finishing requests in flight",
           sig == SIGTERM ? "SIGTERM" : "SIGINT");
    for (int i = 0; i < s->n; i++)
        event_active(s->workers[i].stop_event, EV_READ, 0);
}

int al_server_run(const al_config *cfg, const char *port_file)
{
    int rc = -1, nthreads = (int)cfg->threads, started = 0;
    char err[256] = "invalid listen address", host[256];
    int port;
    al_db_url url;
    SSL_CTX *tls = NULL;
    struct event_base *main_base = NULL;
    struct event *sigterm = NULL, *sigint = NULL, *sighup = NULL;
    stopper st = {NULL, nthreads, 0};
    al_worker *workers = calloc((size_t)nthreads, sizeof(*workers));
    if (workers == NULL)
        return -1;
    for (int i = 0; i < nthreads; i++)
        workers[i].listen_fd = -1;

    RAND_bytes((unsigned char *)&boot_id, sizeof(boot_id));
    if (evthread_use_pthreads() != 0 || al_db_url_parse(cfg->db, &url, err) != 0 ||
        al_parse_listen(cfg->listen, host, sizeof(host), &port) != 0) {
        al_log(AL_LOG_ERROR, "cannot start: %s", err);
        goto done;
    }
    if (cfg->tls_cert[0] != '\0' &&
        (tls = al_tls_context(cfg->tls_cert, cfg->tls_key, err)) == NULL) {
        al_log(AL_LOG_ERROR, "cannot start: %s", err);
        goto done;
    }
    for (int i = 0; i < nthreads; i++) {
        int fd = listen_on(host, port, err);
        if (fd < 0) {
            al_log(AL_LOG_ERROR, "cannot start: %s", err);
            goto done;
        }
        port = bound_port(fd); /* port 0: the others join the one picked */
        if (port < 0) {
            al_log(AL_LOG_ERROR, "cannot start: getsockname: %s", strerror(errno));
            close(fd);
            goto done;
        }
        if (worker_setup(&workers[i], i, cfg, &url, tls, fd) != 0) {
            al_log(AL_LOG_ERROR, "cannot start worker %d: out of memory", i);
            goto done;
        }
    }

    if (cfg->ledger_committers > 0 &&
        al_committers_start(&url, (unsigned)cfg->db_connect_timeout_s, (int)cfg->ledger_committers,
                            (int)cfg->ledger_batch_max) != 0)
        goto done;

    if (cfg->report_threads > 0 &&
        al_reports_start(&url, (unsigned)cfg->db_connect_timeout_s, (int)cfg->report_threads) != 0)
        goto done;

    /* Workers must not see the signals; the main thread's loop takes them. */
    sigset_t block, old;
    sigemptyset(&block);
    sigaddset(&block, SIGTERM);
    sigaddset(&block, SIGINT);
    sigaddset(&block, SIGHUP);
    pthread_sigmask(SIG_BLOCK, &block, &old);
    for (; started < nthreads; started++)
        if (pthread_create(&workers[started].thread, NULL, worker_main, &workers[started]) != 0)
            break;
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (started < nthreads) {
        al_log(AL_LOG_ERROR, "cannot start worker threads");
        goto stop;
    }

    st.workers = workers;
    main_base = event_base_new();
    if (main_base == NULL)
        goto stop;
    sigterm = evsignal_new(main_base, SIGTERM, on_signal, &st);
    sigint = evsignal_new(main_base, SIGINT, on_signal, &st);
    sighup = evsignal_new(main_base, SIGHUP, on_signal, &st);
    if (sigterm == NULL || sigint == NULL || sighup == NULL || event_add(sigterm, NULL) != 0 ||
        event_add(sigint, NULL) != 0 || event_add(sighup, NULL) != 0)
        goto stop;
    if (port_file != NULL && write_port_file(port_file, port) != 0) {
        al_log(AL_LOG_ERROR, "cannot write port file %s: %s", port_file, strerror(errno));
        goto stop;
    }
    al_log(AL_LOG_INFO, "listening on %s:%d (%s), %d workers", host, port, tls ? "https" : "http",
           nthreads);
    /* Returns after on_signal, once the signal events are deleted below. */
    while (st.signo == 0 && event_base_loop(main_base, EVLOOP_ONCE) == 0)
        ;
    rc = 0;
stop:
    al_reports_cancel(); /* a long report gives up, so the workers' drain can end */
    for (int i = 0; i < started; i++) {
        event_active(workers[i].stop_event, EV_READ, 0);
        pthread_join(workers[i].thread, NULL);
    }
done:
    al_committers_stop(); /* after the workers: they wait for their jobs' answers */
    al_reports_stop();
    for (int i = 0; i < nthreads; i++)
        worker_free(&workers[i]);
    free(workers);
    if (sigterm != NULL)
        event_free(sigterm);
    if (sigint != NULL)
        event_free(sigint);
    if (sighup != NULL)
        event_free(sighup);
    if (main_base != NULL)
        event_base_free(main_base);
    if (tls != NULL)
        SSL_CTX_free(tls);
    if (rc == 0)
        al_log(AL_LOG_INFO, "stopped: all requests answered, database closed");
    return rc;
}
