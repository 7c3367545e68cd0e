/*
 * Failure drills on the Galera cluster of scripts/cluster.sh (make
 * test-cluster starts it): two allianced nodes, each writing through its own
 * database node, behind HAProxy. Requests for one member arrive at both
 * nodes; a database node is killed under load and rejoins; a server node is
 * stopped under load. What must hold: exactly the possible number of racing
 * redemptions succeed, no acknowledged booking is lost or doubled, the books
 * balance, and every database node reads the same balances.
 *
 * A client here does what a partner's client should: it sends the same id
 * again after a 502, 503 or 504 or a dropped connection, until it has an
 * answer.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "../integration/harness.h"

static test_server lb, n1, n2; /* HAProxy, allianced node 1, node 2 */

static int env_int(const char *name, int fallback)
{
    const char *v = getenv(name);
    return v != NULL && *v ? atoi(v) : fallback;
}

static void cluster_init(void)
{
    lb.port = env_int("ALLIANCE_CLUSTER_LB_PORT", 18190);
    n1.port = env_int("ALLIANCE_CLUSTER_NODE1_PORT", 18181);
    n2.port = env_int("ALLIANCE_CLUSTER_NODE2_PORT", 18182);
}

TestSuite(cluster, .init = cluster_init);

/* scripts/cluster.sh with args (a drill); its exit status. */
static int drill(const char *args)
{
    char cmd[512];
    snprintf(cmd, sizeof(cmd), "cd %s && scripts/cluster.sh %s >/dev/null", ALLIANCE_SOURCE_DIR,
             args);
    return system(cmd);
}

/*
 * One value from database node n (1..3): the first column of the first row,
 * read causally (after the node has applied what the cluster committed).
 */
static int node_sql(int n, const char *sql, char *out, size_t size)
{
    char socket[512], causal[2048];
    snprintf(socket, sizeof(socket), "%s/var/cluster/db%d/mysqld.sock", ALLIANCE_SOURCE_DIR, n);
    snprintf(causal, sizeof(causal), "SET SESSION wsrep_sync_wait = 1; %s", sql);
    return socket_scalar(socket, "alliance", causal, out, size) == 0 && out[0] != '\0' ? 0 : -1;
}

static bool transient(int status)
{
    return status == 0 || status == 502 || status == 503 || status == 504;
}

/* A partner's call, sent again (same id) until it is answered; *retries counts the resends. */
static response call_until_answered(const test_server *s, const partner_key *k, const char *method,
                                    const char *path, const char *body, int *retries,
                                    int64_t *first_err_ms, int64_t *last_err_ms)
{
    for (int attempt = 0;; attempt++) {
        response r = partner_call(s, k, method, path, body, 0, NULL);
        if (!transient(r.status) || attempt == 400)
            return r;
        int64_t now = now_ms();
        if (first_err_ms != NULL && *first_err_ms == 0)
            *first_err_ms = now;
        if (last_err_ms != NULL)
            *last_err_ms = now;
        if (retries != NULL)
            (*retries)++;
        response_free(&r);
        usleep(50 * 1000);
    }
}

/* A tenant (through HAProxy) with a bank partner earning a point per 1.00 CNY. */
static void tenant_with_bank(const char *prefix, char tenant[64], char admin[128], partner_key *k)
{
    unique_id(tenant, 64, prefix);
    make_tenant(&lb, tenant, admin, 128);
    make_partner(&lb, admin, "bank", "bank", "{\"currency\":\"CNY\",\"spend_minor_per_point\":100}",
                 k);
}

