/*
 * The database hangs (SIGSTOP, as a stalled host or a full disk would): the
 * server fails fast instead of hanging with it. /readyz says 503 within 2 s,
 * requests that need the database answer 503 database_unavailable within the
 * configured timeout (db_timeout_s), /healthz keeps answering, and SIGTERM
 * exits within the grace while the database is still hung. Uses a MariaDB of
 * its own under var/.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "harness.h"

#define DB_DIR ALLIANCE_SOURCE_DIR "/var/pause-db"
#define DB_SH ALLIANCE_SOURCE_DIR "/scripts/db.sh"

static pid_t db_pid(void)
{
    FILE *f = fopen(DB_DIR "/mysqld.pid", "r");
    long pid = 0;
    if (f != NULL) {
        if (fscanf(f, "%ld", &pid) != 1)
            pid = 0;
        fclose(f);
    }
    return (pid_t)pid;
}

static void stop_db(void)
{
    pid_t pid = db_pid();
    if (pid > 0)
        kill(pid, SIGCONT);
    system(DB_SH " stop " DB_DIR " >/dev/null 2>&1");
}

TestSuite(pause, .fini = stop_db, .timeout = 180);

typedef struct {
    int status;
    char code[64];
    int64_t ms;
} timed;

static timed timed_get(const test_server *s, const char *path, const char *token)
{
    int64_t t0 = now_ms();
    response r = http(s, "GET", path, token, NULL);
    timed t = {.status = r.status, .ms = now_ms() - t0};
    const char *code = json_string_value(json_object_get(json_object_get(r.json, "error"), "code"));
    snprintf(t.code, sizeof(t.code), "%s", code ? code : "");
    response_free(&r);
    return t;
}

Test(pause, a_hung_database_gives_503_within_the_timeout_and_sigterm_within_the_grace)
{
    cr_assert_eq(system(DB_SH " start " DB_DIR " >/dev/null"), 0);
    char env_db[700];
    snprintf(env_db, sizeof(env_db),
             "ALLIANCE_DB=mysql://alliance:alliance@localhost/alliance_pause?socket=%s/mysqld.sock",
             DB_DIR);
    const char *const env[] = {env_db, "ALLIANCE_DB_TIMEOUT_S=2", "ALLIANCE_SHUTDOWN_GRACE_S=4",
                               NULL};
    test_server s;
    server_start(&s, env, NULL);
    char id[64], key[128], path[128];
    unique_id(id, sizeof(id), "p");
    make_tenant(&s, id, key, sizeof(key));
    snprintf(path, sizeof(path), "/v1/tenants/%s", id);
    cr_assert_eq(timed_get(&s, "/readyz", NULL).status, 200);
    cr_assert_eq(timed_get(&s, path, key).status, 200);

    pid_t db = db_pid();
    cr_assert_gt(db, 0);
    cr_assert_eq(kill(db, SIGSTOP), 0);

    /* /readyz: at once, whatever the database does; 503 once the probe's last answer is stale. */
    int64_t paused = now_ms(), readyz_worst = 0, first_503 = -1;
    while (now_ms() - paused < 3000) {
        timed t = timed_get(&s, "/readyz", NULL);
        if (t.ms > readyz_worst)
            readyz_worst = t.ms;
        if (t.status == 503 && first_503 < 0)
            first_503 = now_ms() - paused;
        usleep(50 * 1000);
    }
    /* Requests that need the database: 503 within the 2 s timeout (and a connect's 2 s). */
    int64_t request_worst = 0;
    int unavailable = 0;
    for (int i = 0; i < 4; i++) {
        timed t = timed_get(&s, path, key);
        unavailable += t.status == 503 && strcmp(t.code, "database_unavailable") == 0;
        if (t.ms > request_worst)
            request_worst = t.ms;
    }
    timed health = timed_get(&s, "/healthz", NULL);

    /* SIGTERM with a request hung on the database: exit within the 4 s grace. */
    conn c;
    cr_assert_eq(conn_open(&c, &s), 0);
    char req[512];
    int n = snprintf(req, sizeof(req),
                     "GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer %s\r\n\r\n", path,
                     key);
    conn_send(&c, req, (size_t)n);
    usleep(100 * 1000);
    int64_t exit_ms = 0;
    int code = server_term(&s, &exit_ms);
    conn_close(&c);
    kill(db, SIGCONT);

    printf("database paused: /readyz 503 after %lld ms (slowest /readyz %lld ms); %d of 4 requests "
           "503 database_unavailable, slowest %lld ms; /healthz %d in %lld ms; SIGTERM: exit %d "
           "after %lld ms (grace 4 s)\n",
           (long long)first_503, (long long)readyz_worst, unavailable, (long long)request_worst,
           health.status, (long long)health.ms, code, (long long)exit_ms);
    cr_expect_lt(readyz_worst, 2000, "/readyz must answer within 2 s");
    cr_expect(first_503 >= 0 && first_503 < 2000, "/readyz said 503 after %lld ms",
              (long long)first_503);
    cr_expect_eq(unavailable, 4);
    cr_expect_lt(request_worst, 4500, "2 s to read, 2 s to connect again, at most");
    cr_expect_eq(health.status, 200);
    cr_expect(code == 0, "see %s", s.log_path);
    cr_expect_lt(exit_ms, 4000 + 1000, "SIGTERM took %lld ms", (long long)exit_ms);
}
