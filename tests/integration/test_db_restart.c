/*
 * The database goes away while the server runs: /readyz and requests answer
 * 503 with the envelope, /healthz stays 200, and when the database is back the
 * server recovers by itself. Uses a MariaDB of its own under var/.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "harness.h"

#define DB_DIR ALLIANCE_SOURCE_DIR "/var/restart-db"
#define DB_SH ALLIANCE_SOURCE_DIR "/scripts/db.sh"

static void db(const char *what)
{
    char cmd[512];
    snprintf(cmd, sizeof(cmd), "%s %s %s >/dev/null", DB_SH, what, DB_DIR);
    cr_assert_eq(system(cmd), 0, "db.sh %s failed", what);
}

static void stop_db(void)
{
    system(DB_SH " stop " DB_DIR " >/dev/null 2>&1");
}

TestSuite(restart, .fini = stop_db, .timeout = 120);

static int status_of(const test_server *s, const char *path, const char *token)
{
    response r = http(s, "GET", path, token, NULL);
    int st = r.status;
    if (st == 503)
        expect_error(&r, 503, "database_unavailable");
    response_free(&r);
    return st;
}

Test(restart, server_survives_a_database_restart)
{
    db("start");
    char env_db[700];
    snprintf(
        env_db, sizeof(env_db),
        "ALLIANCE_DB=mysql://alliance:alliance@localhost/alliance_restart?socket=%s/mysqld.sock",
        DB_DIR);
    const char *const env[] = {env_db, NULL};
    test_server s;
    server_start(&s, env, NULL);

    char id[64], key[128], path[128];
    unique_id(id, sizeof(id), "r");
    make_tenant(&s, id, key, sizeof(key));
    snprintf(path, sizeof(path), "/v1/tenants/%s", id);
    cr_expect_eq(status_of(&s, "/readyz", NULL), 200);

    db("stop");
    /* Every worker notices: ask more times than there are workers. */
    for (int i = 0; i < 6; i++) {
        cr_expect_eq(status_of(&s, "/readyz", NULL), 503);
        cr_expect_eq(status_of(&s, path, key), 503);
        cr_expect_eq(status_of(&s, "/healthz", NULL), 200);
    }

    db("start");
    int ready = 0;
    for (int i = 0; i < 100 && !ready; i++) {
        /* Ready, and each worker's own connection back (it waits out its reconnect pause). */
        ready = status_of(&s, "/readyz", NULL) == 200 && status_of(&s, "/readyz", NULL) == 200 &&
                status_of(&s, path, key) == 200 && status_of(&s, path, key) == 200;
        if (!ready)
            usleep(100 * 1000);
    }
    cr_expect(ready, "the server did not recover within 10 s");
    for (int i = 0; i < 6; i++)
        cr_expect_eq(status_of(&s, path, key), 200, "data is back after the restart");
    cr_expect_eq(server_stop(&s), 0, "see %s", s.log_path);
}
