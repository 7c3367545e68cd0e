/*
 * The whole surface, fuzzed (make fuzz; make test runs it too): requests
 * mutated from a corpus of valid ones (partners' signed calls, admins' and the
 * operator's) sent to the real server under ASan and UBSan. Mutated bodies,
 * paths and queries are signed again, so they pass the signature and reach the
 * parsers, the plugins and the ledger; mutated raw bytes (heads, framing) are
 * not. Every answer must be a status below 500 (or 503 busy), every error the
 * JSON envelope; at the end the trial balance is 0 and the server exits clean.
 *
 *   FUZZ_SURFACE_RUNS (default 100000) requests, FUZZ_SURFACE_SEED (default 1).
 */
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "harness.h"

static test_server srv;
static char tenant[64], admin[128];
static partner_key bank, shop;

static void start(void)
{
    server_start(&srv, NULL, NULL);
    unique_id(tenant, sizeof(tenant), "fz");
    make_tenant(&srv, tenant, admin, sizeof(admin));
    make_partner(&srv, admin, "bank", "bank",
                 "{\"currency\":\"CNY\",\"spend_minor_per_point\":100,"
                 "\"mcc_multipliers\":{\"5411\":2}}",
                 &bank);
    make_partner(&srv, admin, "shop", "retailer", "{\"currency\":\"CNY\",\"minor_per_point\":100}",
                 &shop);
}

static void stop(void)
{
    server_finish(&srv);
}

TestSuite(surface, .init = start, .fini = stop, .timeout = 3600);

/* xorshift64*: the same mutations for the same seed. */
static uint64_t rng_state;
static uint64_t rnd(void)
{
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return rng_state * 2685821657736338717ULL;
}
static size_t below(size_t n)
{
    return n ? (size_t)(rnd() % n) : 0;
}

enum who { PARTNER_BANK, PARTNER_SHOP, ADMIN, OPERATOR };

typedef struct {
    enum who who;
    const char *method, *path, *body;
} seed;

