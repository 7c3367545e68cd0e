/*
 * The strict request framer (http/framing.c): the same verdict however the
 * bytes are split across reads, whole requests passed as they came, and every
 * ambiguity refused with its status and code.
 */
#include <stdio.h>
#include <string.h>

#include <criterion/criterion.h>

#include "http/framing.h"

typedef struct {
    int requests;  /* passed whole (heads with their chunked bodies) */
    size_t passed; /* bytes passed, bodies included */
    int status;    /* of a refusal, 0 when none */
    const char *code;
} verdict;

/* Feeds text in pieces of step bytes (0: all at once), as the guard does. */
static verdict run(const char *text, size_t len, size_t step, uint64_t max_body)
{
    al_framer f;
    al_framer_init(&f, max_body);
    verdict v = {0};
    size_t pos = 0;
    while (pos < len && v.status == 0) {
        size_t end = step == 0 || pos + step > len ? len : pos + step;
        while (pos < end && v.status == 0) {
            if (f.remaining > 0) {
                size_t body = end - pos < f.remaining ? end - pos : (size_t)f.remaining;
                al_framer_body(&f, body);
                v.passed += body;
                pos += body;
                continue;
            }
            size_t used = 0;
            al_frame_result r = al_framer_feed(&f, text + pos, end - pos, &used);
            cr_assert_leq(used, end - pos);
            pos += used;
            if (r == AL_FRAME_REFUSED) {
                v.status = f.status;
                v.code = f.code;
            } else if (r == AL_FRAME_READY || r == AL_FRAME_BODY) {
                v.requests++;
                v.passed += f.held_len;
                al_framer_taken(&f);
            }
        }
    }
    al_framer_free(&f);
    return v;
}

/* The verdict of every split (all at once, and pieces of 1 to 7 bytes) is the same. */
static verdict same_every_way(const char *text)
{
    size_t len = strlen(text);
    verdict whole = run(text, len, 0, 1000);
    for (size_t step = 1; step <= 7; step++) {
        verdict v = run(text, len, step, 1000);
        cr_expect_eq(v.requests, whole.requests, "step %zu: %s", step, text);
        cr_expect_eq(v.passed, whole.passed, "step %zu: %s", step, text);
        cr_expect_eq(v.status, whole.status, "step %zu: %s", step, text);
    }
    return whole;
}

static void expect_refused(const char *text, int status, const char *code)
{
    verdict v = same_every_way(text);
    cr_expect_eq(v.status, status, "%s: status %d", text, v.status);
    cr_expect(v.code != NULL && strcmp(v.code, code) == 0, "%s: code %s, want %s", text,
              v.code ? v.code : "(none)", code);
}

Test(framing, whole_requests_pass_byte_for_byte_however_they_are_split)
{
    const char *two = "GET /a HTTP/1.1\r\nHost: x\r\n\r\n"
                      "POST /b HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello";
    verdict v = same_every_way(two);
    cr_expect_eq(v.requests, 2);
    cr_expect_eq(v.passed, strlen(two));
    cr_expect_eq(v.status, 0);
    const char *chunked = "POST /c HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: Chunked\r\n\r\n"
                          "5\r\nhello\r\nA\r\n0123456789\r\n0\r\nX-T: 1\r\n\r\n"
                          "GET /d HTTP/1.0\r\n\r\n";
    v = same_every_way(chunked);
    cr_expect_eq(v.requests, 2);
    cr_expect_eq(v.passed, strlen(chunked));
    /* Bare LF line ends, and an empty line before a request, are read. */
    v = same_every_way("\r\nGET /e HTTP/1.1\nHost: x\n\n");
    cr_expect_eq(v.requests, 1);
    cr_expect_eq(v.status, 0);
    /* A head not yet whole passes nothing. */
    v = same_every_way("GET /f HTTP/1.1\r\nHost: x\r\n");
    cr_expect_eq(v.requests, 0);
    cr_expect_eq(v.status, 0);
}

