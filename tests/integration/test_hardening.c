/*
 * Hardening (issue 14), the points that need no server of their own: the
 * private database is no way to root, and make run's secrets are private.
 */
#include <criterion/criterion.h>
#include <libgen.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "harness.h"

/* The folder of the test database's socket. */
static void socket_dir(char *out, size_t size)
{
    const char *sock = getenv("ALLIANCE_TEST_DB_SOCKET");
    cr_assert(sock != NULL);
    char copy[512];
    snprintf(copy, sizeof(copy), "%s", sock);
    snprintf(out, size, "%s", dirname(copy));
}

Test(hardening, the_application_user_cannot_write_files_through_the_database)
{
    char out[512];
    /* FILE is a global privilege: with it, a local user could write a root-owned file. */
    cr_expect_neq(
        db_scalar("SELECT 'x' INTO DUMPFILE '/tmp/allianced-dumpfile-test'", out, sizeof(out)), 0,
        "the application user wrote a file through the database");
    cr_expect_neq(access("/tmp/allianced-dumpfile-test", F_OK), 0);
    unlink("/tmp/allianced-dumpfile-test");
    cr_expect_neq(db_scalar("SELECT COUNT(*) FROM mysql.user", out, sizeof(out)), 0,
                  "the application user reads the server's own tables");
    /* Its grants name the project's databases only: nothing but USAGE on *.*. */
    cr_assert_eq(db_scalar("SELECT COUNT(*) FROM information_schema.user_privileges "
                           "WHERE GRANTEE LIKE '%alliance%' AND PRIVILEGE_TYPE <> 'USAGE'",
                           out, sizeof(out)),
                 0);
    cr_expect_str_eq(out, "0", "global privileges of the application user: %s", out);
}

Test(hardening, the_database_runs_unprivileged_behind_a_private_folder)
{
    char dir[512], pidf[600], proc[64];
    socket_dir(dir, sizeof(dir));
    struct stat st;
    cr_assert_eq(stat(dir, &st), 0);
    cr_expect_eq(st.st_mode & 077, 0, "%s is open to others: %o", dir, st.st_mode & 0777);

    snprintf(pidf, sizeof(pidf), "%s/mysqld.pid", dir);
    FILE *f = fopen(pidf, "r");
    cr_assert(f != NULL, "no %s", pidf);
    long pid = 0;
    cr_assert_eq(fscanf(f, "%ld", &pid), 1);
    fclose(f);
    snprintf(proc, sizeof(proc), "/proc/%ld", pid);
    cr_assert_eq(stat(proc, &st), 0);
    cr_expect_neq(st.st_uid, 0, "mariadbd runs as root");
}

Test(hardening, make_runs_secrets_are_readable_by_their_owner_only)
{
    char dir[300], cmd[700], path[400];
    snprintf(dir, sizeof(dir), "%s/var/tmp/secrets-XXXXXX", ALLIANCE_SOURCE_DIR);
    cr_assert(mkdtemp(dir) != NULL);
    /* One written by an older checkout, readable by all. */
    snprintf(path, sizeof(path), "%s/demo-admin-key", dir);
    FILE *f = fopen(path, "w");
    cr_assert(f != NULL);
    fputs("ak_old\n", f);
    fclose(f);
    chmod(path, 0644);
    snprintf(cmd, sizeof(cmd), "%s/scripts/secrets.sh %s", ALLIANCE_SOURCE_DIR, dir);
    cr_assert_eq(system(cmd), 0);
    const char *files[] = {"operator-token", "master-key", "settlement-key", "demo-admin-key"};
    for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
        struct stat st;
        snprintf(path, sizeof(path), "%s/%s", dir, files[i]);
        cr_assert_eq(stat(path, &st), 0, "no %s", files[i]);
        cr_expect_eq(st.st_mode & 0777, 0600, "%s: %o", files[i], st.st_mode & 0777);
        cr_expect_gt(st.st_size, 0);
    }
    /* The operator token it makes is long enough for the server to start with. */
    snprintf(path, sizeof(path), "%s/operator-token", dir);
    struct stat st;
    cr_assert_eq(stat(path, &st), 0);
    cr_expect_geq(st.st_size, 33);
}

/* ---- Sums that overflow: bounded inputs, checked sums, refused (never clamped) figures ---- */

static test_server srv;
static char tenant[64], admin[128];
static partner_key bank;