/* Valid requests: %M a member, %T a transaction id, %R a redemption id (filled in per request). */
static const seed corpus[] = {
    {PARTNER_BANK, "POST", "/v1/transactions",
     "{\"id\":\"%T\",\"member\":\"%M\",\"data\":{\"type\":\"purchase\",\"amount_minor\":12345,"
     "\"currency\":\"CNY\",\"mcc\":\"5411\"}}"},
    {PARTNER_SHOP, "POST", "/v1/transactions",
     "{\"id\":\"%T\",\"member\":\"%M\",\"data\":{\"type\":\"purchase\",\"currency\":\"CNY\","
     "\"lines\":[{\"sku\":\"a\",\"category\":\"food\",\"qty\":2,\"unit_minor\":1500}]}}"},
    {PARTNER_BANK, "POST", "/v1/redemptions", "{\"id\":\"%R\",\"member\":\"%M\",\"points\":10}"},
    {PARTNER_SHOP, "POST", "/v1/redemptions",
     "{\"id\":\"%R\",\"member\":\"%M\",\"points\":5,\"capture\":false,\"hold_seconds\":60}"},
    {PARTNER_SHOP, "POST", "/v1/redemptions/%R/capture", "{\"points\":3}"},
    {PARTNER_SHOP, "POST", "/v1/redemptions/%R/void", ""},
    {PARTNER_BANK, "POST", "/v1/transactions/%T/reversal", "{\"id\":\"%R\",\"amount_minor\":100}"},
    {PARTNER_BANK, "POST", "/v1/transactions:batch",
     "{\"id\":\"%T-a\",\"member\":\"%M\",\"data\":{\"type\":\"purchase\",\"amount_minor\":500,"
     "\"currency\":\"CNY\",\"mcc\":\"1000\"}}\n{\"id\":\"%T-b\",\"member\":\"%M\",\"data\":{"
     "\"type\":\"purchase\",\"amount_minor\":700,\"currency\":\"CNY\",\"mcc\":\"1000\"}}\n"},
    {PARTNER_BANK, "POST", "/v1/transactions:simulate",
     "{\"member\":\"%M\",\"data\":{\"type\":\"purchase\",\"amount_minor\":999,\"currency\":\"CNY\","
     "\"mcc\":\"1000\"}}"},
    {PARTNER_BANK, "POST", "/v1/events", "{\"id\":\"%T\",\"member\":\"%M\",\"event\":\"survey\"}"},
    {PARTNER_BANK, "GET", "/v1/members/%M/balance", ""},
    {PARTNER_BANK, "GET", "/v1/transactions/%T", ""},
    {PARTNER_BANK, "GET", "/v1/transactions?member_id=%M&since=2026-01-01T00:00:00Z&limit=2", ""},
    {PARTNER_SHOP, "GET", "/v1/redemptions/%R", ""},
    {PARTNER_SHOP, "GET", "/v1/redemptions?limit=3&cursor=1", ""},
    {PARTNER_SHOP, "GET", "/v1/settlements?limit=2", ""},
    {ADMIN, "GET", "/v1/members?prefix=m&blocked=false&limit=5", ""},
    {ADMIN, "GET", "/v1/members?stage=new&limit=2", ""},
    {ADMIN, "GET", "/v1/ledger/trial-balance?class=member&limit=2", ""},
    {OPERATOR, "GET", "/v1/tenants?limit=2", ""},
    {ADMIN, "GET", "/v1/members/%M", ""},
    {ADMIN, "GET", "/v1/members/%M/history?limit=3", ""},
    {ADMIN, "POST", "/v1/members", "{\"id\":\"%M\",\"profile\":{\"name\":\"x\"}}"},
    {ADMIN, "PUT", "/v1/members/%M/tier",
     "{\"tier\":\"silver\",\"until\":\"2099-01-01T00:00:00Z\"}"},
    {ADMIN, "PATCH", "/v1/partners/bank",
     "{\"config\":{\"currency\":\"CNY\",\"spend_minor_per_point\":100}}"},
    {ADMIN, "PUT", "/v1/rules",
     "{\"events\":{\"survey\":{\"points\":5,\"limit\":1,\"period\":\"month\"}},\"promotions\":[{"
     "\"id\":\"p1\",\"multiplier_pct\":150,\"partners\":[\"bank\"]}]}"},
    {ADMIN, "POST", "/v1/rules:simulate",
     "{\"rules\":{},\"transaction\":{\"partner\":\"bank\",\"member\":\"%M\",\"data\":{\"type\":"
     "\"purchase\",\"amount_minor\":100,\"currency\":\"CNY\",\"mcc\":\"1000\"}}}"},
    {ADMIN, "POST", "/v1/import/transactions",
     "{\"id\":\"%T\",\"partner\":\"bank\",\"member\":\"%M\",\"occurred_at\":"
     "\"2025-06-01T00:00:00Z\",\"amount_minor\":1000,\"points\":10}\n"},
    {ADMIN, "GET", "/v1/ledger/trial-balance", ""},
    {ADMIN, "GET", "/v1/analytics/rfm?limit=2", ""},
    {ADMIN, "POST", "/v1/settlements",
     "{\"period_start\":\"2026-01-01T00:00:00Z\",\"period_end\":\"2026-02-01T00:00:00Z\"}"},
    {ADMIN, "GET", "/v1/audit?limit=2", ""},
    {ADMIN, "POST", "/v1/webhooks", "{\"url\":\"http://127.0.0.1:9/x\",\"events\":[\"*\"]}"},
    {ADMIN, "GET", "/v1/webhooks?limit=2", ""},
    {ADMIN, "GET", "/v1/webhooks/1/deliveries?status=dead", ""},
    {OPERATOR, "GET", "/v1/tenants/%N", ""},
    {OPERATOR, "PATCH", "/v1/tenants/%N", "{\"settings\":{\"auto_enrol\":true}}"},
};

static const char *const extremes[] = {
    "0",
    "-1",
    "9223372036854775807",
    "-9223372036854775808",
    "99999999999999999999",
    "1e308",
    "1.5",
    "\"x\"",
    "null",
    "[]",
    "{}",
    "true",
    "\"\\u0000\"",
    "\"\\ud800\"",
    "\"\xc3\xa9\"",
};

/* Fills %M, %T, %R and %N of a template into out. */
static void fill(const char *tpl, char *out, size_t size, int n)
{
    size_t o = 0;
    for (const char *p = tpl; *p && o + 80 < size; p++) {
        if (*p == '%' && (p[1] == 'M' || p[1] == 'T' || p[1] == 'R' || p[1] == 'N')) {
            if (p[1] == 'M')
                o += (size_t)snprintf(out + o, size - o, "m%zu", below(50));
            else if (p[1] == 'T')
                o += (size_t)snprintf(out + o, size - o, "t%zu", below(400));
            else if (p[1] == 'R')
                o += (size_t)snprintf(out + o, size - o, "r%d", n % 300);
            else
                o += (size_t)snprintf(out + o, size - o, "%s", tenant);
            p++;
        } else {
            out[o++] = *p;
        }
    }
    out[o] = '\0';
}

