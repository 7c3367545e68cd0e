/*
 * Tenants on two database clusters (two single-node ones: the private
 * MariaDBs var/db and var/db2): each tenant's rows live on its own cluster,
 * every server serves both, tenants stay apart, and with one cluster down the
 * other's tenants are still served. It stops var/db2, so it runs in the
 * serial binary.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "harness.h"

/* One value from the second cluster's test database. */
static int db2_scalar(const char *sql, char *out, size_t size)
{
    const char *sock = getenv("ALLIANCE_TEST_DB2_SOCKET");
    cr_assert(sock != NULL, "ALLIANCE_TEST_DB2_SOCKET is not set: run the tests with `make test`");
    return socket_scalar(sock, "alliance_test", sql, out, size);
}

static int db2(const char *command)
{
    char cmd[512];
    snprintf(cmd, sizeof(cmd), "cd %s && scripts/db.sh %s var/db2 >/dev/null", ALLIANCE_SOURCE_DIR,
             command);
    return system(cmd);
}

static response earn(const test_server *s, const partner_key *k, const char *id, int minor)
{
    char body[256];
    snprintf(body, sizeof(body),
             "{\"id\":\"%s\",\"member\":\"m1\",\"data\":{\"type\":\"purchase\","
             "\"amount_minor\":%d,\"currency\":\"CNY\",\"mcc\":\"1000\"}}",
             id, minor);
    return partner_call(s, k, "POST", "/v1/transactions", body, 0, NULL);
}

static json_int_t available(const test_server *s, const partner_key *k)
{
    response r = partner_call(s, k, "GET", "/v1/members/m1/balance", NULL, 0, NULL);
    json_int_t v = r.status == 200 ? json_integer_value(json_object_get(r.json, "available")) : -1;
    response_free(&r);
    return v;
}

