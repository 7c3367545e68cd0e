/*
 * The background sweeper lapses holds by itself. It sweeps every tenant, so
 * it runs in the serial test binary, never beside tests that count on a
 * hold staying put.
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "harness.h"

/* A tenant whose member m1 has 100 points, 60 of them held for a second. */
static void tenant_with_a_hold(const test_server *s, const char *prefix, char tenant[64],
                               char admin[128], partner_key *k)
{
    unique_id(tenant, 64, prefix);
    make_tenant(s, tenant, admin, 128);
    make_partner(s, admin, "shop", "bank", "{\"currency\":\"CNY\",\"spend_minor_per_point\":100}",
                 k);
    response r = partner_call(s, k, "POST", "/v1/transactions",
                              "{\"id\":\"t1\",\"member\":\"m1\",\"data\":{\"type\":\"purchase\","
                              "\"amount_minor\":10000,\"currency\":\"CNY\",\"mcc\":\"1000\"}}",
                              0, NULL);
    cr_assert_eq(r.status, 201, "%s", r.body);
    response_free(&r);
    r = partner_call(s, k, "POST", "/v1/redemptions",
                     "{\"id\":\"h1\",\"member\":\"m1\",\"points\":60,\"capture\":false,"
                     "\"hold_seconds\":1}",
                     0, NULL);
    cr_assert_eq(r.status, 201, "%s", r.body);
    response_free(&r);
}

Test(sweeper, lapses_holds_by_itself, .timeout = 60)
{
    char out[16];
    /* A server killed by an earlier test may have left its lease behind. */
    cr_assert_eq(db_scalar("DELETE FROM leases WHERE name = 'sweeper'", out, sizeof(out)), 0);
    static const char *const env[] = {"ALLIANCE_EXPIRY_SWEEP_S=1", NULL};
    test_server s;
    server_start(&s, env, NULL);
    char tenant[64], admin[128];
    partner_key k;
    tenant_with_a_hold(&s, "sw", tenant, admin, &k);
    response r;
    json_int_t available = 0;
    for (int i = 0; i < 50 && available != 100; i++) {
        usleep(200 * 1000);
        r = partner_call(&s, &k, "GET", "/v1/members/m1/balance", NULL, 0, NULL);
        available = json_integer_value(json_object_get(r.json, "available"));
        response_free(&r);
    }
    cr_expect_eq(available, 100, "the hold was not released by the sweeper");
    static const char *const line[] = {"\"msg\":\"sweep:", "holds released", NULL};
    /* The sweep logs when it is over, a moment after the release commits. */
    for (int i = 0; i < 50 && !log_has_line(&s, line); i++)
        usleep(100 * 1000);
    cr_expect(log_has_line(&s, line));

    /* Points whose time has come lapse by themselves to breakage. */
    char sql[256];
    snprintf(sql, sizeof(sql),
             "UPDATE lots SET expires_at = NOW(6) - INTERVAL 1 SECOND WHERE tenant_id = '%s'",
             tenant);
    cr_assert_eq(db_scalar(sql, out, sizeof(out)), 0);
    for (int i = 0; i < 50 && available != 0; i++) {
        usleep(200 * 1000);
        r = partner_call(&s, &k, "GET", "/v1/members/m1/balance", NULL, 0, NULL);
        available = json_integer_value(json_object_get(r.json, "available"));
        response_free(&r);
    }
    cr_expect_eq(available, 0, "the points did not lapse");
    r = http(&s, "GET", "/v1/ledger/trial-balance", admin, NULL);
    cr_expect(strstr(r.body, "{\"account\":\"alliance:breakage\",\"balance\":100}") != NULL, "%s",
              r.body);
    cr_expect_eq(json_integer_value(json_object_get(r.json, "total")), 0);
    response_free(&r);
    cr_expect_eq(server_stop(&s), 0, "see %s", s.log_path);
}

/* Of two nodes on one database, the one holding the sweeper's lease sweeps; the other waits. */
Test(sweeper, sweeps_only_while_it_holds_the_lease, .timeout = 60)
{
    char out[64];
    cr_assert_eq(db_scalar("REPLACE INTO leases VALUES ('sweeper', 'elsewhere/1/000000', "
                           "NOW(6) + INTERVAL 1 HOUR)",
                           out, sizeof(out)),
                 0);
    static const char *const env[] = {"ALLIANCE_EXPIRY_SWEEP_S=1", NULL};
    test_server s;
    server_start(&s, env, NULL);
    char tenant[64], admin[128];
    partner_key k;
    tenant_with_a_hold(&s, "swl", tenant, admin, &k);
    response r;
    sleep(4); /* three sweeps' time: the other holder's lease stands, the hold stays */
    r = partner_call(&s, &k, "GET", "/v1/members/m1/balance", NULL, 0, NULL);
    cr_expect_eq(json_integer_value(json_object_get(r.json, "available")), 40, "%s", r.body);
    response_free(&r);

    /* The other holder stops renewing: its lease lapses and this node takes the sweeps over. */
    cr_assert_eq(db_scalar("UPDATE leases SET expires_at = NOW(6) - INTERVAL 1 SECOND "
                           "WHERE name = 'sweeper'",
                           out, sizeof(out)),
                 0);
    json_int_t available = 0;
    for (int i = 0; i < 50 && available != 100; i++) {
        usleep(200 * 1000);
        r = partner_call(&s, &k, "GET", "/v1/members/m1/balance", NULL, 0, NULL);
        available = json_integer_value(json_object_get(r.json, "available"));
        response_free(&r);
    }
    cr_expect_eq(available, 100, "the hold was not released once the lease lapsed");
    static const char *const line[] = {"sweep: this node runs the sweeps", NULL};
    cr_expect(log_has_line(&s, line));
    cr_expect_eq(server_stop(&s), 0, "see %s", s.log_path);
    cr_assert_eq(db_scalar("SELECT COUNT(*) FROM leases WHERE name = 'sweeper'", out, sizeof(out)),
                 0);
    cr_expect_str_eq(out, "0", "a node that stops gives its lease up");
}
