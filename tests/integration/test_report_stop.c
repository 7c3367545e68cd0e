/*
 * A stop during a long analysis: the report gives up and answers 503
 * shutting_down, its scan is abandoned rather than read out, and the server
 * exits 0 at once. 2,000,000 transactions are written straight into the test
 * database so the read lasts seconds; serial, as it is heavy.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "harness.h"

static double seconds(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

Test(report_stop, a_stop_abandons_a_long_analysis, .timeout = 120)
{
    test_server s;
    server_start(&s, NULL, NULL);
    char tenant[64], admin[128], sql[600], out[32];
    unique_id(tenant, sizeof(tenant), "rs");
    make_tenant(&s, tenant, admin, sizeof(admin));
    snprintf(sql, sizeof(sql),
             "INSERT INTO transactions (tenant_id, partner_id, transaction_id, member_id, "
             "booking_id, points, base_amount_minor, currency, occurred_at, qualifying_points) "
             "SELECT '%s', 'p', seq, CONCAT('m', seq DIV 20), 0, 1, 100, 'CNY', "
             "'2025-01-01' + INTERVAL (seq %% 700) DAY, 1 FROM seq_1_to_2000000",
             tenant);
    cr_assert_eq(db_scalar(sql, out, sizeof(out)), 0);

    conn c;
    cr_assert_eq(conn_open(&c, &s), 0);
    char request[512];
    snprintf(request, sizeof(request),
             "GET /v1/analytics/rfm?as_of=2026-12-31 HTTP/1.1\r\nHost: 127.0.0.1\r\n"
             "Authorization: Bearer %s\r\n\r\n",
             admin);
    cr_assert_eq(conn_send(&c, request, strlen(request)), 0);
    usleep(500 * 1000); /* the report is reading (a whole one takes about 2 s) */
    double t0 = seconds();
    int code = server_stop(&s);
    double took = seconds() - t0;
    cr_expect_eq(code, 0, "exit %d", code);
    cr_expect_lt(took, 3.0, "the stop took %.2f s", took);
    response r;
    cr_assert_eq(conn_read_response(&c, &r), 0);
    expect_error(&r, 503, "shutting_down");
    response_free(&r);
    conn_close(&c);
    cr_log_info("stopped in %.2f s during the report", took);
}