/* Waits until every database node reads the same member balances and account balances. */
static bool nodes_agree(const char *tenant, char *seen, size_t size)
{
    char sql[512];
    snprintf(sql, sizeof(sql),
             "SELECT CONCAT((SELECT COUNT(*) FROM members WHERE tenant_id = '%s'), '/', "
             "(SELECT IFNULL(SUM(available), 0) FROM members WHERE tenant_id = '%s'), '/', "
             "(SELECT IFNULL(BIT_XOR(CRC32(CONCAT(member_id, ':', available, ':', held))), 0) "
             "FROM members WHERE tenant_id = '%s'), '/', "
             "(SELECT IFNULL(BIT_XOR(CRC32(CONCAT(account, ':', balance))), 0) "
             "FROM account_balances WHERE tenant_id = '%s'))",
             tenant, tenant, tenant, tenant);
    for (int i = 0; i < 100; i++) {
        char a[128] = "", b[128] = "", c[128] = "";
        if (node_sql(1, sql, a, sizeof(a)) == 0 && node_sql(2, sql, b, sizeof(b)) == 0 &&
            node_sql(3, sql, c, sizeof(c)) == 0 && strcmp(a, b) == 0 && strcmp(b, c) == 0) {
            snprintf(seen, size, "%s", a);
            return true;
        }
        snprintf(seen, size, "db1 %s, db2 %s, db3 %s", a, b, c);
        usleep(100 * 1000);
    }
    return false;
}

static void expect_balanced(const char *tenant, const char *admin)
{
    response r = http(&lb, "GET", "/v1/ledger/trial-balance", admin, NULL);
    cr_expect_eq(r.status, 200, "%s", r.body);
    cr_expect_eq(json_integer_value(json_object_get(r.json, "total")), 0, "%s", r.body);
    response_free(&r);
    char seen[512];
    cr_expect(nodes_agree(tenant, seen, sizeof(seen)), "the nodes differ: %s", seen);
}

#define RACERS 8
#define PER_RACER 25 /* 200 redemptions of 3 points over 301 */

typedef struct {
    const test_server *srv;
    const partner_key *key;
    int first;
    int ok, refused, other, retries;
} racer;

static void *race(void *arg)
{
    racer *r = arg;
    for (int i = 0; i < PER_RACER; i++) {
        char body[128];
        snprintf(body, sizeof(body), "{\"id\":\"race-%d\",\"member\":\"pat\",\"points\":3}",
                 r->first + i);
        response res = call_until_answered(r->srv, r->key, "POST", "/v1/redemptions", body,
                                           &r->retries, NULL, NULL);
        const char *code =
            json_string_value(json_object_get(json_object_get(res.json, "error"), "code"));
        if (res.status == 201 || res.status == 200) /* 200: a resend found it done */
            r->ok++;
        else if (res.status == 422 && code && strcmp(code, "insufficient_points") == 0)
            r->refused++;
        else {
            r->other++;
            fprintf(stderr, "unexpected: %d %s\n", res.status, res.body ? res.body : "");
        }
        response_free(&res);
    }
    return NULL;
}

/* Redemptions of one balance raced over both server nodes, each on its own database node. */
Test(cluster, racing_redemptions_over_two_nodes, .timeout = 180)
{
    char tenant[64], admin[128];
    partner_key k;
    tenant_with_bank("race", tenant, admin, &k);
    response r = call_until_answered(&n1, &k, "POST", "/v1/transactions",
                                     "{\"id\":\"seed\",\"member\":\"pat\",\"data\":{\"type\":"
                                     "\"purchase\",\"amount_minor\":30100,\"currency\":\"CNY\","
                                     "\"mcc\":\"1000\"}}",
                                     NULL, NULL, NULL);
    cr_assert_eq(r.status, 201, "%s", r.body);
    response_free(&r);
    pthread_t t[RACERS];
    racer rs[RACERS];
    for (int i = 0; i < RACERS; i++) {
        rs[i] = (racer){.srv = i % 2 ? &n2 : &n1, .key = &k, .first = i * PER_RACER};
        pthread_create(&t[i], NULL, race, &rs[i]);
    }
    int ok = 0, refused = 0, other = 0, retries = 0;
    for (int i = 0; i < RACERS; i++) {
        pthread_join(t[i], NULL);
        ok += rs[i].ok;
        refused += rs[i].refused;
        other += rs[i].other;
        retries += rs[i].retries;
    }
    cr_expect_eq(ok, 100, "%d redemptions succeeded", ok);
    cr_expect_eq(refused, 100);
    cr_expect_eq(other, 0);
    for (int n = 0; n < 2; n++) {
        r = partner_call(n ? &n2 : &n1, &k, "GET", "/v1/members/pat/balance", NULL, 0, NULL);
        cr_expect_eq(json_integer_value(json_object_get(r.json, "available")), 1, "node %d: %s",
                     n + 1, r.body);
        response_free(&r);
    }
    expect_balanced(tenant, admin);
    printf("race over two nodes: %d redemptions succeeded, %d refused, %d sent again after 503\n",
           ok, refused, retries);
}