static void start(void)
{
    server_start(&srv, NULL, NULL);
    unique_id(tenant, sizeof(tenant), "ov");
    make_tenant(&srv, tenant, admin, sizeof(admin));
    make_partner(&srv, admin, "bank", "bank",
                 "{\"currency\":\"CNY\",\"spend_minor_per_point\":100}", &bank);
}

static void stop(void)
{
    server_finish(&srv);
}

TestSuite(overflow, .init = start, .fini = stop, .timeout = 60);

#define SQL(...)                                                                                   \
    do {                                                                                           \
        char q_[800], out_[64];                                                                    \
        snprintf(q_, sizeof(q_), __VA_ARGS__);                                                     \
        cr_assert_eq(db_scalar(q_, out_, sizeof(out_)), 0, "%s", q_);                              \
    } while (0)

static json_int_t num(const response *r, const char *key)
{
    return json_integer_value(json_object_get(r->json, key));
}

static json_int_t available(const char *member)
{
    char path[128];
    snprintf(path, sizeof(path), "/v1/members/%s/balance", member);
    response r = partner_call(&srv, &bank, "GET", path, NULL, 0, NULL);
    json_int_t v = r.status == 200 ? num(&r, "available") : -1;
    response_free(&r);
    return v;
}

Test(overflow, imported_lines_past_the_maximum_are_refused_whole)
{
    /* Two lines of 2^62 made a balance of -2^63 while the trial balance said 0. */
    const char *body =
        "{\"id\":\"big-1\",\"partner\":\"bank\",\"member\":\"ivy\",\"occurred_at\":"
        "\"2026-01-05T00:00:00Z\",\"amount_minor\":1,\"points\":4611686018427387904}\n"
        "{\"id\":\"big-2\",\"partner\":\"bank\",\"member\":\"ivy\",\"occurred_at\":"
        "\"2026-01-05T00:00:00Z\",\"amount_minor\":1,\"points\":4611686018427387904}\n";
    response r = http(&srv, "POST", "/v1/import/transactions", admin, body);
    expect_error(&r, 400, "invalid_field");
    cr_expect(strstr(r.body, "1000000000000") != NULL, "the maximum is named: %s", r.body);
    response_free(&r);
    cr_expect_eq(available("ivy"), -1, "nothing was booked, not even the member");
    /* The maximum itself is taken. */
    r = http(&srv, "POST", "/v1/import/transactions", admin,
             "{\"id\":\"max-1\",\"partner\":\"bank\",\"member\":\"ivy\",\"occurred_at\":"
             "\"2026-01-05T00:00:00Z\",\"amount_minor\":1000000000000,\"points\":1000000000000}\n");
    cr_expect_eq(r.status, 200, "%s", r.body);
    response_free(&r);
    cr_expect_eq(available("ivy"), 1000000000000LL);
}

Test(overflow, a_partners_amount_or_points_past_the_maximum_are_refused)
{
    /* amount_minor near 2^62, 1,200 times, made every sum wrong. */
    response r = partner_call(&srv, &bank, "POST", "/v1/transactions",
                              "{\"id\":\"huge-1\",\"member\":\"joe\",\"data\":{\"type\":"
                              "\"purchase\",\"amount_minor\":4611686018427387904,"
                              "\"currency\":\"CNY\",\"mcc\":\"1000\"}}",
                              0, NULL);
    expect_error(&r, 422, "amount_out_of_range");
    response_free(&r);
    r = partner_call(&srv, &bank, "POST", "/v1/transactions",
                     "{\"id\":\"huge-2\",\"member\":\"joe\",\"data\":{\"type\":\"purchase\","
                     "\"amount_minor\":1000000000000,\"currency\":\"CNY\",\"mcc\":\"1000\"}}",
                     0, NULL);
    cr_expect_eq(r.status, 201, "the maximum is taken: %s", r.body);
    response_free(&r);
    r = partner_call(&srv, &bank, "POST", "/v1/redemptions",
                     "{\"id\":\"huge-r\",\"member\":\"joe\",\"points\":1000000000001}", 0, NULL);
    expect_error(&r, 400, "invalid_field");
    response_free(&r);
    r = partner_call(&srv, &bank, "POST", "/v1/transactions/huge-2/reversal",
                     "{\"id\":\"huge-v\",\"amount_minor\":1000000000001}", 0, NULL);
    expect_error(&r, 400, "invalid_field");
    response_free(&r);
    cr_expect_eq(available("joe"), 10000000000LL);
}

