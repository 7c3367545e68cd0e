/* Strict request framing; see framing.h. */
#include "http/framing.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

enum { S_HEAD, S_BODY, S_CHUNK_SIZE, S_CHUNK_DATA, S_CHUNK_END, S_TRAILER, S_REFUSED };

#define LINE_MAX_CHUNK 1024 /* a chunk-size line, extensions included */
#define HEADERS_MAX 100
#define TARGET_MAX 8000

void al_framer_init(al_framer *f, uint64_t max_body)
{
    memset(f, 0, sizeof(*f));
    f->max_body = max_body;
}

void al_framer_free(al_framer *f)
{
    free(f->held);
    f->held = NULL;
    f->held_len = f->held_cap = 0;
}

static al_frame_result refuse(al_framer *f, int status, const char *code, const char *message)
{
    f->state = S_REFUSED;
    f->status = status;
    f->code = code;
    snprintf(f->message, sizeof(f->message), "%s", message);
    return AL_FRAME_REFUSED;
}

static bool hold(al_framer *f, const char *data, size_t n)
{
    if (f->held_len + n > f->held_cap) {
        size_t cap = f->held_cap ? f->held_cap : 1024;
        while (cap < f->held_len + n)
            cap *= 2;
        char *h = realloc(f->held, cap);
        if (h == NULL)
            return false;
        f->held = h;
        f->held_cap = cap;
    }
    memcpy(f->held + f->held_len, data, n);
    f->held_len += n;
    return true;
}

/* RFC 9110 tchar. */
static bool tchar(unsigned char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
           (c != 0 && strchr("!#$%&'*+-.^_`|~", c) != NULL);
}

static bool token(const char *s, size_t n)
{
    if (n == 0)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!tchar((unsigned char)s[i]))
            return false;
    return true;
}

static bool named(const char *name, size_t n, const char *want)
{
    return strlen(want) == n && strncasecmp(name, want, n) == 0;
}

/*
 * The next line of a whole head, without its end ("\r\n" or "\n"); false at
 * the end. (line_done refused any other CR as the line came.)
 */
static bool line_at(const char *text, size_t end, size_t *pos, const char **line, size_t *n)
{
    const char *start = text + *pos;
    const char *lf = memchr(start, '\n', end - *pos);
    if (lf == NULL)
        return false;
    size_t len = (size_t)(lf - start);
    *pos += len + 1;
    *line = start;
    *n = len > 0 && start[len - 1] == '\r' ? len - 1 : len;
    return true;
}

static const char *const methods[] = {"GET", "HEAD", "POST", "PUT", "DELETE", "OPTIONS", "PATCH"};