#define LOADERS 6
#define PER_LOADER 4000 /* at most; the drill's clock ends it */

typedef struct {
    const test_server *srv;
    const partner_key *key;
    const char *prefix;
    atomic_bool *stop;
    int index, sent, acked, other, retries;
    int64_t first_err_ms, last_err_ms;
} loader;

static void earning_body(char *out, size_t size, const char *prefix, int loader_index, int i)
{
    snprintf(out, size,
             "{\"id\":\"%s-%d-%d\",\"member\":\"%sm%d\",\"data\":{\"type\":\"purchase\","
             "\"amount_minor\":1000,\"currency\":\"CNY\",\"mcc\":\"1000\"}}",
             prefix, loader_index, i, prefix, (loader_index * 7 + i) % 50);
}

static void *load(void *arg)
{
    loader *l = arg;
    for (int i = 0; i < PER_LOADER && !atomic_load(l->stop); i++) {
        char body[256];
        earning_body(body, sizeof(body), l->prefix, l->index, i);
        response r = call_until_answered(l->srv, l->key, "POST", "/v1/transactions", body,
                                         &l->retries, &l->first_err_ms, &l->last_err_ms);
        l->sent = i + 1;
        if (r.status == 201 || r.status == 200) { /* 200: a resend found it booked */
            l->acked++;
        } else {
            l->other++;
            fprintf(stderr, "%s-%d-%d: %d %s\n", l->prefix, l->index, i, r.status,
                    r.body ? r.body : "");
        }
        response_free(&r);
    }
    return NULL;
}

typedef struct {
    int sent, acked, other, retries;
    int sent_by[LOADERS];
    int64_t burst_ms; /* from the first resend to the last */
} load_totals;

/* Signed earnings through HAProxy for run_ms; at_ms into it, act(). */
static load_totals load_with(const partner_key *k, const char *prefix, int run_ms, int at_ms,
                             void (*act)(void))
{
    static loader ls[LOADERS];
    pthread_t t[LOADERS];
    atomic_bool stop = false;
    for (int i = 0; i < LOADERS; i++) {
        ls[i] = (loader){.srv = &lb, .key = k, .prefix = prefix, .stop = &stop, .index = i};
        pthread_create(&t[i], NULL, load, &ls[i]);
    }
    usleep((useconds_t)at_ms * 1000);
    act();
    usleep((useconds_t)(run_ms - at_ms) * 1000);
    atomic_store(&stop, true);
    load_totals s = {0};
    int64_t first = 0, last = 0;
    for (int i = 0; i < LOADERS; i++) {
        pthread_join(t[i], NULL);
        s.sent += ls[i].sent;
        s.sent_by[i] = ls[i].sent;
        s.acked += ls[i].acked;
        s.other += ls[i].other;
        s.retries += ls[i].retries;
        if (ls[i].first_err_ms && (first == 0 || ls[i].first_err_ms < first))
            first = ls[i].first_err_ms;
        if (ls[i].last_err_ms > last)
            last = ls[i].last_err_ms;
    }
    s.burst_ms = first ? last - first : 0;
    return s;
}

/*
 * Every id of the load, again: each was booked once (a replay now), the
 * ledger holds exactly one earning an id, and the books balance on every node.
 */