/* A tenant of its own whose rows are made past what 64 bits hold, with SQL. */
static void own_tenant(char *t, size_t tsize, char *key, size_t ksize, partner_key *k)
{
    unique_id(t, tsize, "ox");
    make_tenant(&srv, t, key, ksize);
    make_partner(&srv, key, "bank", "bank", "{\"currency\":\"CNY\",\"spend_minor_per_point\":100}",
                 k);
}

Test(overflow, a_trial_balance_past_2_63_is_refused_not_clamped)
{
    char t[64], key[128];
    partner_key k;
    own_tenant(t, sizeof(t), key, sizeof(key), &k);
    /* One account over two shards: 2^62 + 2^62 does not fit; strtoll made it 2^63-1. */
    SQL("INSERT INTO account_balances (tenant_id, account, shard, balance) VALUES "
        "('%s', 'member:big', 0, 4611686018427387904), ('%s', 'member:big', 1, "
        "4611686018427387904)",
        t, t);
    response r = http(&srv, "GET", "/v1/ledger/trial-balance", key, NULL);
    expect_error(&r, 422, "figure_out_of_range");
    response_free(&r);
    SQL("DELETE FROM account_balances WHERE tenant_id = '%s'", t);
}

Test(overflow, a_statement_whose_sums_pass_2_63_is_refused_not_balanced)
{
    char t[64], key[128];
    partner_key k;
    own_tenant(t, sizeof(t), key, sizeof(key), &k);
    /* Two earnings of 2^62 points in January: "balanced": true with wrong fees before. */
    for (int i = 0; i < 2; i++)
        SQL("INSERT INTO bookings (tenant_id, kind, from_account, to_account, points, member_id, "
            "partner_id, ref_id, booked_at) VALUES ('%s', 'earn', 'partner:bank:issued', "
            "'member:m', 4611686018427387904, 'm', 'bank', 'big-%d', '2026-01-10 00:00:00')",
            t, i);
    response r =
        http(&srv, "POST", "/v1/settlements", key,
             "{\"period_start\":\"2026-01-01T00:00:00Z\",\"period_end\":\"2026-02-01T00:00:00Z\"}");
    expect_error(&r, 422, "figure_out_of_range");
    response_free(&r);
    SQL("DELETE FROM bookings WHERE tenant_id = '%s'", t);
}

Test(overflow, analytics_whose_spend_passes_2_63_are_refused)
{
    char t[64], key[128];
    partner_key k;
    own_tenant(t, sizeof(t), key, sizeof(key), &k);
    for (int i = 0; i < 2; i++)
        SQL("INSERT INTO transactions (tenant_id, partner_id, transaction_id, member_id, "
            "booking_id, points, base_amount_minor, currency, occurred_at) VALUES ('%s', 'bank', "
            "'big-%d', 'm', 0, 1, 4611686018427387904, 'CNY', '2026-01-10 00:00:00')",
            t, i);
    SQL("INSERT INTO members (tenant_id, member_id, profile) VALUES ('%s', 'm', '{}')", t);
    const char *paths[] = {"/v1/analytics/pareto", "/v1/analytics/rfm"};
    for (size_t i = 0; i < 2; i++) {
        response r = http(&srv, "GET", paths[i], key, NULL);
        expect_error(&r, 422, "figure_out_of_range");
        response_free(&r);
    }
    SQL("DELETE FROM transactions WHERE tenant_id = '%s'", t);
    SQL("DELETE FROM members WHERE tenant_id = '%s'", t);
}

Test(overflow, a_balance_the_database_cannot_hold_refuses_the_import_and_keeps_nothing)
{
    char t[64], key[128];
    partner_key k;
    own_tenant(t, sizeof(t), key, sizeof(key), &k);
    response r = http(&srv, "POST", "/v1/import/transactions", key,
                      "{\"id\":\"h-0\",\"partner\":\"bank\",\"member\":\"kay\",\"occurred_at\":"
                      "\"2026-01-05T00:00:00Z\",\"amount_minor\":1,\"points\":5}\n");
    cr_assert_eq(r.status, 200, "%s", r.body);
    response_free(&r);
    SQL("UPDATE members SET available = 9223372036854775000 WHERE tenant_id = '%s'", t);
    r = http(&srv, "POST", "/v1/import/transactions", key,
             "{\"id\":\"h-1\",\"partner\":\"bank\",\"member\":\"kay\",\"occurred_at\":"
             "\"2026-01-05T00:00:00Z\",\"amount_minor\":1,\"points\":1000000000000}\n");
    expect_error(&r, 422, "figure_out_of_range");
    response_free(&r);
    char out[64], q[300];
    snprintf(q, sizeof(q), "SELECT COUNT(*) FROM bookings WHERE tenant_id = '%s'", t);
    cr_assert_eq(db_scalar(q, out, sizeof(out)), 0);
    cr_expect_str_eq(out, "1", "the refused line booked nothing");
    SQL("UPDATE members SET available = 5 WHERE tenant_id = '%s'", t);
}

