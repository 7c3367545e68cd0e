/*
 * Connection guard (private to http/): it makes each accepted connection's
 * bufferevent, so it can count the worker's open connections (a cap, at which
 * the worker stops accepting until one closes; the count ends with evhttp's
 * close callback) and watch the bytes coming in for a whole-request header
 * deadline: from a request's first byte, its headers must be in within
 * header_timeout_s, however slowly the bytes trickle (evhttp's own timeout
 * restarts on every byte). Accept errors (EMFILE, ENFILE) pause accepting for
 * a moment instead of spinning, with a rate-limited log line.
 *
 * Every byte in also goes through a framer (http/framing.h) before evhttp
 * reads it, and evhttp reads only whole requests the framer passed (a read low
 * watermark holds it back from a part). A request the framer refuses is
 * replaced, in the input, by "GET /.refused" closing the connection; the
 * server answers it with the refusal al_guard_refusal gives, in the JSON
 * envelope, and nothing after it on that connection is read. (A pipelined
 * request whose head evhttp began to read before it was whole cannot be
 * replaced: refused, it closes the connection unanswered.)
 */
#ifndef AL_HTTP_GUARD_H
#define AL_HTTP_GUARD_H

#include <stdbool.h>
#include <stdint.h>

#include <event2/bufferevent.h>
#include <event2/listener.h>
#include <openssl/ssl.h>

typedef struct al_guard {
    struct evconnlistener *listener; /* NULL once closed */
    SSL_CTX *tls;                    /* NULL: plain */
    int64_t open;                    /* connections now */
    int64_t max_open;
    int64_t header_timeout_s;
    uint64_t max_body; /* the most body bytes a request may carry (the framer's bound) */
    void *refused;     /* connections with a refusal not yet answered (a list) */
    bool paused_cap, paused_error; /* why accepting is off */
    struct event *resume;          /* after an accept error */
    int64_t last_log_ms;
    long errors_unlogged;
    int worker_id;
} al_guard;

/* Sets g up for a worker's base; 0 or -1. */
int al_guard_init(al_guard *g, struct event_base *base, SSL_CTX *tls, int64_t max_open,
                  int64_t header_timeout_s, uint64_t max_body, int worker_id);

/* The path evhttp sees for a refused request. */
#define AL_GUARD_REFUSED_PATH "/.refused"

typedef struct al_refusal {
    int status;
    const char *code;
    const char *message;
    const char *target; /* as sent (maybe cut short), for the log */
} al_refusal;

/* The refusal of bev's connection (evhttp's bufferevent), if the framer refused its request. */
bool al_guard_refusal(al_guard *g, const struct bufferevent *bev, al_refusal *out);

/* Watches listener's accept errors (evhttp's own listener). */
void al_guard_listen(al_guard *g, struct evconnlistener *listener);

/* The listener is gone (stopping): no more pausing or resuming it. */
void al_guard_unlisten(al_guard *g);

/* evhttp's bufferevent callback (arg: the guard): a new connection's bufferevent. */
struct bufferevent *al_guard_bufferevent(struct event_base *base, void *arg);

void al_guard_free(al_guard *g);

#endif
