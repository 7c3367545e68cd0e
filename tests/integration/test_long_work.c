/*
 * No long work on a request thread: while a 7,500-line batch is booked and
 * while a 15,000-member sweep runs, /healthz on fresh connections (so on
 * every worker) answers in well under a second; a SIGTERM during the sweep
 * exits within the grace. Serial: the sweeper sweeps every tenant, and the
 * timings want the machine to themselves.
 */
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "harness.h"

#define BANK "{\"currency\":\"CNY\",\"spend_minor_per_point\":100}"
#define RETAILER "{\"currency\":\"CNY\",\"minor_per_point\":100}"

typedef struct {
    int samples, per_worker[8];
    int64_t worst_ms;
} probe;

/* One /healthz on a fresh connection: its time and worker. */
static void probe_once(const test_server *s, probe *p)
{
    int64_t t0 = now_ms();
    response r = http(s, "GET", "/healthz", NULL, NULL);
    int64_t took = now_ms() - t0;
    cr_expect_eq(r.status, 200);
    int w = response_worker(&r);
    if (w >= 0 && w < 8)
        p->per_worker[w]++;
    p->samples++;
    if (took > p->worst_ms)
        p->worst_ms = took;
    response_free(&r);
}

static bool readable(int fd)
{
    struct pollfd pfd = {.fd = fd, .events = POLLIN};
    return poll(&pfd, 1, 0) > 0;
}

Test(long_work, healthz_answers_on_every_worker_during_a_7500_line_batch, .timeout = 240)
{
    test_server s;
    server_start(&s, NULL, NULL);
    char tenant[64], admin[128];
    unique_id(tenant, sizeof(tenant), "lb");
    make_tenant(&s, tenant, admin, sizeof(admin));
    partner_key k;
    make_partner(&s, admin, "bank", "bank", BANK, &k);

    enum { LINES = 7500 };
    size_t cap = (size_t)LINES * 160, len = 0;
    char *body = malloc(cap);
    for (int i = 0; i < LINES; i++)
        len +=
            (size_t)snprintf(body + len, cap - len,
                             "{\"id\":\"b%d\",\"member\":\"m%d\",\"data\":{\"type\":\"purchase\","
                             "\"amount_minor\":10000,\"currency\":\"CNY\",\"mcc\":\"1000\"}}\n",
                             i, i % 500);
    char sig[65], head[1024];
    long ts = (long)time(NULL);
    partner_sign(&k, "POST", "/v1/transactions:batch", body, ts, sig);
    int n = snprintf(head, sizeof(head),
                     "POST /v1/transactions:batch HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                     "X-Alliance-Key: %s\r\nX-Alliance-Timestamp: %ld\r\n"
                     "X-Alliance-Signature: %s\r\nContent-Length: %zu\r\n\r\n",
                     k.key_id, ts, sig, len);
    conn c;
    cr_assert_eq(conn_open(&c, &s), 0);
    int64_t t0 = now_ms();
    cr_assert_eq(conn_send(&c, head, (size_t)n), 0);
    cr_assert_eq(conn_send(&c, body, len), 0);

    probe p = {0};
    while (!readable(c.fd) && now_ms() - t0 < 120000) {
        probe_once(&s, &p);
        usleep(20 * 1000);
    }
    response r;
    cr_assert_eq(conn_read_response(&c, &r), 0);
    int64_t batch_ms = now_ms() - t0;
    cr_assert_eq(r.status, 200);
    int created = 0;
    for (const char *q = r.body; (q = strstr(q, "\"status\":201")) != NULL; q++)
        created++;
    cr_expect_eq(created, LINES, "every line booked once");
    response_free(&r);
    conn_close(&c);
    free(body);
    printf("batch of %d lines: %lld ms; /healthz during it: %d answers (worker 0: %d, worker 1: "
           "%d), slowest %lld ms\n",
           LINES, (long long)batch_ms, p.samples, p.per_worker[0], p.per_worker[1],
           (long long)p.worst_ms);
    cr_expect_geq(p.samples, 10, "the batch took %lld ms", (long long)batch_ms);
    cr_expect_gt(p.per_worker[0], 0, "worker 0 answered while the batch ran");
    cr_expect_gt(p.per_worker[1], 0, "worker 1 answered while the batch ran");
    cr_expect_lt(p.worst_ms, 500, "a /healthz waited %lld ms", (long long)p.worst_ms);
    cr_expect_eq(server_stop(&s), 0, "see %s", s.log_path);
}