static al_frame_result request_line(al_framer *f, const char *l, size_t n, bool *http10)
{
    const char *sp1 = memchr(l, ' ', n);
    const char *sp2 = sp1 ? memchr(sp1 + 1, ' ', n - (size_t)(sp1 + 1 - l)) : NULL;
    if (sp2 != NULL) {
        size_t tn = (size_t)(sp2 - sp1 - 1);
        memcpy(f->target, sp1 + 1, tn < AL_FRAME_TARGET_LOG ? tn : AL_FRAME_TARGET_LOG);
    }
    if (sp1 == NULL || sp2 == NULL || memchr(sp2 + 1, ' ', n - (size_t)(sp2 + 1 - l)) != NULL)
        return refuse(f, 400, "bad_request_line",
                      "the request line is METHOD SP target SP HTTP-version, one space apart");
    size_t mn = (size_t)(sp1 - l), tn = (size_t)(sp2 - sp1 - 1);
    const char *target = sp1 + 1, *version = sp2 + 1;
    size_t vn = n - (size_t)(version - l);
    if (!token(l, mn))
        return refuse(f, 400, "bad_request_line", "the method is not a token");
    bool known = false;
    for (size_t i = 0; i < sizeof(methods) / sizeof(methods[0]); i++)
        known = known || (strlen(methods[i]) == mn && memcmp(methods[i], l, mn) == 0);
    if (!known)
        return refuse(f, 501, "method_not_implemented",
                      "methods are GET, HEAD, POST, PUT, DELETE, OPTIONS and PATCH");
    if (vn == 8 && memcmp(version, "HTTP/1.", 7) == 0 && (version[7] == '1' || version[7] == '0')) {
        *http10 = version[7] == '0';
    } else {
        /* HTTP/ DIGITS . DIGITS of another version, or not a version at all. */
        size_t d1 = 0, d2 = 0, i = 5;
        bool shaped = vn > 5 && memcmp(version, "HTTP/", 5) == 0;
        while (shaped && i < vn && version[i] >= '0' && version[i] <= '9')
            i++, d1++;
        shaped = shaped && d1 > 0 && i < vn && version[i++] == '.';
        while (shaped && i < vn && version[i] >= '0' && version[i] <= '9')
            i++, d2++;
        if (shaped && d2 > 0 && i == vn)
            return refuse(f, 505, "http_version_not_supported", "HTTP/1.1 and HTTP/1.0 only");
        return refuse(f, 400, "bad_request_line", "the version is not HTTP/1.1 or HTTP/1.0");
    }
    if (tn > TARGET_MAX)
        return refuse(f, 414, "uri_too_long", "the target is longer than 8000 bytes");
    for (size_t i = 0; i < tn; i++)
        if ((unsigned char)target[i] < 0x21 || (unsigned char)target[i] > 0x7e)
            return refuse(f, 400, "invalid_request_target",
                          "the target is visible ASCII only (percent-encode the rest)");
    /* "//x" would be read as an authority by evhttp's URI parser: not a path. */
    bool origin = tn > 0 && target[0] == '/' && !(tn > 1 && target[1] == '/');
    bool asterisk = tn == 1 && target[0] == '*' && mn == 7; /* OPTIONS * */
    if (!origin && !asterisk)
        return refuse(f, 400, "invalid_request_target", "the target is a path from a single /");
    return AL_FRAME_MORE;
}

/* A header (or trailer) line: name ":" OWS value OWS; its name and trimmed value. */
static al_frame_result header_line(al_framer *f, const char *l, size_t n, const char **name,
                                   size_t *name_n, const char **value, size_t *value_n)
{
    if (l[0] == ' ' || l[0] == '\t')
        return refuse(f, 400, "obsolete_line_folding",
                      "a header line starts with a space or tab (obs-fold is not accepted)");
    const char *colon = memchr(l, ':', n);
    if (colon == NULL || !token(l, (size_t)(colon - l)))
        return refuse(f, 400, "invalid_header",
                      "a header name is a token followed at once by a colon");
    const char *v = colon + 1, *end = l + n;
    while (v < end && (*v == ' ' || *v == '\t'))
        v++;
    while (end > v && (end[-1] == ' ' || end[-1] == '\t'))
        end--;
    for (const char *p = v; p < end; p++) {
        unsigned char c = (unsigned char)*p;
        if ((c < 0x20 && c != '\t') || c == 0x7f)
            return refuse(f, 400, "invalid_header", "a header value holds a control character");
    }
    *name = l;
    *name_n = (size_t)(colon - l);
    *value = v;
    *value_n = (size_t)(end - v);
    return AL_FRAME_MORE;
}