/* ---- Controls an operator needs: credentials, partners, members ---- */

TestSuite(controls, .init = start, .fini = stop, .timeout = 60);

static response earn(const partner_key *k, const char *id, const char *member, long amount)
{
    char body[300];
    snprintf(
        body, sizeof(body),
        "{\"id\":\"%s\",\"member\":\"%s\",\"data\":{\"type\":\"purchase\",\"amount_minor\":%ld,"
        "\"currency\":\"CNY\",\"mcc\":\"1000\"}}",
        id, member, amount);
    return partner_call(&srv, k, "POST", "/v1/transactions", body, 0, NULL);
}

static void expect_status(response r, int status)
{
    cr_expect_eq(r.status, status, "%d %s", r.status, r.body);
    response_free(&r);
}

Test(controls, a_rotated_admin_key_replaces_the_old_one_at_once)
{
    char path[160], other[64], other_key[128];
    snprintf(path, sizeof(path), "/v1/tenants/%s/admin-key", tenant);
    response r = http(&srv, "POST", path, admin, NULL);
    cr_assert_eq(r.status, 201, "%s", r.body);
    char fresh[128];
    snprintf(fresh, sizeof(fresh), "%s", json_string_value(json_object_get(r.json, "admin_key")));
    response_free(&r);
    cr_expect_str_neq(fresh, admin);
    r = http(&srv, "GET", "/v1/partners", admin, NULL);
    expect_error(&r, 401, "unauthorized");
    response_free(&r);
    expect_status(http(&srv, "GET", "/v1/partners", fresh, NULL), 200);
    /* Another tenant's admin cannot; the operator can, for any tenant. */
    unique_id(other, sizeof(other), "ok");
    make_tenant(&srv, other, other_key, sizeof(other_key));
    r = http(&srv, "POST", path, other_key, NULL);
    expect_error(&r, 403, "wrong_tenant");
    response_free(&r);
    r = http(&srv, "POST", path, OPERATOR_TOKEN, NULL);
    cr_assert_eq(r.status, 201, "%s", r.body);
    response_free(&r);
    r = http(&srv, "GET", "/v1/partners", fresh, NULL);
    expect_error(&r, 401, "unauthorized");
    response_free(&r);
    r = http(&srv, "POST", "/v1/tenants/no-such-tenant/admin-key", OPERATOR_TOKEN, NULL);
    expect_error(&r, 404, "not_found");
    response_free(&r);
}

Test(controls, a_revoked_partner_key_stops_at_once)
{
    /* A rotation leaves the old key valid for its grace hours; revoking ends it now. */
    response r = http(&srv, "POST", "/v1/partners/bank/keys", admin, NULL);
    cr_assert_eq(r.status, 201, "%s", r.body);
    partner_key fresh = bank;
    snprintf(fresh.key_id, sizeof(fresh.key_id), "%s",
             json_string_value(json_object_get(r.json, "key_id")));
    snprintf(fresh.secret, sizeof(fresh.secret), "%s",
             json_string_value(json_object_get(r.json, "secret")));
    response_free(&r);
    expect_status(earn(&bank, "rk-1", "lee", 1000), 201); /* in its grace hours */

    char path[200];
    snprintf(path, sizeof(path), "/v1/partners/bank/keys/%s", bank.key_id);
    r = http(&srv, "DELETE", path, admin, NULL);
    cr_assert_eq(r.status, 200, "%s", r.body);
    cr_expect(json_is_true(json_object_get(r.json, "revoked")));
    response_free(&r);
    r = earn(&bank, "rk-2", "lee", 1000);
    expect_error(&r, 401, "unknown_key");
    response_free(&r);
    expect_status(earn(&fresh, "rk-3", "lee", 1000), 201);

    r = http(&srv, "GET", "/v1/partners/bank/keys", admin, NULL);
    cr_assert_eq(r.status, 200, "%s", r.body);
    size_t i, active = 0;
    json_t *k;
    json_array_foreach (json_object_get(r.json, "keys"), i, k) {
        cr_expect(json_object_get(k, "secret") == NULL, "a secret is never shown again");
        active += json_is_true(json_object_get(k, "active"));
    }
    cr_expect_eq(active, 1, "%s", r.body);
    response_free(&r);
    /* Again: still revoked; an unknown key or another partner's: 404. */
    expect_status(http(&srv, "DELETE", path, admin, NULL), 200);
    r = http(&srv, "DELETE", "/v1/partners/bank/keys/pk_nosuchkey", admin, NULL);
    expect_error(&r, 404, "key_not_found");
    response_free(&r);
    r = partner_call(&srv, &fresh, "DELETE", path, NULL, 0, NULL);
    expect_error(&r, 403, "forbidden");
    response_free(&r);
}