/* One mutation of text in place (it stays a C string: no NUL inside). */
static void mutate(char *text, size_t size)
{
    size_t len = strlen(text);
    switch (below(8)) {
    case 0: /* flip a byte */
        if (len > 0)
            text[below(len)] ^= (char)(1u << below(7));
        break;
    case 1: /* insert a random byte */
        if (len + 2 < size) {
            size_t at = below(len + 1);
            memmove(text + at + 1, text + at, len - at + 1);
            text[at] = (char)(below(255) + 1);
        }
        break;
    case 2: /* cut a range */
        if (len > 0) {
            size_t at = below(len), n = below(len - at) + 1;
            memmove(text + at, text + at + n, len - at - n + 1);
        }
        break;
    case 3: { /* a number or a value at its extreme */
        const char *colon = len ? strchr(text + below(len), ':') : NULL;
        if (colon != NULL) {
            size_t at = (size_t)(colon - text) + 1, end = at;
            while (text[end] && text[end] != ',' && text[end] != '}' && text[end] != ']')
                end++;
            const char *e = extremes[below(sizeof(extremes) / sizeof(extremes[0]))];
            size_t el = strlen(e);
            if (len - (end - at) + el + 1 < size) {
                memmove(text + at + el, text + end, len - end + 1);
                memcpy(text + at, e, el);
            }
        }
        break;
    }
    case 4: /* truncate */ text[below(len + 1)] = '\0'; break;
    case 5: /* duplicate the text (a second object, or a repeated line) */
        if (2 * len + 1 < size)
            memmove(text + len, text, len + 1);
        break;
    case 6: /* deep nesting */
        if (len + 400 < size) {
            memmove(text + 200, text, len + 1);
            memset(text, '[', 200);
            memset(text + 200 + len, ']', 200);
            text[400 + len] = '\0';
        }
        break;
    default: /* a character that matters to JSON or ids */
        if (len > 0)
            text[below(len)] = "\"{}[],:\\ \t-._%/"[below(16)];
        break;
    }
    for (char *p = text; *p; p++) /* control bytes stay; NULs cannot */
        if (*p == '\0')
            *p = 1;
}

typedef struct {
    long sent, answered, no_answer, errors, bad, status[6];
} tally;

/* Checks one answer: below 500 (503 busy/setup_changed allowed), an error has the envelope. */
static void check(const response *r, tally *t, const char *what)
{
    if (r->status == 0) {
        t->no_answer++;
        return;
    }
    t->answered++;
    t->status[r->status / 100 < 6 ? r->status / 100 : 5]++;
    if (r->status < 400)
        return;
    t->errors++;
    json_t *err = r->json ? json_object_get(r->json, "error") : NULL;
    const char *code = json_string_value(json_object_get(err, "code"));
    bool envelope = code != NULL && json_is_string(json_object_get(err, "message"));
    /* 501 and 505 are the framer's refusals of a method or a version; 503 only when busy. */
    bool allowed = r->status < 500 || r->status == 501 || r->status == 505 ||
                   (r->status == 503 && code != NULL &&
                    (strcmp(code, "busy") == 0 || strcmp(code, "setup_changed") == 0));
    if (!envelope || !allowed) {
        t->bad++;
        if (t->bad <= 10)
            fprintf(stderr, "surface: %d %s for %.300s\n", r->status, r->body ? r->body : "", what);
    }
}