/* The head is whole in held[0, head_len): checks it and decides what follows. */
static al_frame_result check_head(al_framer *f)
{
    const char *text = f->held, *l;
    size_t pos = 0, n;
    bool http10 = false;
    if (!line_at(text, f->head_len, &pos, &l, &n)) /* a whole head has one */
        return refuse(f, 400, "bad_request_line", "there is no request line");
    al_frame_result r = request_line(f, l, n, &http10);
    if (r != AL_FRAME_MORE)
        return r;
    bool has_length = false, chunked = false;
    uint64_t length = 0;
    int hosts = 0, headers = 0;
    while (line_at(text, f->head_len, &pos, &l, &n) && n > 0) {
        const char *name, *value;
        size_t nn, vn;
        if ((r = header_line(f, l, n, &name, &nn, &value, &vn)) != AL_FRAME_MORE)
            return r;
        if (++headers > HEADERS_MAX)
            return refuse(f, 431, "headers_too_large", "more than 100 header lines");
        if (named(name, nn, "Content-Length")) {
            uint64_t v = 0;
            if (vn == 0 || vn > 18)
                return refuse(f, 400, "invalid_content_length",
                              "Content-Length is 1 to 18 digits and nothing else");
            for (size_t i = 0; i < vn; i++) {
                if (value[i] < '0' || value[i] > '9')
                    return refuse(f, 400, "invalid_content_length",
                                  "Content-Length is 1 to 18 digits and nothing else");
                v = v * 10 + (uint64_t)(value[i] - '0');
            }
            if (has_length && v != length)
                return refuse(f, 400, "conflicting_content_length",
                              "two Content-Length headers disagree");
            has_length = true;
            length = v;
        } else if (named(name, nn, "Transfer-Encoding")) {
            if (chunked)
                return refuse(f, 400, "ambiguous_framing", "Transfer-Encoding is given twice");
            if (!(vn == 7 && strncasecmp(value, "chunked", 7) == 0))
                return refuse(f, 501, "unsupported_transfer_encoding",
                              "the only transfer coding is chunked");
            chunked = true;
        } else if (named(name, nn, "Host")) {
            if (++hosts > 1)
                return refuse(f, 400, "duplicate_host", "Host is given twice");
        } else if (named(name, nn, "Expect")) {
            if (!(vn == 12 && strncasecmp(value, "100-continue", 12) == 0))
                return refuse(f, 417, "expectation_failed", "the only expectation is 100-continue");
        }
    }
    if (chunked && (has_length || http10))
        return refuse(f, 400, "ambiguous_framing",
                      "Transfer-Encoding comes without Content-Length, in HTTP/1.1");
    if (has_length && length > f->max_body)
        return refuse(f, 413, "body_too_large", "the body is larger than this server takes");
    if (chunked) {
        f->state = S_CHUNK_SIZE;
        f->line_start = f->held_len;
        f->body_total = 0;
        return AL_FRAME_MORE;
    }
    if (has_length && length > 0) {
        f->state = S_BODY;
        f->remaining = length;
        return AL_FRAME_BODY;
    }
    return AL_FRAME_READY;
}

static al_frame_result chunk_size(al_framer *f, const char *l, size_t n)
{
    size_t digits = 0;
    uint64_t size = 0;
    for (; digits < n; digits++) {
        char c = l[digits];
        int v = c >= '0' && c <= '9'   ? c - '0'
                : c >= 'a' && c <= 'f' ? c - 'a' + 10
                : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                       : -1;
        if (v < 0)
            break;
        if (digits == 15)
            return refuse(f, 413, "body_too_large", "a chunk is larger than this server takes");
        size = size * 16 + (uint64_t)v;
    }
    /* Chunk extensions are refused, not ignored: evhttp would read the line another way. */
    if (digits == 0 || digits < n)
        return refuse(f, 400, "invalid_chunk",
                      "a chunk starts with its size in hex, alone on its line (no extensions)");
    if (size > f->max_body - f->body_total)
        return refuse(f, 413, "body_too_large", "the body is larger than this server takes");
    f->body_total += size;
    f->chunk_left = size;
    f->state = size == 0 ? S_TRAILER : S_CHUNK_DATA;
    return AL_FRAME_MORE;
}