static void expect_each_booked_once(const char *tenant, const char *admin, const partner_key *k,
                                    const char *prefix, const load_totals *s)
{
    int replayed = 0, other = 0;
    for (int i = 0; i < LOADERS; i++)
        for (int j = 0; j < s->sent_by[i]; j++) {
            char body[256];
            earning_body(body, sizeof(body), prefix, i, j);
            response r =
                call_until_answered(&lb, k, "POST", "/v1/transactions", body, NULL, NULL, NULL);
            if (r.status == 200) {
                replayed++;
            } else {
                other++;
                fprintf(stderr, "%s-%d-%d again: %d %s\n", prefix, i, j, r.status,
                        r.body ? r.body : "");
            }
            response_free(&r);
        }
    cr_expect_eq(other, 0, "%d ids were not replays", other);
    cr_expect_eq(replayed, s->acked, "%d replays of %d acknowledged", replayed, s->acked);
    char sql[256], out[64];
    snprintf(sql, sizeof(sql),
             "SELECT CONCAT(COUNT(*), '/', COUNT(DISTINCT transaction_id)) FROM transactions "
             "WHERE tenant_id = '%s'",
             tenant);
    cr_assert_eq(node_sql(2, sql, out, sizeof(out)), 0);
    char want[64];
    snprintf(want, sizeof(want), "%d/%d", s->acked, s->acked);
    cr_expect_str_eq(out, want, "transactions (all/distinct) on the rejoined node");
    snprintf(sql, sizeof(sql),
             "SELECT COUNT(*) FROM bookings WHERE tenant_id = '%s' AND kind = 'earn'", tenant);
    cr_assert_eq(node_sql(3, sql, out, sizeof(out)), 0);
    cr_expect_eq(atoi(out), s->acked, "%s earnings booked for %d ids", out, s->acked);
    expect_balanced(tenant, admin);
}

static int64_t killed_at_ms;

static void kill_db_2(void)
{
    killed_at_ms = now_ms();
    cr_expect_eq(drill("kill-db 2"), 0);
}

/* The state of database node 2 in its cluster ("4": synced), or "" when it does not answer. */
static void db2_state(char out[32])
{
    if (node_sql(2,
                 "SELECT VARIABLE_VALUE FROM information_schema.GLOBAL_STATUS "
                 "WHERE VARIABLE_NAME = 'WSREP_LOCAL_STATE'",
                 out, 32) != 0)
        out[0] = '\0';
}

Test(cluster, kill_9_a_database_node_under_load, .timeout = 300)
{
    char tenant[64], admin[128];
    partner_key k;
    tenant_with_bank("kdb", tenant, admin, &k);
    load_totals s = load_with(&k, "kdb", 10000, 3000, kill_db_2);
    cr_expect_eq(s.other, 0, "%d earnings refused", s.other);
    cr_expect_eq(s.acked, s.sent, "%d of %d were never acknowledged", s.sent - s.acked, s.sent);
    cr_expect_lt(s.burst_ms, 10000, "clients saw 503s for %lld ms", (long long)s.burst_ms);

    /* The node rejoins and catches up (incremental state transfer). */
    int64_t t0 = now_ms();
    cr_assert_eq(drill("start-db 2"), 0);
    char state[32] = "";
    for (int i = 0; i < 600 && strcmp(state, "4") != 0; i++) {
        db2_state(state);
        if (strcmp(state, "4") != 0)
            usleep(100 * 1000);
    }
    int64_t rejoin_ms = now_ms() - t0;
    cr_assert_str_eq(state, "4", "database node 2 did not rejoin");
    response r = {0};
    for (int i = 0; i < 100; i++) {
        r = http(&n2, "GET", "/readyz", NULL, NULL);
        if (r.status == 200)
            break;
        response_free(&r);
        usleep(100 * 1000);
    }
    cr_expect_eq(r.status, 200, "server node 2 is not ready again");
    response_free(&r);
    int64_t ready_ms = now_ms() - t0;
    expect_each_booked_once(tenant, admin, &k, "kdb", &s);
    printf("kill -9 database node 2 under load: %d earnings sent, %d acknowledged, %d sent again "
           "after 502/503/504 within %lld ms; node 2 synced %lld ms after its start, server node "
           "2 ready after %lld ms; every id booked once, books balanced, three nodes agree\n",
           s.sent, s.acked, s.retries, (long long)s.burst_ms, (long long)rejoin_ms,
           (long long)ready_ms);
}

