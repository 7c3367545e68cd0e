/* Connection guard; see guard.h. */
#include "http/guard.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <event2/buffer.h>
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>
#include <event2/http.h>

#include "core/ids.h"
#include "core/log.h"

/* After an accept error, accepting resumes after this long. */
#define RESUME_MS 100
/* At most one accept-error log line this often (the rest are counted). */
#define LOG_EVERY_MS 10000

/* Where a connection is in its current request. */
enum phase { IDLE, HEADERS, BODY };

typedef struct {
    al_guard *g;
    struct bufferevent *bev;
    struct event *adopt; /* right after evhttp has set the connection up */
    struct event *deadline;
    struct evbuffer_cb_entry *in_cb, *out_cb;
    enum phase phase;
} conn;

static void set_accepting(al_guard *g)
{
    if (g->listener == NULL)
        return;
    if (g->paused_cap || g->paused_error)
        evconnlistener_disable(g->listener);
    else
        evconnlistener_enable(g->listener);
}

static void on_resume(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    al_guard *g = arg;
    g->paused_error = false;
    set_accepting(g);
}

static _Thread_local al_guard *current; /* the guard of this thread's worker */

/* evconnlistener's error callback (EMFILE and the like), on the worker's thread. */
static void accept_error(struct evconnlistener *listener, void *arg)
{
    (void)arg;
    al_guard *g = current;
    int err = errno;
    if (g == NULL || g->listener != listener)
        return;
    g->paused_error = true;
    set_accepting(g);
    struct timeval later = {0, (suseconds_t)RESUME_MS * 1000};
    event_add(g->resume, &later);
    int64_t now = al_monotonic_ms();
    if (g->last_log_ms == 0 || now - g->last_log_ms >= LOG_EVERY_MS) {
        al_log(AL_LOG_WARN,
               "worker %d: cannot accept: %s (%ld more since the last line); "
               "%lld connections open, accepting again in %d ms",
               g->worker_id, strerror(err), g->errors_unlogged, (long long)g->open, RESUME_MS);
        g->last_log_ms = now;
        g->errors_unlogged = 0;
    } else {
        g->errors_unlogged++;
    }
}

int al_guard_init(al_guard *g, struct event_base *base, SSL_CTX *tls, int64_t max_open,
                  int64_t header_timeout_s, int worker_id)
{
    memset(g, 0, sizeof(*g));
    g->tls = tls;
    g->max_open = max_open;
    g->header_timeout_s = header_timeout_s;
    g->worker_id = worker_id;
    g->resume = event_new(base, -1, 0, on_resume, g);
    return g->resume != NULL ? 0 : -1;
}

void al_guard_listen(al_guard *g, struct evconnlistener *listener)
{
    g->listener = listener;
    current = g;
    evconnlistener_set_error_cb(listener, accept_error);
}

void al_guard_unlisten(al_guard *g)
{
    g->listener = NULL;
    event_del(g->resume);
}

void al_guard_free(al_guard *g)
{
    if (g->resume != NULL)
        event_free(g->resume);
    g->resume = NULL;
}

/* The header deadline passed: shut the socket; evhttp sees the end and frees the connection. */
static void on_deadline(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    conn *c = arg;
    evutil_socket_t s = bufferevent_getfd(c->bev);
    al_log(AL_LOG_DEBUG, "worker %d: a request's headers took over %lld s; connection closed",
           c->g->worker_id, (long long)c->g->header_timeout_s);
    if (s >= 0)
        shutdown(s, SHUT_RDWR);
}

/* Whether the blank line that ends the headers is among the last n bytes added to buf. */
static bool headers_end(struct evbuffer *buf, size_t added)
{
    size_t len = evbuffer_get_length(buf);
    size_t from = len > added + 2 ? len - added - 2 : 0; /* two bytes back: a CRLF split */
    struct evbuffer_ptr at;
    if (evbuffer_ptr_set(buf, &at, from, EVBUFFER_PTR_SET) != 0)
        return false;
    struct evbuffer_ptr lf = evbuffer_search(buf, "\n\n", 2, &at);
    if (lf.pos >= 0)
        return true;
    evbuffer_ptr_set(buf, &at, from, EVBUFFER_PTR_SET);
    return evbuffer_search(buf, "\n\r\n", 3, &at).pos >= 0;
}

