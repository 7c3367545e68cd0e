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
#include "http/framing.h"

/* After an accept error, accepting resumes after this long. */
#define RESUME_MS 100
/* At most one accept-error log line this often (the rest are counted). */
#define LOG_EVERY_MS 10000

/* Where a connection is in its current request. */
enum phase { IDLE, HEADERS, BODY };

typedef struct conn {
    al_guard *g;
    struct bufferevent *bev;
    /*
     * Framing: positions in the stream of bytes in (from the first): how many
     * came, how many evhttp took, and where the last request the framer passed
     * ends. evhttp reads only passed bytes (a read low watermark holds it back
     * from a request not yet whole).
     */
    al_framer framer;
    uint64_t in, taken, passed;
    bool refused, rewriting;
    struct conn *next_refused; /* on the guard's list while refused */
    struct event *adopt;       /* right after evhttp has set the connection up */
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
                  int64_t header_timeout_s, uint64_t max_body, int worker_id)
{
    memset(g, 0, sizeof(*g));
    g->tls = tls;
    g->max_body = max_body;
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

/* What evhttp reads in place of a refused request: the server answers the refusal. */
static const char refused_request[] =
    "GET " AL_GUARD_REFUSED_PATH " HTTP/1.1\r\nHost: refused\r\nConnection: close\r\n\r\n";

/* Keeps buf's first keep bytes and drops the rest (then adds what follows, if any). */
static void cut(struct evbuffer *buf, size_t keep, const char *then, size_t then_len)
{
    struct evbuffer *head = evbuffer_new();
    if (head == NULL || evbuffer_remove_buffer(buf, head, keep) < 0) {
        evbuffer_drain(buf, evbuffer_get_length(buf));
    } else {
        evbuffer_drain(buf, evbuffer_get_length(buf));
        evbuffer_add_buffer(buf, head);
    }
    if (head != NULL)
        evbuffer_free(head);
    if (then_len > 0)
        evbuffer_add(buf, then, then_len);
}

/*
 * The framer refused the request after the passed bytes. In its place evhttp
 * reads the stand-in; nothing after it is read. Only when evhttp had already
 * begun to read that request (a pipelined head split across reads) is there
 * no way to answer: the connection closes.
 */
static void refuse_request(conn *c, struct evbuffer *buf)
{
    c->refused = true;
    c->next_refused = c->g->refused;
    c->g->refused = c;
    c->rewriting = true;
    if (c->passed >= c->taken) {
        cut(buf, (size_t)(c->passed - c->taken), refused_request, sizeof(refused_request) - 1);
        bufferevent_setwatermark(c->bev, EV_READ, 0, 0);
    } else {
        evutil_socket_t s = bufferevent_getfd(c->bev);
        cut(buf, 0, NULL, 0);
        if (s >= 0)
            shutdown(s, SHUT_RDWR);
    }
    c->rewriting = false;
}

/*
 * evhttp reads when a passed request waits, never a part of one: while only a
 * part is in, the read low watermark is one byte more than there is.
 */
static void hold_back(conn *c, const struct evbuffer *buf)
{
    bool waiting = c->passed > c->taken, partial = c->in > c->passed;
    bufferevent_setwatermark(c->bev, EV_READ,
                             waiting || !partial ? 0 : evbuffer_get_length(buf) + 1, 0);
}

/* Feeds the n bytes that came at buf's end to the framer; holds evhttp back from a part. */
static void frame(conn *c, struct evbuffer *buf, size_t n)
{
    size_t len = evbuffer_get_length(buf), pos = len - n;
    al_framer *f = &c->framer;
    while (pos < len) {
        if (f->remaining > 0) { /* a Content-Length body passes as it comes */
            size_t body = len - pos < f->remaining ? len - pos : (size_t)f->remaining;
            al_framer_body(f, body);
            pos += body;
            c->passed = c->in - (len - pos);
            continue;
        }
        struct evbuffer_ptr at;
        struct evbuffer_iovec v;
        if (evbuffer_ptr_set(buf, &at, pos, EVBUFFER_PTR_SET) != 0 ||
            evbuffer_peek(buf, (ev_ssize_t)(len - pos), &at, &v, 1) < 1)
            break;
        size_t used = 0;
        size_t avail = v.iov_len < len - pos ? v.iov_len : len - pos;
        al_frame_result r = al_framer_feed(f, v.iov_base, avail, &used);
        pos += used;
        if (r == AL_FRAME_REFUSED) {
            refuse_request(c, buf);
            return;
        }
        if (r == AL_FRAME_READY || r == AL_FRAME_BODY) {
            al_framer_taken(f);
            c->passed = c->in - (len - pos);
        }
    }
    hold_back(c, buf);
}

/*
 * Bytes came in: the framer reads them (and may hold evhttp back); the first of
 * a request starts its header deadline, the blank line ends it. Bytes taken by
 * evhttp are counted.
 */
static void on_input(struct evbuffer *buf, const struct evbuffer_cb_info *info, void *arg)
{
    conn *c = arg;
    if (c->rewriting)
        return;
    if (c->refused) { /* nothing after a refusal is read */
        if (info->n_added > 0) {
            c->rewriting = true;
            cut(buf, evbuffer_get_length(buf) - info->n_added, NULL, 0);
            c->rewriting = false;
        }
        return;
    }
    if (info->n_deleted > 0) {
        c->taken += info->n_deleted;
        if (info->n_added == 0)
            hold_back(c, buf);
    }
    if (info->n_added == 0)
        return;
    c->in += info->n_added;
    frame(c, buf, info->n_added);
    if (c->refused)
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
    if (c->refused) {
        conn **p = (conn **)&g->refused;
        while (*p != NULL && *p != c)
            p = &(*p)->next_refused;
        if (*p == c)
            *p = c->next_refused;
    }
    al_framer_free(&c->framer);
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
    al_framer_init(&c->framer, g->max_body);
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

bool al_guard_refusal(al_guard *g, const struct bufferevent *bev, al_refusal *out)
{
    for (conn *c = g->refused; c != NULL; c = c->next_refused)
        if (c->bev == bev) {
            *out = (al_refusal){.status = c->framer.status,
                                .code = c->framer.code,
                                .message = c->framer.message,
                                .target = c->framer.target};
            return true;
        }
    return false;
}