static void stop_node_1(void)
{
    cr_expect_eq(drill("stop-node 1"), 0);
}

Test(cluster, stop_a_server_node_under_load, .timeout = 300)
{
    char tenant[64], admin[128];
    partner_key k;
    tenant_with_bank("stn", tenant, admin, &k);
    load_totals s = load_with(&k, "stn", 8000, 2000, stop_node_1);
    response r = http(&n1, "GET", "/healthz", NULL, NULL);
    cr_expect_eq(r.status, 0, "server node 1 still answers");
    response_free(&r);
    cr_expect_eq(s.other, 0, "%d earnings refused", s.other);
    cr_expect_eq(s.acked, s.sent);
    cr_expect_gt(s.sent, 100, "only %d earnings went through", s.sent);
    cr_assert_eq(drill("start-node 1"), 0);
    expect_each_booked_once(tenant, admin, &k, "stn", &s);
    printf("stop server node 1 under load: %d earnings sent, %d acknowledged, %d sent again "
           "(within %lld ms); HAProxy sent the rest to node 2\n",
           s.sent, s.acked, s.retries, (long long)s.burst_ms);
}

/*
 * A partner's setup changed through one node is never booked against on the
 * other, even before that node's database has applied the change: the setup
 * check reads causally (wsrep_sync_wait).
 */
Test(cluster, a_change_on_one_node_is_never_booked_against_on_the_other, .timeout = 180)
{
    char tenant[64], admin[128];
    partner_key k;
    tenant_with_bank("chg", tenant, admin, &k);
    int old_points = 0, new_points = 0, busy = 0;
    for (int round = 0; round < 10; round++) {
        char body[256];
        snprintf(body, sizeof(body),
                 "{\"id\":\"warm-%d\",\"member\":\"m1\",\"data\":{\"type\":\"purchase\","
                 "\"amount_minor\":10000,\"currency\":\"CNY\",\"mcc\":\"1000\"}}",
                 round);
        response r =
            call_until_answered(&n2, &k, "POST", "/v1/transactions", body, NULL, NULL, NULL);
        cr_expect_eq(r.status, 201, "%d %s", r.status, r.body);
        response_free(&r);
        int spend = round % 2 ? 100 : 10;
        char patch[128];
        snprintf(patch, sizeof(patch),
                 "{\"config\":{\"currency\":\"CNY\",\"spend_minor_per_point\":%d}}", spend);
        r = http(&n1, "PATCH", "/v1/partners/bank", admin, patch);
        cr_assert_eq(r.status, 200, "%s", r.body);
        response_free(&r);
        snprintf(body, sizeof(body),
                 "{\"id\":\"after-%d\",\"member\":\"m1\",\"data\":{\"type\":\"purchase\","
                 "\"amount_minor\":10000,\"currency\":\"CNY\",\"mcc\":\"1000\"}}",
                 round);
        int retries = 0;
        r = call_until_answered(&n2, &k, "POST", "/v1/transactions", body, &retries, NULL, NULL);
        busy += retries;
        json_int_t points = json_integer_value(json_object_get(r.json, "points"));
        cr_expect_eq(r.status, 201, "%d %s", r.status, r.body);
        if (points == 10000 / spend)
            new_points++;
        else
            old_points++;
        response_free(&r);
    }
    cr_expect_eq(old_points, 0, "%d earnings booked with a config changed before them", old_points);
    expect_balanced(tenant, admin);
    printf("a change through node 1, an earning through node 2 at once: %d with the new setup, %d "
           "with the old, %d answered setup_changed first\n",
           new_points, old_points, busy);
}