/* A request over a connection kept open between requests (reopened when the server closes it). */
static response send_one(conn *c, bool *open, const char *method, const char *path,
                         const char *headers, const char *body)
{
    response r = {0};
    for (int attempt = 0; attempt < 2 && r.status == 0; attempt++) {
        if (!*open) {
            if (conn_open(c, &srv) != 0)
                return r;
            struct timeval tv = {10, 0};
            int one = 1; /* head and body go in two writes: no wait for an ACK between */
            setsockopt(c->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
            setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
            *open = true;
        }
        response_free(&r);
        conn_request(c, method, path, headers, body, strlen(body), &r);
        char connection[16] = "";
        if (r.status == 0 || (response_header(&r, "Connection", connection, sizeof(connection)) &&
                              strcmp(connection, "close") == 0)) {
            conn_close(c);
            *open = false;
        }
    }
    return r;
}

/* Raw bytes (a mutated head): sent, the write side closed, one answer or none read. */
static response send_raw(const char *bytes, size_t len)
{
    response r = {0};
    conn c;
    if (conn_open(&c, &srv) != 0)
        return r;
    struct timeval tv = {10, 0};
    setsockopt(c.fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    conn_send(&c, bytes, len);
    shutdown(c.fd, SHUT_WR);
    conn_read_response(&c, &r);
    conn_close(&c);
    return r;
}

Test(surface, mutated_requests_never_crash_or_500_and_the_books_balance)
{
    long runs = getenv("FUZZ_SURFACE_RUNS") ? atol(getenv("FUZZ_SURFACE_RUNS")) : 100000;
    rng_state = getenv("FUZZ_SURFACE_SEED") ? strtoull(getenv("FUZZ_SURFACE_SEED"), NULL, 10) : 1;
    if (rng_state == 0)
        rng_state = 1;
    tally t = {0};
    conn c;
    bool open = false;
    static char body[16384], path[2048], headers[2048], raw[24576];
    time_t began = time(NULL);
    for (long n = 0; n < runs; n++) {
        const seed *s = &corpus[below(sizeof(corpus) / sizeof(corpus[0]))];
        fill(s->body, body, sizeof(body) / 2, (int)n);
        fill(s->path, path, sizeof(path) / 2, (int)n);
        size_t kind = below(10);
        /* Mostly the body (0-5), sometimes the path or query (6-7), else raw bytes (8-9). */
        int rounds = (int)below(3) + 1;
        for (int i = 0; i < rounds && kind <= 5; i++)
            mutate(body, sizeof(body));
        if (kind == 6 || kind == 7)
            mutate(path, sizeof(path) / 2);
        if (path[0] != '/') /* a target keeps its shape; the framer's own tests cover the rest */
            path[0] = '/';
        for (char *p = path; *p; p++)
            if ((unsigned char)*p <= 0x20 || (unsigned char)*p >= 0x7f)
                *p = 'x';
        const partner_key *k = s->who == PARTNER_BANK   ? &bank
                               : s->who == PARTNER_SHOP ? &shop
                                                        : NULL;
        if (k != NULL) {
            char sig[65];
            long ts = (long)time(NULL);
            partner_sign(k, s->method, path, body, ts, sig);
            snprintf(headers, sizeof(headers),
                     "X-Alliance-Key: %s\r\nX-Alliance-Timestamp: %ld\r\nX-Alliance-Signature: "
                     "%s\r\n",
                     k->key_id, ts, sig);
        } else {
            snprintf(headers, sizeof(headers), "Authorization: Bearer %s\r\n",
                     s->who == ADMIN ? admin : OPERATOR_TOKEN);
        }
        response r;
        if (kind >= 8) {
            int w = snprintf(raw, sizeof(raw),
                             "%s %s HTTP/1.1\r\nHost: x\r\n%sContent-Length: %zu\r\n\r\n%s",
                             s->method, path, headers, strlen(body), body);
            size_t len = (size_t)w < sizeof(raw) ? (size_t)w : sizeof(raw) - 1;
            int flips = (int)below(4) + 1;
            for (int i = 0; i < flips; i++) {
                size_t at = below(len);
                raw[at] = below(3) == 0 ? (char)below(256) : "\r\n :\t0-+,;"[below(10)];
            }
            int64_t t0 = now_ms();
            r = send_raw(raw, len);
            if (now_ms() - t0 > 1000)
                fprintf(stderr, "surface: %lld ms for %d %.*s\n", (long long)(now_ms() - t0),
                        r.status, (int)(len < 300 ? len : 300), raw);
        } else {
            r = send_one(&c, &open, s->method, path, headers, body);
            if (r.status == 0)
                t.bad++, fprintf(stderr, "surface: no answer to %s %s\n", s->method, path);
        }
        t.sent++;
        char what[600];
        snprintf(what, sizeof(what), "%s %.200s %.300s", s->method, path, body);
        check(&r, &t, what);
        response_free(&r);
    }
    if (open)
        conn_close(&c);
    fprintf(stderr,
            "surface: %ld requests in %lld s: %ld answered (2xx %ld, 4xx %ld, 5xx %ld), %ld raw "
            "ones unanswered; %ld not as they must be\n",
            t.sent, (long long)(time(NULL) - began), t.answered, t.status[2], t.status[4],
            t.status[5], t.no_answer, t.bad);
    cr_expect_eq(t.bad, 0, "%ld answers were a 500, had no envelope, or did not come", t.bad);
    response r = http(&srv, "GET", "/v1/ledger/trial-balance", admin, NULL);
    cr_expect_eq(r.status, 200, "%s", r.body);
    cr_expect_eq(json_integer_value(json_object_get(r.json, "total")), 0, "%s", r.body);
    response_free(&r);
}