Test(controls, a_suspended_partner_is_refused_and_its_members_points_stay)
{
    partner_key shop;
    make_partner(&srv, admin, "shop", "bank",
                 "{\"currency\":\"CNY\",\"spend_minor_per_point\":100}", &shop);
    expect_status(earn(&bank, "sp-1", "mia", 50000), 201); /* 500 points */
    response r = http(&srv, "POST", "/v1/partners/bank/suspend", admin, NULL);
    cr_assert_eq(r.status, 200, "%s", r.body);
    cr_expect_str_eq(json_string_value(json_object_get(r.json, "status")), "suspended");
    response_free(&r);

    r = earn(&bank, "sp-2", "mia", 1000);
    expect_error(&r, 403, "partner_suspended");
    response_free(&r);
    r = partner_call(&srv, &bank, "POST", "/v1/redemptions",
                     "{\"id\":\"sp-r\",\"member\":\"mia\",\"points\":10}", 0, NULL);
    expect_error(&r, 403, "partner_suspended");
    response_free(&r);
    r = partner_call(&srv, &bank, "GET", "/v1/members/mia/balance", NULL, 0, NULL);
    expect_error(&r, 403, "partner_suspended");
    response_free(&r);
    /* The others go on; the member keeps the points and spends them elsewhere. */
    r = partner_call(&srv, &shop, "GET", "/v1/members/mia/balance", NULL, 0, NULL);
    cr_expect_eq(r.status, 200, "%s", r.body);
    cr_expect_eq(num(&r, "available"), 500);
    response_free(&r);
    expect_status(partner_call(&srv, &shop, "POST", "/v1/redemptions",
                               "{\"id\":\"sp-r2\",\"member\":\"mia\",\"points\":100}", 0, NULL),
                  201);

    r = http(&srv, "POST", "/v1/partners/bank/resume", admin, NULL);
    cr_assert_eq(r.status, 200, "%s", r.body);
    cr_expect_str_eq(json_string_value(json_object_get(r.json, "status")), "active");
    response_free(&r);
    expect_status(earn(&bank, "sp-3", "mia", 1000), 201);
    r = http(&srv, "POST", "/v1/partners/nobody/suspend", admin, NULL);
    expect_error(&r, 404, "not_found");
    response_free(&r);
}

Test(controls, a_blocked_member_neither_earns_nor_redeems_and_keeps_the_points)
{
    expect_status(earn(&bank, "bl-1", "ned", 30000), 201); /* 300 */
    response r = http(&srv, "POST", "/v1/members/ned/block", admin, NULL);
    cr_assert_eq(r.status, 200, "%s", r.body);
    cr_expect_str_eq(json_string_value(json_object_get(r.json, "status")), "blocked");
    response_free(&r);
    r = earn(&bank, "bl-2", "ned", 1000);
    expect_error(&r, 422, "member_blocked");
    response_free(&r);
    r = partner_call(&srv, &bank, "POST", "/v1/redemptions",
                     "{\"id\":\"bl-r\",\"member\":\"ned\",\"points\":10}", 0, NULL);
    expect_error(&r, 422, "member_blocked");
    response_free(&r);
    cr_expect_eq(available("ned"), 300);
    r = http(&srv, "GET", "/v1/members/ned", admin, NULL);
    cr_expect_str_eq(json_string_value(json_object_get(r.json, "status")), "blocked", "%s", r.body);
    response_free(&r);

    expect_status(http(&srv, "POST", "/v1/members/ned/unblock", admin, NULL), 200);
    expect_status(partner_call(&srv, &bank, "POST", "/v1/redemptions",
                               "{\"id\":\"bl-r2\",\"member\":\"ned\",\"points\":10}", 0, NULL),
                  201);
    cr_expect_eq(available("ned"), 290);
    r = http(&srv, "POST", "/v1/members/nobody/block", admin, NULL);
    expect_error(&r, 404, "member_not_found");
    response_free(&r);
    r = partner_call(&srv, &bank, "POST", "/v1/members/ned/block", NULL, 0, NULL);
    expect_error(&r, 403, "forbidden");
    response_free(&r);
}

