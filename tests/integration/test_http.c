/* The HTTP layer of the real server: health, errors, limits, keep-alive, logs, stop. */
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "harness.h"

static test_server srv;

static void start(void)
{
    static const char *const env[] = {"ALLIANCE_MAX_BODY_BYTES=2048", NULL};
    server_start(&srv, env, NULL);
}

static void stop(void)
{
    server_finish(&srv);
}

TestSuite(http, .init = start, .fini = stop, .timeout = 60);

Test(http, healthz_and_readyz)
{
    response r = http(&srv, "GET", "/healthz", NULL, NULL);
    cr_expect_eq(r.status, 200);
    cr_expect_str_eq(json_string_value(json_object_get(r.json, "status")), "ok");
    char ct[64];
    cr_expect(response_header(&r, "Content-Type", ct, sizeof(ct)));
    cr_expect_str_eq(ct, "application/json");
    response_free(&r);
    r = http(&srv, "GET", "/readyz", NULL, NULL);
    cr_expect_eq(r.status, 200, "readyz: %s", r.body);
    cr_expect_str_eq(json_string_value(json_object_get(r.json, "status")), "ready");
    response_free(&r);
}

Test(http, unknown_path_is_404_with_envelope)
{
    response r = http(&srv, "GET", "/v1/nothing-here", NULL, NULL);
    expect_error(&r, 404, "not_found");
    response_free(&r);
}

Test(http, wrong_method_is_405_with_allow)
{
    response r = http(&srv, "DELETE", "/healthz", NULL, NULL);
    expect_error(&r, 405, "method_not_allowed");
    char allow[64];
    cr_expect(response_header(&r, "Allow", allow, sizeof(allow)));
    cr_expect_str_eq(allow, "GET");
    response_free(&r);
}

Test(http, body_over_limit_is_413_with_envelope)
{
    char body[3000];
    memset(body, ' ', sizeof(body) - 1);
    body[sizeof(body) - 1] = '\0';
    response r = http(&srv, "POST", "/v1/tenants", OPERATOR_TOKEN, body);
    expect_error(&r, 413, "body_too_large");
    response_free(&r);
}

Test(http, huge_body_is_refused_and_server_keeps_serving)
{
    size_t n = 64 * 1024;
    char *body = malloc(n + 1);
    memset(body, 'x', n);
    body[n] = '\0';
    response r = http(&srv, "POST", "/v1/tenants", OPERATOR_TOKEN, body);
    free(body);
    /* libevent cuts these off before reading them; the status is still 413. */
    cr_expect(r.status == 413 || r.status == 0, "status %d", r.status);
    response_free(&r);
    r = http(&srv, "GET", "/healthz", NULL, NULL);
    cr_expect_eq(r.status, 200);
    response_free(&r);
}

Test(http, not_json_is_400_and_server_keeps_serving)
{
    static const char *const bodies[] = {"not json", "[1,2]",
                                         "{\"id\":", "",
                                         "\"str\"",  "{\"id\":\"a\",\"id\":\"b\",\"name\":\"x\"}"};
    for (size_t i = 0; i < sizeof(bodies) / sizeof(bodies[0]); i++) {
        response r = http(&srv, "POST", "/v1/tenants", OPERATOR_TOKEN, bodies[i]);
        expect_error(&r, 400, "invalid_json");
        response_free(&r);
    }
    response r = http(&srv, "GET", "/healthz", NULL, NULL);
    cr_expect_eq(r.status, 200);
    response_free(&r);
}

Test(http, garbage_request_line_does_not_crash)
{
    static const char *const raw[] = {"GARBAGE\r\n\r\n", "GET\r\n\r\n", "GET / HTTP/9.9\r\n\r\n",
                                      "\x01\x02\x03\r\n\r\n",
                                      "GET /healthz HTTP/1.1\r\nContent-Length: -5\r\n\r\n"};
    for (size_t i = 0; i < sizeof(raw) / sizeof(raw[0]); i++) {
        conn c;
        cr_assert_eq(conn_open(&c, &srv), 0);
        conn_send(&c, raw[i], strlen(raw[i]));
        response r;
        conn_read_response(&c, &r);
        cr_expect(r.status == 0 || r.status >= 400, "case %zu: status %d", i, r.status);
        response_free(&r);
        conn_close(&c);
    }
    response r = http(&srv, "GET", "/healthz", NULL, NULL);
    cr_expect_eq(r.status, 200);
    response_free(&r);
}

Test(http, keep_alive_serves_several_requests_on_one_connection)
{
    conn c;
    cr_assert_eq(conn_open(&c, &srv), 0);
    for (int i = 0; i < 5; i++) {
        response r;
        cr_assert_eq(conn_request(&c, "GET", "/healthz", NULL, NULL, 0, &r), 0, "request %d", i);
        cr_expect_eq(r.status, 200);
        response_free(&r);
    }
    conn_close(&c);
}

