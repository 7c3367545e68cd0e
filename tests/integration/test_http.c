/* The HTTP layer of the real server: health, errors, limits, keep-alive, logs, stop. */
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
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
    const char *paths[] = {"/v1/members/\xc3\xa9", "/v1/members/a\x1b[2Jb/history",
                           "/v1/partners/%C3%A9",
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