/* ---- Rate limits per key ---- */

TestSuite(rate, .init = start, .fini = stop, .timeout = 60);

typedef struct {
    const partner_key *key;
    const char *token; /* an admin's, when key is NULL */
    const char *path;  /* what the token reads (default /v1/partners) */
    int n, ok, limited, other;
    bool retry_after; /* every 429 said when to come back */
    int last_other;   /* the status of the last answer neither 200/404 nor 429 */
} burst;

static void *send_burst(void *arg)
{
    burst *b = arg;
    b->retry_after = true;
    for (int i = 0; i < b->n; i++) {
        response r =
            b->key ? partner_call(&srv, b->key, "GET", "/v1/members/nobody/balance", NULL, 0, NULL)
                   : http(&srv, "GET", b->path ? b->path : "/v1/partners", b->token, NULL);
        if (r.status == 429) {
            char after[16];
            b->limited++;
            b->retry_after =
                b->retry_after && response_header(&r, "Retry-After", after, sizeof(after)) &&
                atoi(after) >= 1 && r.json != NULL &&
                strcmp(json_string_value(json_object_get(json_object_get(r.json, "error"), "code")),
                       "rate_limited") == 0;
        } else if (r.status == 404 || r.status == 200) {
            b->ok++;
        } else {
            b->other++;
            b->last_other = r.status;
        }
        response_free(&r);
    }
    return NULL;
}

Test(rate, a_partner_key_over_its_rate_is_refused_and_the_others_go_on)
{
    char path[128];
    snprintf(path, sizeof(path), "/v1/tenants/%s", tenant);
    response r = http(&srv, "PATCH", path, OPERATOR_TOKEN,
                      "{\"settings\":{\"partner_rate\":{\"per_second\":5,\"burst\":5}}}");
    cr_assert_eq(r.status, 200, "%s", r.body);
    json_t *rate = json_object_get(json_object_get(r.json, "settings"), "partner_rate");
    cr_expect_eq(json_integer_value(json_object_get(rate, "per_second")), 5, "%s", r.body);
    response_free(&r);
    partner_key shop, other_bank;
    make_partner(&srv, admin, "shop", "bank",
                 "{\"currency\":\"CNY\",\"spend_minor_per_point\":100}", &shop);
    char t2[64], key2[128];
    unique_id(t2, sizeof(t2), "rt");
    make_tenant(&srv, t2, key2, sizeof(key2));
    make_partner(&srv, key2, "bank", "bank", "{\"currency\":\"CNY\",\"spend_minor_per_point\":100}",
                 &other_bank);

    /* Under load: the limited key hammers while another tenant's key works as hard. */
    burst limited = {.key = &bank, .n = 150}, free_key = {.key = &other_bank, .n = 150};
    pthread_t a, b;
    pthread_create(&a, NULL, send_burst, &limited);
    pthread_create(&b, NULL, send_burst, &free_key);
    pthread_join(a, NULL);
    pthread_join(b, NULL);
    cr_expect_gt(limited.limited, 100, "limited: %d ok, %d refused", limited.ok, limited.limited);
    cr_expect_lt(limited.ok, 50, "limited: %d ok, %d refused", limited.ok, limited.limited);
    cr_expect(limited.retry_after, "a 429 without Retry-After or the envelope");
    cr_expect_eq(limited.other, 0);
    cr_expect_eq(free_key.ok, 150, "the other tenant's key was refused %d times", free_key.limited);
    /* The same tenant's other key has a bucket of its own. */
    burst own = {.key = &shop, .n = 5};
    send_burst(&own);
    cr_expect_eq(own.ok, 5, "the shop's key was refused %d times", own.limited);
    /* Limits off again: the bank goes on. */
    r = http(&srv, "PATCH", path, OPERATOR_TOKEN,
             "{\"settings\":{\"partner_rate\":{\"per_second\":0}}}");
    cr_assert_eq(r.status, 200, "%s", r.body);
    response_free(&r);
    burst after = {.key = &bank, .n = 20};
    send_burst(&after);
    cr_expect_eq(after.ok, 20);
}