Test(http, request_id_is_echoed_and_logged)
{
    conn c;
    cr_assert_eq(conn_open(&c, &srv), 0);
    response r;
    cr_assert_eq(
        conn_request(&c, "GET", "/healthz?probe=1", "X-Request-Id: trace-42\r\n", NULL, 0, &r), 0);
    char id[80];
    cr_expect(response_header(&r, "X-Request-Id", id, sizeof(id)));
    cr_expect_str_eq(id, "trace-42");
    response_free(&r);
    conn_close(&c);
    cr_expect_eq(server_stop(&srv), 0);
    static const char *const line[] = {"\"request_id\":\"trace-42\"",
                                       "\"method\":\"GET\"",
                                       "\"path\":\"/healthz\"",
                                       "\"status\":200",
                                       "\"us\":",
                                       "\"tenant\":null",
                                       "\"time\":\"",
                                       NULL};
    cr_expect(log_has_line(&srv, line), "no request line in %s", srv.log_path);
    static const char *const started[] = {"listening on 127.0.0.1:", NULL};
    static const char *const stopped[] = {"\"msg\":\"stopped", NULL};
    cr_expect(log_has_line(&srv, started));
    cr_expect(log_has_line(&srv, stopped));
}

/* ---- SIGTERM under load: every answer that arrives is whole ---- */

typedef struct {
    int port;
    volatile int *stop;
    int complete, broken;
} load_arg;

static void *load_loop(void *p)
{
    load_arg *a = p;
    test_server s = {.port = a->port};
    for (int i = 0; i < 5000 && !*a->stop; i++) {
        conn c;
        if (conn_open(&c, &s) != 0)
            break; /* the listener is closed: the server is stopping */
        for (int j = 0; j < 20; j++) {
            char req[] = "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n";
            if (conn_send(&c, req, sizeof(req) - 1) != 0)
                break;
            response r;
            if (conn_read_response(&c, &r) != 0)
                break; /* closed between requests: allowed */
            if (r.status == 200 && r.json != NULL)
                a->complete++;
            else
                a->broken++;
            response_free(&r);
        }
        conn_close(&c);
    }
    return NULL;
}

Test(http, sigterm_under_load_answers_whole_and_exits_zero)
{
    volatile int stop_flag = 0;
    load_arg args[4];
    pthread_t t[4];
    for (int i = 0; i < 4; i++) {
        args[i] = (load_arg){.port = srv.port, .stop = &stop_flag};
        pthread_create(&t[i], NULL, load_loop, &args[i]);
    }
    usleep(300 * 1000);
    int code = server_stop(&srv);
    stop_flag = 1;
    int complete = 0, broken = 0;
    for (int i = 0; i < 4; i++) {
        pthread_join(t[i], NULL);
        complete += args[i].complete;
        broken += args[i].broken;
    }
    cr_expect_eq(code, 0, "exit code %d", code);
    cr_expect_gt(complete, 0);
    cr_expect_eq(broken, 0, "%d partial or wrong answers", broken);
}

/* Every byte of the log file is printable ASCII or a newline. */
static bool log_is_ascii(const test_server *s)
{
    FILE *f = fopen(s->log_path, "rb");
    if (f == NULL)
        return false;
    int c;
    bool ascii = true;
    while ((c = fgetc(f)) != EOF)
        ascii = ascii && ((c >= 0x20 && c < 0x7f) || c == '\n');
    fclose(f);
    return ascii;
}

/*
 * A path id that is not an id (raw UTF-8, an escape sequence, too long) is a
 * 400 with the envelope before any query (it was a 500: "Illegal mix of
 * collations"), and the log line escapes every byte.
 */
Test(http, path_ids_are_checked_like_body_ids_and_logged_escaped)
{
    char key[128], id[64];
    unique_id(id, sizeof(id), "pi");
    make_tenant(&srv, id, key, sizeof(key));
    /* Raw bytes outside visible ASCII never make a target: the framer refuses them. */
    const char *raw[] = {"/v1/members/\xc3\xa9", "/v1/members/a\x1b[2Jb/history"};
    for (size_t i = 0; i < sizeof(raw) / sizeof(raw[0]); i++) {
        response r = http(&srv, "GET", raw[i], key, NULL);
        expect_error(&r, 400, "invalid_request_target");
        response_free(&r);
    }
    /* Percent-encoded, or too long: not an id, refused before any query. */
    const char *paths[] = {"/v1/partners/%C3%A9", "/v1/members/%00",
                           "/v1/members/"
                           "x123456789012345678901234567890123456789012345678901234567890123456"};
    for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
        response r = http(&srv, "GET", paths[i], key, NULL);
        expect_error(&r, 400, "invalid_path");
        response_free(&r);
    }
    response r = http(&srv, "GET", "/v1/members/ok-id_1.x:y", key, NULL);
    expect_error(&r, 404, "member_not_found");
    response_free(&r);
    cr_expect(log_is_ascii(&srv), "a raw byte reached %s", srv.log_path);
    const char *line[] = {"\"path\":\"/v1/members/\\u00c3\\u00a9\"", "\"status\":400", NULL};
    cr_expect(log_has_line(&srv, line), "no escaped request line in %s", srv.log_path);
}

