/*
 * Connections the server bounds: past the descriptor limit it neither spins
 * nor floods its log, and serves again once connections close; at the
 * configured cap a worker stops accepting until one closes; a client that
 * trickles its headers is cut at the header deadline however slowly it
 * sends. Serial: the CPU a server burns is measured.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "harness.h"

/* A bare connection (no request yet), or -1. */
static int raw_connect(int port)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    int rc;
    while ((rc = connect(fd, (struct sockaddr *)&sa, sizeof(sa))) != 0 && errno == EINTR)
        ;
    if (rc != 0) {
        close(fd);
        return -1;
    }
    return fd;
}

/* Sends a /healthz and waits up to wait_ms for the status line; the status or 0. */
static int healthz_within(int fd, int wait_ms)
{
    static const char req[] = "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";
    if (send(fd, req, sizeof(req) - 1, MSG_NOSIGNAL) < 0)
        return 0;
    struct pollfd pfd = {.fd = fd, .events = POLLIN};
    int64_t until = now_ms() + wait_ms;
    int rc;
    while ((rc = poll(&pfd, 1, (int)(until - now_ms() > 0 ? until - now_ms() : 0))) < 0 &&
           errno == EINTR)
        ;
    char buf[256];
    ssize_t n = rc > 0 ? recv(fd, buf, sizeof(buf) - 1, 0) : 0;
    if (n <= 0)
        return 0;
    buf[n] = '\0';
    int status = 0;
    return sscanf(buf, "HTTP/1.%*d %d", &status) == 1 ? status : 0;
}

Test(limits, past_the_descriptor_limit_no_spin_no_flood_and_serving_again, .timeout = 120)
{
    /* 64 descriptors: the server's own (database, listeners, loops) take about 30. */
    static const char *const env[] = {"ALLIANCE_TEST_NOFILE=64", "ALLIANCE_THREADS=2", NULL};
    test_server s;
    server_start(&s, env, NULL);
    enum { OPEN = 150 };
    int fds[OPEN];
    for (int i = 0; i < OPEN; i++)
        fds[i] = raw_connect(s.port); /* the kernel queues what the server cannot accept */
    usleep(300 * 1000);
    double cpu0 = process_cpu_s(s.pid);
    int lines0 = count_log_lines(&s, "cannot accept");
    sleep(3);
    double cpu = process_cpu_s(s.pid) - cpu0;
    int lines = count_log_lines(&s, "cannot accept") - lines0;
    int total_lines = count_log_lines(&s, "cannot accept");
    for (int i = 0; i < OPEN; i++)
        if (fds[i] >= 0)
            close(fds[i]);
    /* Connections closed: the server serves again. */
    int status = 0;
    int64_t t0 = now_ms();
    while (status != 200 && now_ms() - t0 < 5000) {
        int fd = raw_connect(s.port);
        status = fd >= 0 ? healthz_within(fd, 1000) : 0;
        if (fd >= 0)
            close(fd);
    }
    int64_t back_ms = now_ms() - t0;
    printf("descriptor limit 64, %d connections: %.3f s of CPU in 3 s, %d 'cannot accept' lines "
           "in 3 s (%d in all); /healthz %d again %lld ms after they closed\n",
           OPEN, cpu, lines, total_lines, status, (long long)back_ms);
    cr_expect_gt(total_lines, 0, "the server did hit the limit");
    cr_expect_lt(cpu, 0.3, "the listener spun: %.3f s of CPU in 3 s", cpu);
    cr_expect_leq(lines, 2, "the log was flooded: %d lines in 3 s", lines);
    cr_expect_eq(status, 200);
    cr_expect_eq(server_stop(&s), 0, "see %s", s.log_path);
}

Test(limits, at_the_connection_cap_a_worker_waits_for_one_to_close, .timeout = 60)
{
    static const char *const env[] = {"ALLIANCE_MAX_CONNECTIONS=4", "ALLIANCE_THREADS=1", NULL};
    test_server s;
    server_start(&s, env, NULL);
    int idle[4];
    for (int i = 0; i < 4; i++) {
        idle[i] = raw_connect(s.port);
        cr_assert_eq(healthz_within(idle[i], 2000), 200, "connection %d is served", i);
    }
    int extra = raw_connect(s.port); /* connected in the kernel's queue, not accepted */
    cr_assert_geq(extra, 0);
    cr_expect_eq(healthz_within(extra, 500), 0, "a fifth connection is not served at the cap");
    close(idle[0]);
    struct pollfd pfd = {.fd = extra, .events = POLLIN};
    int64_t t0 = now_ms();
    int ready = poll(&pfd, 1, 3000);
    char buf[256];
    ssize_t n = ready > 0 ? recv(extra, buf, sizeof(buf) - 1, 0) : 0;
    buf[n > 0 ? n : 0] = '\0';
    printf("cap 4: the fifth connection waited, then was answered %lld ms after one closed\n",
           (long long)(now_ms() - t0));
    cr_expect(n > 0 && strncmp(buf, "HTTP/1.1 200", 12) == 0, "answered once one closed: %s", buf);
    close(extra);
    for (int i = 1; i < 4; i++)
        close(idle[i]);
    cr_expect_eq(server_stop(&s), 0, "see %s", s.log_path);
}

Test(limits, headers_trickled_past_the_deadline_are_cut, .timeout = 60)
{
    static const char *const env[] = {"ALLIANCE_HEADER_TIMEOUT_S=1", NULL};
    test_server s;
    server_start(&s, env, NULL);
    /* A slow sender: a byte every 200 ms, each well within evhttp's idle timeout. */
    int fd = raw_connect(s.port);
    const char *head = "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ";
    send(fd, head, strlen(head), MSG_NOSIGNAL);
    int64_t t0 = now_ms(), cut = -1;
    while (now_ms() - t0 < 5000) {
        if (send(fd, "a", 1, MSG_NOSIGNAL) < 0) {
            cut = now_ms() - t0;
            break;
        }
        struct pollfd pfd = {.fd = fd, .events = POLLIN};
        if (poll(&pfd, 1, 200) > 0) {
            char buf[64];
            if (recv(fd, buf, sizeof(buf), 0) <= 0) {
                cut = now_ms() - t0;
                break;
            }
        }
    }
    close(fd);
    /* A keep-alive client that pauses between requests is not cut: that is idleness, not headers.
     */
    conn c;
    cr_assert_eq(conn_open(&c, &s), 0);
    response r;
    cr_assert_eq(conn_request(&c, "GET", "/healthz", NULL, NULL, 0, &r), 0);
    cr_expect_eq(r.status, 200);
    response_free(&r);
    usleep(1500 * 1000);
    cr_assert_eq(conn_request(&c, "GET", "/healthz", NULL, NULL, 0, &r), 0);
    cr_expect_eq(r.status, 200, "the second request on a connection idle for 1.5 s");
    response_free(&r);
    conn_close(&c);
    printf("header deadline 1 s: a trickling sender was cut after %lld ms\n", (long long)cut);
    cr_expect(cut >= 900 && cut < 2500, "cut after %lld ms", (long long)cut);
    cr_expect_eq(server_stop(&s), 0, "see %s", s.log_path);
}