Test(rate, an_admin_key_over_its_rate_is_refused)
{
    char path[128];
    snprintf(path, sizeof(path), "/v1/tenants/%s", tenant);
    response r = http(&srv, "PATCH", path, OPERATOR_TOKEN,
                      "{\"settings\":{\"admin_rate\":{\"per_second\":2,\"burst\":3}}}");
    cr_assert_eq(r.status, 200, "%s", r.body);
    response_free(&r);
    burst b = {.token = admin, .n = 20};
    send_burst(&b);
    cr_expect_geq(b.limited, 12, "%d ok, %d refused", b.ok, b.limited);
    cr_expect_geq(b.ok, 3);
    cr_expect(b.retry_after);
    /* The operator is not an admin key: not limited. */
    burst op = {.token = OPERATOR_TOKEN, .path = path, .n = 10};
    send_burst(&op);
    cr_expect_eq(op.ok, 10, "operator: %d ok, %d limited, %d other (%d)", op.ok, op.limited,
                 op.other, op.last_other);
    r = http(&srv, "PATCH", path, OPERATOR_TOKEN, "{\"settings\":{\"admin_rate\":{\"burst\":-1}}}");
    expect_error(&r, 400, "invalid_field");
    response_free(&r);
    r = http(&srv, "PATCH", path, OPERATOR_TOKEN, "{\"settings\":{\"admin_rate\":5}}");
    expect_error(&r, 400, "invalid_field");
    response_free(&r);
}

/* ---- The audit log: every change, hash-chained ---- */

TestSuite(audit, .init = start, .fini = stop, .timeout = 60);

static json_t *audit_entries(const char *token, const char *query)
{
    char path[256];
    snprintf(path, sizeof(path), "/v1/audit%s", query);
    response r = http(&srv, "GET", path, token, NULL);
    cr_assert_eq(r.status, 200, "%s", r.body);
    json_t *j = json_incref(r.json);
    response_free(&r);
    return j;
}

static void expect_ok(response r)
{
    cr_expect(r.status >= 200 && r.status < 300, "%d %s", r.status, r.body);
    response_free(&r);
}