Test(framing, what_two_parsers_could_read_two_ways_is_refused)
{
    expect_refused("POST / HTTP/1.1\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n", 400,
                   "conflicting_content_length");
    expect_refused("POST / HTTP/1.1\r\nContent-Length: +5\r\n\r\n", 400, "invalid_content_length");
    expect_refused("POST / HTTP/1.1\r\nContent-Length: 0x5\r\n\r\n", 400, "invalid_content_length");
    expect_refused("POST / HTTP/1.1\r\nContent-Length:\r\n\r\n", 400, "invalid_content_length");
    expect_refused("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n",
                   400, "ambiguous_framing");
    expect_refused("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked"
                   "\r\n\r\n",
                   400, "ambiguous_framing");
    expect_refused("POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n", 400,
                   "ambiguous_framing");
    expect_refused("POST / HTTP/1.1\r\nTransfer-Encoding: xchunked\r\n\r\n", 501,
                   "unsupported_transfer_encoding");
    expect_refused("POST / HTTP/1.1\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", 501,
                   "unsupported_transfer_encoding");
    expect_refused("POST / HTTP/1.1\r\nTransfer-Encoding : chunked\r\n\r\n", 400, "invalid_header");
    expect_refused("GET / HTTP/1.1\r\nX: a\r\n\tb\r\n\r\n", 400, "obsolete_line_folding");
    expect_refused("GET / HTTP/1.1\r\n X: a\r\n\r\n", 400, "obsolete_line_folding");
    expect_refused("GET / HTTP/1.1\r\nX: a\x01\r\n\r\n", 400, "invalid_header");
    expect_refused("GET / HTTP/1.1\r\nX: a\rb\r\n\r\n", 400, "invalid_header");
    expect_refused("GET / HTTP/1.1\r\n: a\r\n\r\n", 400, "invalid_header");
    expect_refused("GET / HTTP/1.1\r\nHost: a\r\nhost: b\r\n\r\n", 400, "duplicate_host");
    expect_refused("GET / HTTP/1.1\r\nExpect: 101-switch\r\n\r\n", 417, "expectation_failed");
}

Test(framing, request_lines_versions_and_limits)
{
    expect_refused("GET / HTTP/11111111111.1\r\n\r\n", 505, "http_version_not_supported");
    expect_refused("GET / HTTP/2.0\r\n\r\n", 505, "http_version_not_supported");
    expect_refused("GET / HTTP/1.1x\r\n\r\n", 400, "bad_request_line");
    expect_refused("GET / http/1.1\r\n\r\n", 400, "bad_request_line");
    expect_refused("GET /\r\n\r\n", 400, "bad_request_line");
    expect_refused("GET  / HTTP/1.1\r\n\r\n", 400, "bad_request_line");
    expect_refused("G\x01T / HTTP/1.1\r\n\r\n", 400, "bad_request_line");
    expect_refused("get / HTTP/1.1\r\n\r\n", 501, "method_not_implemented");
    expect_refused("CONNECT x:443 HTTP/1.1\r\n\r\n", 501, "method_not_implemented");
    expect_refused("GET /\xc3\xa9 HTTP/1.1\r\n\r\n", 400, "invalid_request_target");
    expect_refused("GET x HTTP/1.1\r\n\r\n", 400, "invalid_request_target");
    expect_refused("GET * HTTP/1.1\r\n\r\n", 400, "invalid_request_target");
    expect_refused("GET //transactions:batch HTTP/1.1\r\n\r\n", 400, "invalid_request_target");
    verdict v = same_every_way("OPTIONS * HTTP/1.1\r\n\r\n");
    cr_expect_eq(v.requests, 1);
    expect_refused("POST / HTTP/1.1\r\nContent-Length: 1001\r\n\r\n", 413, "body_too_large");
    expect_refused("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n3E9\r\n", 413,
                   "body_too_large");
    expect_refused("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nffffffffffffffffff\r\n",
                   413, "body_too_large");
    expect_refused("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n5;x=y\r\nhello\r\n", 400,
                   "invalid_chunk");
    expect_refused("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhelloX\r\n", 400,
                   "invalid_chunk");
    expect_refused("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n 5\r\nhello\r\n", 400,
                   "invalid_chunk");
    /* A head over 16 KB. */
    static char big[20000];
    int n = snprintf(big, sizeof(big), "GET / HTTP/1.1\r\nX: ");
    memset(big + n, 'a', sizeof(big) - (size_t)n - 5);
    memcpy(big + sizeof(big) - 5, "\r\n\r\n", 5);
    expect_refused(big, 431, "headers_too_large");
}

Test(framing, a_refusal_keeps_the_target_for_the_log_and_reads_nothing_more)
{
    al_framer f;
    al_framer_init(&f, 1000);
    const char *bad = "GET /v1/x\x1b[2J HTTP/1.1\r\n\r\nGET / HTTP/1.1\r\n\r\n";
    size_t used = 0;
    cr_expect_eq(al_framer_feed(&f, bad, strlen(bad), &used), AL_FRAME_REFUSED);
    cr_expect_eq(used, strlen(bad));
    cr_expect_str_eq(f.target, "/v1/x\x1b[2J");
    cr_expect_eq(al_framer_feed(&f, "GET / HTTP/1.1\r\n\r\n", 18, &used), AL_FRAME_REFUSED);
    al_framer_free(&f);
}