/* A number from SQL: before, the tenant's id quoted, after. */
static int64_t scalar(const char *before, const char *tenant, const char *after)
{
    char sql[512], out[32] = "";
    snprintf(sql, sizeof(sql), "%s'%s'%s", before, tenant, after);
    cr_assert_eq(db_scalar(sql, out, sizeof(out)), 0);
    return atoll(out);
}

Test(long_work, a_15000_member_sweep_keeps_healthz_fast_and_stops_within_the_grace, .timeout = 300)
{
    enum { MEMBERS = 15000, PER_REQUEST = 7500 };
    test_server s;
    server_start(&s, NULL, NULL);
    char tenant[64], admin[128], path[128];
    unique_id(tenant, sizeof(tenant), "ls");
    make_tenant(&s, tenant, admin, sizeof(admin));
    partner_key k;
    make_partner(&s, admin, "shop", "retailer", RETAILER, &k);
    snprintf(path, sizeof(path), "/v1/tenants/%s", tenant);
    response r = http(&s, "PATCH", path, admin, "{\"settings\":{\"expiry_months\":1}}");
    cr_assert_eq(r.status, 200, "%s", r.body);
    response_free(&r);
    /* A history of 2020: every member's points have long expired. */
    size_t cap = (size_t)PER_REQUEST * 160;
    char *body = malloc(cap);
    for (int part = 0; part < MEMBERS / PER_REQUEST; part++) {
        size_t len = 0;
        for (int i = part * PER_REQUEST; i < (part + 1) * PER_REQUEST; i++)
            len += (size_t)snprintf(body + len, cap - len,
                                    "{\"id\":\"h%d\",\"partner\":\"shop\",\"member\":\"m%d\","
                                    "\"occurred_at\":\"2020-01-15T10:00:00Z\","
                                    "\"amount_minor\":1000,\"points\":10}\n",
                                    i, i);
        r = http(&s, "POST", "/v1/import/transactions", admin, body);
        cr_assert_eq(r.status, 200, "%s", r.body);
        response_free(&r);
    }
    free(body);
    cr_assert_eq(server_stop(&s), 0);

    /* Now a server whose sweeper starts within a second, and a short grace. */
    char none[16]; /* no lease left by a server an earlier test killed */
    cr_assert_eq(db_scalar("DELETE FROM leases WHERE name = 'sweeper'", none, sizeof(none)), 0);
    static const char *const env[] = {"ALLIANCE_EXPIRY_SWEEP_S=1", "ALLIANCE_SHUTDOWN_GRACE_S=3",
                                      NULL};
    server_start(&s, env, NULL);
#define EXPIRED "SELECT COUNT(*) FROM bookings WHERE tenant_id = ", tenant, " AND kind = 'expire'"
    int64_t t0 = now_ms();
    while (scalar(EXPIRED) == 0 && now_ms() - t0 < 60000)
        usleep(50 * 1000);
    cr_assert_gt(scalar(EXPIRED), 0, "the sweep did not start");
    probe p = {0};
    int64_t sampling = now_ms();
    while (now_ms() - sampling < 2000) {
        probe_once(&s, &p);
        usleep(20 * 1000);
    }
    int64_t done_before = scalar(EXPIRED);
    int64_t exit_ms = 0;
    int code = server_term(&s, &exit_ms);
    printf("sweep: %lld of %d members expired when SIGTERM came; /healthz during it: %d answers "
           "(worker 0: %d, worker 1: %d), slowest %lld ms; exit after %lld ms (grace 3 s)\n",
           (long long)done_before, MEMBERS, p.samples, p.per_worker[0], p.per_worker[1],
           (long long)p.worst_ms, (long long)exit_ms);
    cr_expect(code == 0, "see %s", s.log_path);
    cr_expect_lt(exit_ms, 3000, "SIGTERM took %lld ms", (long long)exit_ms);
    cr_expect_lt(done_before, MEMBERS, "the sweep was over before the stop");
    cr_expect_gt(p.per_worker[0], 0);
    cr_expect_gt(p.per_worker[1], 0);
    cr_expect_lt(p.worst_ms, 500, "a /healthz waited %lld ms", (long long)p.worst_ms);
    /*
     * What the stop left unexpired waits for a later sweep; move it out of
     * reach, so the serial tests after this one do not sweep it for us.
     */
    char sql[256], out[16];
    snprintf(sql, sizeof(sql),
             "UPDATE lots SET expires_at = '2999-01-01' WHERE tenant_id = '%s' AND remaining > 0",
             tenant);
    cr_expect_eq(db_scalar(sql, out, sizeof(out)), 0);
    /* What was expired stays whole: the books balance. */
    cr_expect_eq(scalar("SELECT IFNULL(SUM(balance), 0) FROM account_balances WHERE tenant_id = ",
                        tenant, ""),
                 0);
}