Test(audit, every_change_is_recorded_chained_and_a_edited_row_is_found)
{
    char path[160];
    snprintf(path, sizeof(path), "/v1/tenants/%s", tenant);
    expect_ok(http(&srv, "PATCH", path, admin, "{\"settings\":{\"expiry_months\":12}}"));
    expect_ok(http(&srv, "PATCH", path, OPERATOR_TOKEN, "{\"name\":\"Renamed\"}"));
    expect_ok(http(&srv, "PATCH", "/v1/partners/bank", admin,
                   "{\"config\":{\"currency\":\"CNY\",\"spend_minor_per_point\":50}}"));
    expect_ok(http(&srv, "POST", "/v1/partners/bank/keys", admin, NULL));
    expect_ok(http(&srv, "POST", "/v1/partners/bank/suspend", admin, NULL));
    expect_ok(http(&srv, "POST", "/v1/partners/bank/resume", admin, NULL));
    expect_ok(http(&srv, "PUT", "/v1/rules", admin, "{\"events\":{\"survey\":{\"points\":5}}}"));
    expect_ok(http(&srv, "POST", "/v1/members", admin, "{\"id\":\"ava\"}"));
    expect_ok(http(&srv, "POST", "/v1/members/ava/block", admin, NULL));

    response r = http(&srv, "PUT", "/v1/members/ava/tier", admin,
                      "{\"tier\":\"gold\",\"until\":\"2099-01-01T00:00:00Z\"}");
    cr_expect_eq(r.status, 200, "%s", r.body);
    response_free(&r);
    r = http(&srv, "POST", "/v1/settlements", admin,
             "{\"period_start\":\"2026-01-01T00:00:00Z\",\"period_end\":\"2026-02-01T00:00:00Z\"}");
    cr_assert_eq(r.status, 201, "%s", r.body);
    char close[96];
    snprintf(close, sizeof(close), "/v1/settlements/%lld/close",
             (long long)json_integer_value(json_object_get(r.json, "id")));
    response_free(&r);
    expect_ok(http(&srv, "POST", close, admin, NULL));

    static const char *const actions[] = {"tenant.create",   "partner.create", "tenant.update",
                                          "tenant.update",   "partner.update", "partner.key.rotate",
                                          "partner.suspend", "partner.resume", "rules.publish",
                                          "member.create",   "member.block",   "member.tier_floor",
                                          "settlement.close"};
    size_t want = sizeof(actions) / sizeof(actions[0]);
    json_t *page = audit_entries(admin, "");
    json_t *entries = json_object_get(page, "entries");
    cr_assert_eq(json_array_size(entries), want, "%s", json_dumps(page, 0));
    for (size_t i = 0; i < want; i++) {
        json_t *e = json_array_get(entries, i);
        cr_expect_str_eq(json_string_value(json_object_get(e, "action")), actions[i]);
        cr_expect_eq(json_integer_value(json_object_get(e, "seq")), (json_int_t)i + 1);
        cr_expect_gt(strlen(json_string_value(json_object_get(e, "request_id"))), 0);
        cr_expect_eq(strlen(json_string_value(json_object_get(e, "hash"))), 64);
    }
    cr_expect_str_eq(json_string_value(json_object_get(json_array_get(entries, 3), "actor")),
                     "operator");
    cr_expect_eq(strncmp(json_string_value(json_object_get(json_array_get(entries, 2), "actor")),
                         "admin:", 6),
                 0);
    /* Before and after: the partner's config as it was and as it is. */
    json_t *update = json_array_get(entries, 4);
    cr_expect_eq(
        json_integer_value(json_object_get(
            json_object_get(json_object_get(update, "before"), "config"), "spend_minor_per_point")),
        100);
    cr_expect_eq(
        json_integer_value(json_object_get(
            json_object_get(json_object_get(update, "after"), "config"), "spend_minor_per_point")),
        50);
    json_decref(page);

    /* Paged; the operator names the tenant. */
    char query[160];
    page = audit_entries(admin, "?limit=5");
    cr_expect_eq(json_array_size(json_object_get(page, "entries")), 5);
    snprintf(query, sizeof(query), "?tenant=%s&limit=5&cursor=%s", tenant,
             json_string_value(json_object_get(page, "next_cursor")));
    json_decref(page);
    page = audit_entries(OPERATOR_TOKEN, query);
    cr_expect_eq(json_integer_value(
                     json_object_get(json_array_get(json_object_get(page, "entries"), 0), "seq")),
                 6);
    json_decref(page);
    r = http(&srv, "GET", "/v1/audit", OPERATOR_TOKEN, NULL);
    expect_error(&r, 400, "invalid_field");
    response_free(&r);

    /* The chain holds; an edited row breaks it there. */
    r = http(&srv, "GET", "/v1/audit/verify", admin, NULL);
    cr_assert_eq(r.status, 200, "%s", r.body);
    cr_expect(json_is_true(json_object_get(r.json, "intact")), "%s", r.body);
    cr_expect_eq(json_integer_value(json_object_get(r.json, "rows")), (json_int_t)want);
    response_free(&r);
    SQL("UPDATE audit_log SET after_json = '{\\\"status\\\":\\\"active\\\"}' WHERE tenant_id = "
        "'%s' "
        "AND seq = 7",
        tenant);
    r = http(&srv, "GET", "/v1/audit/verify", admin, NULL);
    cr_expect(json_is_false(json_object_get(r.json, "intact")), "%s", r.body);
    cr_expect_eq(json_integer_value(json_object_get(r.json, "first_broken")), 7, "%s", r.body);
    response_free(&r);
    /* A removed row breaks it too. */
    SQL("DELETE FROM audit_log WHERE tenant_id = '%s' AND seq IN (7, 9)", tenant);
    r = http(&srv, "GET", "/v1/audit/verify", admin, NULL);
    cr_expect_eq(json_integer_value(json_object_get(r.json, "first_broken")), 8, "%s", r.body);
    response_free(&r);
}

/* Found by the surface fuzz: an earning whose id an import already took was a 500. */
Test(controls, an_earning_with_an_imported_transactions_id_is_a_conflict)
{
    response r = http(&srv, "POST", "/v1/import/transactions", admin,
                      "{\"id\":\"dup-1\",\"partner\":\"bank\",\"member\":\"ola\",\"occurred_at\":"
                      "\"2025-06-01T00:00:00Z\",\"amount_minor\":1000,\"points\":10}\n");
    cr_assert_eq(r.status, 200, "%s", r.body);
    response_free(&r);
    r = earn(&bank, "dup-1", "ola", 5000);
    expect_error(&r, 409, "duplicate_id");
    response_free(&r);
    cr_expect_eq(available("ola"), 10, "the refused earning booked nothing");
    r = http(&srv, "GET", "/v1/ledger/trial-balance", admin, NULL);
    cr_expect_eq(num(&r, "total"), 0, "%s", r.body);
    response_free(&r);
}