/* ---- Strict framing (issue 14, point 3): what two parsers could read two ways is refused ---- */

/* Sends raw bytes on a fresh connection and reads everything until the server closes it. */
static void read_all(const char *bytes, char *out, size_t size)
{
    conn c;
    cr_assert_eq(conn_open(&c, &srv), 0);
    conn_send(&c, bytes, strlen(bytes));
    struct timeval t = {5, 0};
    setsockopt(c.fd, SOL_SOCKET, SO_RCVTIMEO, &t, sizeof(t));
    size_t got = 0;
    ssize_t k;
    while (got < size - 1 && (k = recv(c.fd, out + got, size - 1 - got, 0)) > 0)
        got += (size_t)k;
    out[got] = '\0';
    conn_close(&c);
}

/* Sends raw bytes on a fresh connection and reads one answer. */
static response raw_request(const char *bytes, size_t len)
{
    conn c;
    response r = {0};
    cr_assert_eq(conn_open(&c, &srv), 0);
    conn_send(&c, bytes, len);
    conn_read_response(&c, &r);
    conn_close(&c);
    return r;
}

/* Every refusal is the JSON envelope, with the status and code given, and closes. */
static void expect_refused(const char *bytes, int status, const char *code)
{
    response r = raw_request(bytes, strlen(bytes));
    expect_error(&r, status, code);
    char ct[64] = "", connection[32] = "";
    cr_expect(response_header(&r, "Content-Type", ct, sizeof(ct)) &&
                  strcmp(ct, "application/json") == 0,
              "%s: not JSON: %s", code, r.headers);
    cr_expect(response_header(&r, "Connection", connection, sizeof(connection)) &&
                  strcmp(connection, "close") == 0,
              "%s: the connection stays open", code);
    response_free(&r);
}

Test(http, ambiguous_framing_is_refused_with_the_envelope)
{
    /* Request smuggling: a proxy taking the last Content-Length would see another request. */
    expect_refused("POST /v1/tenants HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\n"
                   "Content-Length: 40\r\n\r\nabcdGET /healthz HTTP/1.1\r\nHost: x\r\n\r\n",
                   400, "conflicting_content_length");
    expect_refused("GET /healthz HTTP/1.1\r\nHost: x\r\nX-A: a\r\n b\r\n\r\n", 400,
                   "obsolete_line_folding");
    expect_refused("POST /v1/tenants HTTP/1.1\r\nHost: x\r\nTransfer-Encoding : chunked\r\n\r\n"
                   "0\r\n\r\n",
                   400, "invalid_header");
    expect_refused("POST /v1/tenants HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: xchunked\r\n\r\n",
                   501, "unsupported_transfer_encoding");
    expect_refused(
        "POST /v1/tenants HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked, gzip\r\n\r\n", 501,
        "unsupported_transfer_encoding");
    expect_refused("POST /v1/tenants HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n"
                   "Content-Length: 5\r\n\r\n0\r\n\r\n",
                   400, "ambiguous_framing");
    expect_refused("POST /v1/tenants HTTP/1.1\r\nHost: x\r\nContent-Length: +5\r\n\r\nhello", 400,
                   "invalid_content_length");
    expect_refused("POST /v1/tenants HTTP/1.1\r\nHost: x\r\nContent-Length: 5 5\r\n\r\nhello", 400,
                   "invalid_content_length");
    expect_refused("GET /healthz HTTP/1.1\r\nHost: x\r\nHost: y\r\n\r\n", 400, "duplicate_host");
    expect_refused("GET /healthz HTTP/1.1\r\nHost: x\r\nExpect: 200-ok\r\n\r\n", 417,
                   "expectation_failed");
    expect_refused("POST /v1/tenants HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
                   "5\r\nhelloXX0\r\n\r\n",
                   400, "invalid_chunk");
    expect_refused("POST /v1/tenants HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
                   "zz\r\nhello\r\n0\r\n\r\n",
                   400, "invalid_chunk");
    expect_refused("GET /healthz HTTP/1.1\r\nHost: x\rX: y\r\n\r\n", 400, "invalid_header");
    expect_refused("POST /v1/tenants HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
                   "5;ext=1\r\nhello\r\n0\r\n\r\n",
                   400, "invalid_chunk");
}