/* A whole line was just held (it ends at held_len): what it means in the current state. */
static al_frame_result line_done(al_framer *f)
{
    size_t n = f->held_len - f->line_start - 1;
    const char *l = f->held + f->line_start;
    if (n > 0 && l[n - 1] == '\r')
        n--;
    if (memchr(l, '\r', n) != NULL)
        return refuse(f, 400, f->state == S_HEAD ? "invalid_header" : "invalid_chunk",
                      "a CR stands alone in a line");
    bool first = f->line_start == 0;
    f->line_start = f->held_len;
    if (f->state == S_HEAD) {
        if (n > 0)
            return AL_FRAME_MORE;
        if (first) { /* an empty line before a request: RFC 9112 lets it go */
            f->held_len = f->line_start = 0;
            return AL_FRAME_MORE;
        }
        f->head_len = f->held_len;
        return check_head(f);
    }
    if (f->state == S_CHUNK_SIZE)
        return chunk_size(f, l, n);
    /* S_TRAILER */
    if (n == 0)
        return AL_FRAME_READY;
    const char *name, *value;
    size_t nn, vn;
    return header_line(f, l, n, &name, &nn, &value, &vn);
}

al_frame_result al_framer_feed(al_framer *f, const char *data, size_t len, size_t *used)
{
    size_t i = 0;
    al_frame_result r = AL_FRAME_MORE;
    while (i < len && r == AL_FRAME_MORE) {
        switch (f->state) {
        case S_REFUSED: *used = len; return AL_FRAME_REFUSED;
        case S_BODY: *used = i; return AL_FRAME_BODY;
        case S_CHUNK_DATA: {
            size_t n = len - i < f->chunk_left ? len - i : (size_t)f->chunk_left;
            if (!hold(f, data + i, n))
                return refuse(f, 503, "server_busy", "out of memory");
            i += n;
            f->chunk_left -= n;
            if (f->chunk_left == 0)
                f->state = S_CHUNK_END;
            break;
        }
        case S_CHUNK_END: {
            /* CRLF (or LF) after a chunk's data. */
            char c = data[i++];
            if (!hold(f, &c, 1))
                return refuse(f, 503, "server_busy", "out of memory");
            if (c == '\n') {
                f->state = S_CHUNK_SIZE;
                f->line_start = f->held_len;
                f->cr = false;
            } else if (c == '\r' && !f->cr) {
                f->cr = true;
            } else {
                return refuse(f, 400, "invalid_chunk", "a chunk's data ends with CRLF");
            }
            break;
        }
        default: { /* S_HEAD, S_CHUNK_SIZE, S_TRAILER: a line at a time */
            const char *lf = memchr(data + i, '\n', len - i);
            size_t n = lf ? (size_t)(lf - (data + i)) + 1 : len - i;
            size_t line = f->held_len - f->line_start + n;
            if ((f->state == S_HEAD && f->held_len + n > AL_FRAME_HEAD_MAX) ||
                (f->state == S_CHUNK_SIZE && line > LINE_MAX_CHUNK) ||
                (f->state == S_TRAILER && line > AL_FRAME_HEAD_MAX))
                return refuse(f, 431, "headers_too_large",
                              f->state == S_HEAD ? "the head is over 16384 bytes"
                                                 : "a chunk or trailer line is too long");
            if (!hold(f, data + i, n))
                return refuse(f, 503, "server_busy", "out of memory");
            i += n;
            if (lf != NULL)
                r = line_done(f);
            break;
        }
        }
    }
    *used = r == AL_FRAME_REFUSED ? len : i;
    return r;
}

void al_framer_taken(al_framer *f)
{
    f->held_len = f->line_start = f->head_len = 0;
    if (f->state != S_BODY)
        f->state = S_HEAD;
}

void al_framer_body(al_framer *f, uint64_t n)
{
    f->remaining -= n < f->remaining ? n : f->remaining;
    if (f->remaining == 0 && f->state == S_BODY)
        f->state = S_HEAD;
}