Test(clusters, tenants_on_two_clusters_stay_apart_and_one_down_leaves_the_other, .timeout = 120)
{
    const char *url2 = getenv("ALLIANCE_TEST_DB2");
    cr_assert(url2 != NULL, "ALLIANCE_TEST_DB2 is not set: run the tests with `make test`");
    cr_assert_eq(db2("start"), 0);
    char clusters_env[700];
    snprintf(clusters_env, sizeof(clusters_env), "ALLIANCE_DB_CLUSTERS=east=%s", url2);
    const char *const env[] = {clusters_env, NULL};
    test_server s;
    server_start(&s, env, NULL);

    /* A tenant on main (the default), one on east. */
    char a[64], b[64], admin_a[128], admin_b[128], body[256];
    unique_id(a, sizeof(a), "cla");
    unique_id(b, sizeof(b), "clb");
    make_tenant(&s, a, admin_a, sizeof(admin_a));
    snprintf(body, sizeof(body), "{\"id\":\"%s\",\"name\":\"East\",\"cluster\":\"east\"}", b);
    response r = http(&s, "POST", "/v1/tenants", OPERATOR_TOKEN, body);
    cr_assert_eq(r.status, 201, "%s", r.body);
    cr_expect_str_eq(json_string_value(json_object_get(r.json, "cluster")), "east");
    snprintf(admin_b, sizeof(admin_b), "%s",
             json_string_value(json_object_get(r.json, "admin_key")));
    response_free(&r);

    /* An unknown cluster, and an id taken on the other cluster, are refused. */
    snprintf(body, sizeof(body), "{\"id\":\"%s-x\",\"name\":\"X\",\"cluster\":\"west\"}", b);
    r = http(&s, "POST", "/v1/tenants", OPERATOR_TOKEN, body);
    expect_error(&r, 422, "unknown_cluster");
    response_free(&r);
    snprintf(body, sizeof(body), "{\"id\":\"%s\",\"name\":\"Again\",\"cluster\":\"east\"}", a);
    r = http(&s, "POST", "/v1/tenants", OPERATOR_TOKEN, body);
    expect_error(&r, 409, "tenant_exists");
    response_free(&r);

    /* Each tenant's rows are on its own cluster only. */
    char sql[256], out[64];
    snprintf(sql, sizeof(sql), "SELECT COUNT(*) FROM tenants WHERE tenant_id IN ('%s', '%s')", a,
             b);
    cr_assert_eq(db_scalar(sql, out, sizeof(out)), 0);
    cr_expect_str_eq(out, "1", "main holds only its tenant");
    cr_assert_eq(db2_scalar(sql, out, sizeof(out)), 0);
    cr_expect_str_eq(out, "1", "east holds only its tenant");
    snprintf(sql, sizeof(sql), "SELECT COUNT(*) FROM tenants WHERE tenant_id = '%s'", b);
    cr_assert_eq(db2_scalar(sql, out, sizeof(out)), 0);
    cr_expect_str_eq(out, "1");

    /* One member id on both, apart: 100 points on main's, 50 on east's. */
    partner_key ka, kb;
    const char *config = "{\"currency\":\"CNY\",\"spend_minor_per_point\":100}";
    make_partner(&s, admin_a, "bank", "bank", config, &ka);
    make_partner(&s, admin_b, "bank", "bank", config, &kb);
    r = earn(&s, &ka, "a1", 10000);
    cr_expect_eq(r.status, 201, "%s", r.body);
    response_free(&r);
    r = earn(&s, &kb, "b1", 5000);
    cr_expect_eq(r.status, 201, "%s", r.body);
    response_free(&r);
    cr_expect_eq(available(&s, &ka), 100);
    cr_expect_eq(available(&s, &kb), 50);
    snprintf(sql, sizeof(sql), "SELECT COUNT(*) FROM bookings WHERE tenant_id = '%s'", b);
    cr_assert_eq(db2_scalar(sql, out, sizeof(out)), 0);
    cr_expect_str_eq(out, "1", "east's earning is booked on east");
    cr_assert_eq(db_scalar(sql, out, sizeof(out)), 0);
    cr_expect_str_eq(out, "0", "and not on main");

    /* An admin of one cannot reach the other; the operator reads each where it lives. */
    char path[128];
    snprintf(path, sizeof(path), "/v1/tenants/%s", b);
    r = http(&s, "GET", path, admin_a, NULL);
    expect_error(&r, 403, "wrong_tenant");
    response_free(&r);
    r = http(&s, "GET", path, OPERATOR_TOKEN, NULL);
    cr_expect_eq(r.status, 200, "%s", r.body);
    cr_expect_str_eq(json_string_value(json_object_get(r.json, "cluster")), "east");
    response_free(&r);
    r = http(&s, "GET", "/readyz", NULL, NULL);
    cr_expect_eq(r.status, 200, "%s", r.body);
    cr_expect_str_eq(json_string_value(json_object_get(r.json, "status")), "ready", "%s", r.body);
    response_free(&r);

    /* East goes down: main's tenant is served, east's gets 503, /readyz says which. */
    cr_assert_eq(db2("stop"), 0);
    r = earn(&s, &ka, "a2", 10000);
    cr_expect_eq(r.status, 201, "main's tenant while east is down: %s", r.body);
    response_free(&r);
    r = earn(&s, &kb, "b2", 5000);
    expect_error(&r, 503, "database_unavailable");
    response_free(&r);
    usleep(1500 * 1000); /* the probe's verdict */
    r = http(&s, "GET", "/readyz", NULL, NULL);
    cr_expect_eq(r.status, 200, "%s", r.body);
    cr_expect_str_eq(json_string_value(json_object_get(r.json, "status")), "degraded", "%s",
                     r.body);
    cr_expect_str_eq(
        json_string_value(json_object_get(json_object_get(r.json, "clusters"), "east")),
        "unavailable", "%s", r.body);
    response_free(&r);
    r = http(&s, "GET", "/v1/ledger/trial-balance", admin_a, NULL);
    cr_expect_eq(r.status, 200, "%s", r.body);
    cr_expect_eq(json_integer_value(json_object_get(r.json, "total")), 0, "%s", r.body);
    response_free(&r);

    /* East comes back: its tenant is served again, the same id booked once. */
    cr_assert_eq(db2("start"), 0);
    int status = 0;
    for (int i = 0; i < 50 && status != 201; i++) {
        r = earn(&s, &kb, "b2", 5000);
        status = r.status;
        response_free(&r);
        if (status != 201)
            usleep(200 * 1000);
    }
    cr_expect_eq(status, 201);
    cr_expect_eq(available(&s, &kb), 100);
    cr_expect_eq(available(&s, &ka), 200);
    r = http(&s, "GET", "/v1/ledger/trial-balance", admin_b, NULL);
    cr_expect_eq(json_integer_value(json_object_get(r.json, "total")), 0, "%s", r.body);
    response_free(&r);
    cr_expect_eq(server_stop(&s), 0, "see %s", s.log_path);
}