Test(http, request_lines_and_versions_are_refused_with_the_envelope)
{
    const char *v = "GET /healthz HTTP/11111111111.1\r\nHost: x\r\n\r\n";
    response r = raw_request(v, strlen(v));
    expect_error(&r, 505, "http_version_not_supported");
    cr_expect(strncmp(r.headers, "HTTP/1.1 505 ", 13) == 0, "%s", r.headers);
    response_free(&r);
    expect_refused("GET /healthz HTTP/2.0\r\nHost: x\r\n\r\n", 505, "http_version_not_supported");
    expect_refused("GET /healthz HTTP/1.1 \r\nHost: x\r\n\r\n", 400, "bad_request_line");
    expect_refused("GET  /healthz HTTP/1.1\r\nHost: x\r\n\r\n", 400, "bad_request_line");
    expect_refused("GARBAGE\r\n\r\n", 400, "bad_request_line");
    expect_refused("BREW /pot HTTP/1.1\r\nHost: x\r\n\r\n", 501, "method_not_implemented");
    expect_refused("TRACE / HTTP/1.1\r\nHost: x\r\n\r\n", 501, "method_not_implemented");
    expect_refused("GET http://evil/healthz HTTP/1.1\r\nHost: x\r\n\r\n", 400,
                   "invalid_request_target");
    /* Limits: a head over 16 KB, a body larger than the server takes. */
    size_t n = 20000;
    char *big = malloc(n + 64);
    int w = snprintf(big, 64, "GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: ");
    memset(big + w, 'a', n);
    memcpy(big + w + n, "\r\n\r\n", 5);
    expect_refused(big, 431, "headers_too_large");
    free(big);
    expect_refused("POST /v1/tenants HTTP/1.1\r\nHost: x\r\nContent-Length: 999999999999\r\n\r\n",
                   413, "body_too_large");
}

Test(http, a_refused_request_stops_the_connection_and_what_follows_is_not_run)
{
    /* The bad request hides a tenant creation behind it: neither runs. */
    char id[64], body[160], pipeline[1024], path[128];
    unique_id(id, sizeof(id), "smug");
    snprintf(body, sizeof(body), "{\"id\":\"%s\",\"name\":\"x\"}", id);
    int n = snprintf(pipeline, sizeof(pipeline),
                     "GET /healthz HTTP/1.1\r\nHost: x\r\nX: a\r\n b\r\n\r\n"
                     "POST /v1/tenants HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\n"
                     "Content-Length: %zu\r\n\r\n%s",
                     OPERATOR_TOKEN, strlen(body), body);
    response r = raw_request(pipeline, (size_t)n);
    expect_error(&r, 400, "obsolete_line_folding");
    response_free(&r);
    snprintf(path, sizeof(path), "/v1/tenants/%s", id);
    r = http(&srv, "GET", path, OPERATOR_TOKEN, NULL);
    expect_error(&r, 404, "not_found");
    response_free(&r);
    /* Good requests before a bad one on the same connection are answered. */
    const char *two = "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"
                      "GET /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: x\r\n\r\n";
    char all[4096];
    read_all(two, all, sizeof(all));
    const char *second = strstr(all + 1, "HTTP/1.1 ");
    cr_expect(strncmp(all, "HTTP/1.1 200 ", 13) == 0, "%s", all);
    cr_expect(second != NULL && strncmp(second, "HTTP/1.1 400 ", 13) == 0, "%s", all);
    cr_expect(strstr(all, "invalid_content_length") != NULL, "%s", all);
}

Test(http, chunked_bodies_are_read_and_a_head_answer_has_no_body)
{
    char id[64], body[256];
    unique_id(id, sizeof(id), "chk");
    int n = snprintf(body, sizeof(body), "{\"id\":\"%s\",\"name\":\"Chunked\"}", id);
    char req[1024];
    int w = snprintf(req, sizeof(req),
                     "POST /v1/tenants HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\n"
                     "Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
                     "5\r\n%.5s\r\n%x\r\n%s\r\n0\r\nX-Trailer: t\r\n\r\n",
                     OPERATOR_TOKEN, body, n - 5, body + 5);
    response r = raw_request(req, (size_t)w);
    cr_expect_eq(r.status, 201, "%s", r.body);
    response_free(&r);

    /* HEAD: the headers a GET has (its length too), and no body. */
    char all[2048];
    read_all("HEAD /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", all, sizeof(all));
    cr_expect(strncmp(all, "HTTP/1.1 405", 12) == 0 || strncmp(all, "HTTP/1.1 200", 12) == 0, "%s",
              all);
    const char *end = strstr(all, "\r\n\r\n");
    cr_assert(end != NULL, "%s", all);
    cr_expect_eq(strlen(end), 4, "a HEAD answer carried a body: %s", all);
    cr_expect(strstr(all, "Content-Length: ") != NULL, "%s", all);
}
