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

Test(sweeper, lapses_holds_by_itself, .timeout = 60)
{
    static const char *const env[] = {"ALLIANCE_EXPIRY_SWEEP_S=1", NULL};
    test_server s;
    server_start(&s, env, NULL);
    char tenant[64], admin[128];
    unique_id(tenant, sizeof(tenant), "sw");
    make_tenant(&s, tenant, admin, sizeof(admin));
    partner_key k;
    make_partner(&s, admin, "shop", "bank", "{\"currency\":\"CNY\",\"spend_minor_per_point\":100}",
                 &k);
    response r = partner_call(&s, &k, "POST", "/v1/transactions",
                              "{\"id\":\"t1\",\"member\":\"m1\",\"data\":{\"type\":\"purchase\","
                              "\"amount_minor\":10000,\"currency\":\"CNY\",\"mcc\":\"1000\"}}",
                              0, NULL);
    cr_assert_eq(r.status, 201, "%s", r.body);
    response_free(&r);
    r = partner_call(&s, &k, "POST", "/v1/redemptions",
                     "{\"id\":\"h1\",\"member\":\"m1\",\"points\":60,\"capture\":false,"
                     "\"hold_seconds\":1}",
                     0, NULL);
    cr_assert_eq(r.status, 201, "%s", r.body);
    response_free(&r);
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
    char sql[256], out[16];
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