/* Bytes came in: the first of a request starts its header deadline; the blank line ends it. */
static void on_input(struct evbuffer *buf, const struct evbuffer_cb_info *info, void *arg)
{
    conn *c = arg;
    if (info->n_added == 0)
        return;
    if (c->phase == IDLE) {
        c->phase = HEADERS;
        struct timeval t = {(time_t)c->g->header_timeout_s, 0};
        event_add(c->deadline, &t);
    }
    if (c->phase == HEADERS && headers_end(buf, info->n_added)) {
        c->phase = BODY;
        event_del(c->deadline);
    }
}

/* An answer going out ends the request: the next bytes in start the next one. */
static void on_output(struct evbuffer *buf, const struct evbuffer_cb_info *info, void *arg)
{
    (void)buf;
    conn *c = arg;
    if (info->n_added > 0 && c->phase == BODY)
        c->phase = IDLE;
}

static void conn_free(conn *c)
{
    al_guard *g = c->g;
    if (c->in_cb != NULL)
        evbuffer_remove_cb_entry(bufferevent_get_input(c->bev), c->in_cb);
    if (c->out_cb != NULL)
        evbuffer_remove_cb_entry(bufferevent_get_output(c->bev), c->out_cb);
    if (c->deadline != NULL)
        event_free(c->deadline);
    if (c->adopt != NULL)
        event_free(c->adopt);
    free(c);
    g->open--;
    if (g->paused_cap && g->open < g->max_open) {
        g->paused_cap = false;
        set_accepting(g);
    }
}

/* evhttp frees the connection: it no longer counts. */
static void on_close(struct evhttp_connection *evcon, void *arg)
{
    (void)evcon;
    conn_free(arg);
}

/*
 * Runs before anything else of the loop's next pass (priority 0), once evhttp
 * has made its connection around the bufferevent: that connection is the
 * bufferevent's callback argument, and its close callback ends our count.
 */
static void on_adopt(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    conn *c = arg;
    void *evcon = NULL;
    bufferevent_getcb(c->bev, NULL, NULL, NULL, &evcon);
    if (evcon != NULL)
        evhttp_connection_set_closecb(evcon, on_close, c);
}

struct bufferevent *al_guard_bufferevent(struct event_base *base, void *arg)
{
    al_guard *g = arg;
    struct bufferevent *bev = NULL;
    conn *c = calloc(1, sizeof(*c));
    if (c == NULL)
        return NULL;
    c->g = g;
    c->deadline = event_new(base, -1, 0, on_deadline, c);
    c->adopt = event_new(base, -1, 0, on_adopt, c);
    if (g->tls != NULL) {
        SSL *ssl = SSL_new(g->tls);
        /* evhttp sets the socket afterwards; the bufferevent owns ssl from here. */
        if (ssl != NULL &&
            (bev = bufferevent_openssl_socket_new(base, -1, ssl, BUFFEREVENT_SSL_ACCEPTING,
                                                  BEV_OPT_CLOSE_ON_FREE)) == NULL)
            SSL_free(ssl);
        if (bev != NULL)
            bufferevent_openssl_set_allow_dirty_shutdown(bev, 1);
    } else {
        bev = bufferevent_socket_new(base, -1, BEV_OPT_CLOSE_ON_FREE);
    }
    if (bev != NULL) {
        c->bev = bev;
        c->in_cb = evbuffer_add_cb(bufferevent_get_input(bev), on_input, c);
        c->out_cb = evbuffer_add_cb(bufferevent_get_output(bev), on_output, c);
    }
    g->open++;
    if (bev == NULL || c->deadline == NULL || c->adopt == NULL || c->in_cb == NULL ||
        c->out_cb == NULL || event_priority_set(c->adopt, 0) != 0) {
        conn_free(c);
        if (bev != NULL)
            bufferevent_free(bev);
        return NULL; /* out of memory: evhttp makes a bufferevent of its own */
    }
    event_active(c->adopt, EV_TIMEOUT, 0);
    if (g->open >= g->max_open && !g->paused_cap) {
        g->paused_cap = true;
        set_accepting(g);
    }
    return bev;
}
