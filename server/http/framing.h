/*
 * Strict HTTP/1.1 request framing (pure: bytes in, verdicts out; no libevent).
 *
 * Every byte a client sends passes through a framer before evhttp reads it
 * (http/guard.c puts it in a filtering bufferevent). It holds a request's head
 * until it is whole and checks it against RFC 9112 with no leniency where
 * leniency lets two parsers disagree (request smuggling behind a proxy): one
 * request line of a known method, an origin-form target of visible ASCII,
 * HTTP/1.0 or HTTP/1.1; header names that are tokens with no space before the
 * colon; no obs-fold; values without control bytes; Content-Length all digits,
 * never two that differ; Transfer-Encoding exactly "chunked", never with a
 * Content-Length, never twice; at most one Host; Expect only 100-continue. A
 * chunked body is held and checked too (sizes, CRLFs, trailers) until its last
 * chunk. What passes reaches evhttp byte for byte; what does not is refused
 * with a status and a stable code, and nothing after it on that connection is
 * read, so evhttp never answers with its own HTML page.
 */
#ifndef AL_HTTP_FRAMING_H
#define AL_HTTP_FRAMING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define AL_FRAME_HEAD_MAX 16384 /* request line and headers, the blank line included */
#define AL_FRAME_TARGET_LOG 200 /* bytes of a refused request's target kept for the log */

typedef enum {
    AL_FRAME_MORE,    /* everything given was taken; nothing to pass yet */
    AL_FRAME_READY,   /* a request (head, or a whole chunked request) is held: take it */
    AL_FRAME_BODY,    /* a Content-Length body follows: pass f->remaining bytes as they come */
    AL_FRAME_REFUSED, /* f->status, f->code and f->message say why; read nothing more */
} al_frame_result;

typedef struct al_framer {
    int state;           /* where in a request (framing.c) */
    uint64_t max_body;   /* the most body bytes a request may carry */
    uint64_t remaining;  /* Content-Length bytes still to pass (AL_FRAME_BODY) */
    uint64_t chunk_left; /* bytes of the current chunk still to come */
    uint64_t body_total; /* chunk bytes so far */
    char *held;          /* the request being held (malloc'd) */
    size_t held_len, held_cap;
    size_t line_start; /* where the line being read starts in held */
    size_t head_len;   /* the head's length, once whole */
    bool cr;           /* a chunk's data was followed by CR: LF must come */
    /* The refusal. */
    int status;
    const char *code;
    char message[160];
    char target[AL_FRAME_TARGET_LOG + 1]; /* the refused request's target, as sent */
} al_framer;

void al_framer_init(al_framer *f, uint64_t max_body);
void al_framer_free(al_framer *f);

/*
 * Reads bytes from data (len of them); *used says how many it took (it stops
 * at the end of a request, so the caller can pass it, and feeds the rest
 * again). On AL_FRAME_READY the request is f->held (f->held_len bytes): the
 * caller passes it on and calls al_framer_taken. On AL_FRAME_BODY the head is
 * held as well, and f->remaining body bytes follow.
 */
al_frame_result al_framer_feed(al_framer *f, const char *data, size_t len, size_t *used);

/* The held request was passed on; the framer reads the next one (or its body). */
void al_framer_taken(al_framer *f);

/* Body bytes passed on (AL_FRAME_BODY): n of f->remaining. */
void al_framer_body(al_framer *f, uint64_t n);

#endif
