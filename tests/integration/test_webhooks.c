/*
 * Webhooks against receivers on 127.0.0.1 that answer, fail, stall and come
 * back: every event delivered at least once, signed as partners sign, a
 * member's events never reordered, none sent before its booking committed
 * (the receiver reads the transaction back the moment its event arrives),
 * dead letters after the last try, sent again on request. Serial: the
 * sender of a database is the one server holding its lease, and these
 * timings are this test server's own (backoff 1 s, timeout 1 s, 4 tries).
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "harness.h"

/* ---- A receiver: one thread, one request a connection. ---- */

typedef enum { ANSWER_OK, ANSWER_FAIL, ANSWER_STALL } mode_t_;

#define MAX_GOT 2000

typedef struct {
    char path[128], type[48], ts[24], sig[80], delivery[24];
    char *body;
    json_t *event;
    bool committed_first; /* an earning: its transaction could be read back on arrival */
} got_t;

typedef struct {
    int fd, port;
    pthread_t thread;
    atomic_bool stop;
    atomic_int mode;
    atomic_int active; /* connections being served */
    pthread_mutex_t lock;
    got_t got[MAX_GOT];
    int n;
    /* For the read-back: the server and the partner whose earnings these are. */
    const test_server *srv;
    const partner_key *partner;
} receiver;

static const char *header(const char *head, const char *name, char *out, size_t size)
{
    out[0] = '\0';
    char needle[64];
    snprintf(needle, sizeof(needle), "\r\n%s:", name);
    const char *p = strcasestr(head, needle);
    if (p == NULL)
        return out;
    p += strlen(needle);
    while (*p == ' ')
        p++;
    size_t k = 0;
    while (p[k] && p[k] != '\r' && k + 1 < size) {
        out[k] = p[k];
        k++;
    }
    out[k] = '\0';
    return out;
}

static void serve_one(receiver *rc, int c)
{
    char buf[65536];
    size_t len = 0;
    char *end = NULL;
    while (len < sizeof(buf) - 1 && (end = strstr(buf, "\r\n\r\n")) == NULL) {
        ssize_t k = recv(c, buf + len, sizeof(buf) - 1 - len, 0);
        if (k <= 0)
            return;
        len += (size_t)k;
        buf[len] = '\0';
    }
    if (end == NULL)
        return;
    char cl[24];
    size_t body_at = (size_t)(end - buf) + 4,
           want = (size_t)atol(header(buf, "Content-Length", cl, sizeof(cl)));
    while (len < body_at + want && len < sizeof(buf) - 1) {
        ssize_t k = recv(c, buf + len, sizeof(buf) - 1 - len, 0);
        if (k <= 0)
            return;
        len += (size_t)k;
    }
    buf[len] = '\0';
    int mode = atomic_load(&rc->mode);
    got_t g = {0};
    sscanf(buf, "POST %127s", g.path);
    header(buf, "X-Alliance-Event", g.type, sizeof(g.type));
    header(buf, "X-Alliance-Timestamp", g.ts, sizeof(g.ts));
    header(buf, "X-Alliance-Signature", g.sig, sizeof(g.sig));
    header(buf, "X-Alliance-Delivery", g.delivery, sizeof(g.delivery));
    g.body = strndup(buf + body_at, want);
    g.event = json_loads(g.body, 0, NULL);
    if (mode == ANSWER_OK && strcmp(g.type, "transaction.earned") == 0 && rc->partner != NULL) {
        char path[160];
        json_t *data = json_object_get(g.event, "data");
        snprintf(path, sizeof(path), "/v1/transactions/%s",
                 json_string_value(json_object_get(data, "transaction_id")));
        response r = partner_call(rc->srv, rc->partner, "GET", path, NULL, 0, NULL);
        g.committed_first = r.status == 200;
        response_free(&r);
    }
    /* Kept in the order requests arrive, when answered 2xx (the sender counts it delivered). */
    pthread_mutex_lock(&rc->lock);
    if (rc->n < MAX_GOT && mode == ANSWER_OK) {
        rc->got[rc->n++] = g;
        g.body = NULL;
        g.event = NULL;
    }
    pthread_mutex_unlock(&rc->lock);
    free(g.body);
    json_decref(g.event);
    if (mode == ANSWER_STALL) {
        usleep(1500 * 1000); /* past the sender's 1 s: it gives up, tries again 1 s later */
        return;
    }
    const char *answer = mode == ANSWER_OK ? "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n"
                                             "Connection: close\r\n\r\nok"
                                           : "HTTP/1.1 503 Service Unavailable\r\n"
                                             "Content-Length: 4\r\nConnection: close\r\n\r\nbusy";
    ssize_t w = send(c, answer, strlen(answer), MSG_NOSIGNAL);
    (void)w;
}

typedef struct {
    receiver *rc;
    int fd;
} conn_job;

/* One connection on a thread of its own: a stalled one holds up no other. */
static void *serve_main(void *arg)
{
    conn_job *j = arg;
    serve_one(j->rc, j->fd);
    close(j->fd);
    atomic_fetch_sub(&j->rc->active, 1);
    free(j);
    return NULL;
}

static void *receiver_main(void *arg)
{
    receiver *rc = arg;
    while (!atomic_load(&rc->stop)) {
        struct pollfd p = {.fd = rc->fd, .events = POLLIN};
        if (poll(&p, 1, 100) <= 0)
            continue;
        int c = accept(rc->fd, NULL, NULL);
        if (c < 0)
            continue;
        conn_job *j = malloc(sizeof(*j));
        pthread_t t;
        *j = (conn_job){.rc = rc, .fd = c};
        atomic_fetch_add(&rc->active, 1);
        if (pthread_create(&t, NULL, serve_main, j) == 0)
            pthread_detach(t);
        else {
            atomic_fetch_sub(&rc->active, 1);
            close(c);
            free(j);
        }
    }
    return NULL;
}

static void receiver_start(receiver *rc, const test_server *srv, const partner_key *partner)
{
    memset(rc, 0, sizeof(*rc));
    pthread_mutex_init(&rc->lock, NULL);
    rc->srv = srv;
    rc->partner = partner;
    rc->fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t alen = sizeof(a);
    cr_assert(bind(rc->fd, (struct sockaddr *)&a, sizeof(a)) == 0);
    cr_assert(listen(rc->fd, 64) == 0);
    getsockname(rc->fd, (struct sockaddr *)&a, &alen);
    rc->port = ntohs(a.sin_port);
    cr_assert(pthread_create(&rc->thread, NULL, receiver_main, rc) == 0);
}

static void receiver_stop(receiver *rc)
{
    atomic_store(&rc->stop, true);
    pthread_join(rc->thread, NULL);
    close(rc->fd);
    while (atomic_load(&rc->active) > 0)
        usleep(10 * 1000);
    for (int i = 0; i < rc->n; i++) {
        free(rc->got[i].body);
        json_decref(rc->got[i].event);
    }
}

/* Distinct deliveries (one a webhook and event) of type received so far. */
static int count_of(receiver *rc, const char *type)
{
    pthread_mutex_lock(&rc->lock);
    int n = 0;
    for (int i = 0; i < rc->n; i++) {
        bool again = false;
        for (int j = 0; j < i && !again; j++)
            again = strcmp(rc->got[j].delivery, rc->got[i].delivery) == 0;
        n += !again && strcmp(rc->got[i].type, type) == 0;
    }
    pthread_mutex_unlock(&rc->lock);
    return n;
}

/* Waits (at most seconds) until the receiver has want events of type. */
static bool wait_for(receiver *rc, const char *type, int want, int seconds)
{
    for (int i = 0; i < seconds * 10; i++) {
        if (count_of(rc, type) >= want)
            return true;
        usleep(100 * 1000);
    }
    return count_of(rc, type) >= want;
}

/* ---- The test server and tenant. ---- */

static test_server srv;
static char tenant[64], admin[128];
static partner_key bank;

static void stop(void)
{
    server_finish(&srv);
}

TestSuite(webhooks, .fini = stop, .timeout = 120);

/* The server (tries: webhook_attempts) and a tenant with partner bank. */
static void start(int tries)
{
    char out[16];
    /* A server killed by an earlier test may have left its lease behind (no table yet: none). */
    db_scalar("DELETE FROM leases WHERE name = 'webhooks'", out, sizeof(out));
    char attempts[48];
    snprintf(attempts, sizeof(attempts), "ALLIANCE_WEBHOOK_ATTEMPTS=%d", tries);
    const char *const env[] = {"ALLIANCE_WEBHOOK_BACKOFF_S=1", "ALLIANCE_WEBHOOK_TIMEOUT_S=1",
                               attempts, "ALLIANCE_WEBHOOK_POLL_MS=50", NULL};
    server_start(&srv, env, NULL);
    unique_id(tenant, sizeof(tenant), "wh");
    make_tenant(&srv, tenant, admin, sizeof(admin));
    make_partner(&srv, admin, "bank", "bank",
                 "{\"currency\":\"CNY\",\"spend_minor_per_point\":100}", &bank);
}

/* A webhook to the receiver's path with events (a JSON array); its id and secret. */
static long long subscribe(const receiver *rc, const char *path, const char *events,
                           char secret[80])
{
    char body[400];
    snprintf(body, sizeof(body), "{\"url\":\"http://127.0.0.1:%d%s\",\"events\":%s}", rc->port,
             path, events);
    response r = http(&srv, "POST", "/v1/webhooks", admin, body);
    cr_assert_eq(r.status, 201, "%s", r.body);
    snprintf(secret, 80, "%s", json_string_value(json_object_get(r.json, "secret")));
    long long id = json_integer_value(json_object_get(r.json, "id"));
    response_free(&r);
    return id;
}

static void earn(const char *id, const char *member, int amount)
{
    char body[300];
    snprintf(body, sizeof(body),
             "{\"id\":\"%s\",\"member\":\"%s\",\"data\":{\"type\":\"purchase\","
             "\"amount_minor\":%d,\"currency\":\"CNY\",\"mcc\":\"1000\"}}",
             id, member, amount);
    response r = partner_call(&srv, &bank, "POST", "/v1/transactions", body, 0, NULL);
    cr_assert_eq(r.status, 201, "%s", r.body);
    response_free(&r);
}

static bool signed_right(const got_t *g, const char *secret)
{
    partner_key k = {0};
    snprintf(k.secret, sizeof(k.secret), "%s", secret);
    char sig[65];
    partner_sign(&k, "POST", g->path, g->body, atol(g->ts), sig);
    return strcmp(sig, g->sig) == 0;
}

#define MEMBERS 3
#define EACH 15

Test(webhooks, delivered_once_at_least_in_order_per_member_through_failures)
{
    start(10);
    receiver rc;
    receiver_start(&rc, &srv, &bank);
    char secret[80];
    long long hook = subscribe(&rc, "/hooks/all?src=alliance", "[\"*\"]", secret);
    response r;
    char path[128];
    snprintf(path, sizeof(path), "/v1/webhooks/%lld", hook);
    r = http(&srv, "GET", path, admin, NULL);
    cr_expect_eq(r.status, 200);
    cr_expect(json_object_get(r.json, "secret") == NULL, "the secret is shown once only");
    response_free(&r);

    /* The receiver fails, then stalls, then answers, while 3 members earn 15 times each. */
    atomic_store(&rc.mode, ANSWER_FAIL);
    int sent = 0;
    for (int i = 0; i < EACH; i++) {
        usleep(300 * 1000); /* about 1.5 s a phase */
        if (i == EACH / 3)
            atomic_store(&rc.mode, ANSWER_STALL);
        if (i == 2 * EACH / 3)
            atomic_store(&rc.mode, ANSWER_OK);
        for (int m = 0; m < MEMBERS; m++) {
            char id[32], member[16];
            snprintf(id, sizeof(id), "t-%d-%02d", m, i);
            snprintf(member, sizeof(member), "m%d", m);
            earn(id, member, 10000 + i);
            sent++;
        }
    }
    cr_assert(wait_for(&rc, "transaction.earned", sent, 60), "%d of %d earnings delivered",
              count_of(&rc, "transaction.earned"), sent);

    /* Each member's events in the order booked; every one signed; none before its commit. */
    pthread_mutex_lock(&rc.lock);
    int last[MEMBERS], distinct = 0, repeats = 0, reordered = 0, unsigned_ = 0, early = 0;
    bool seen[MEMBERS][EACH] = {{false}};
    for (int m = 0; m < MEMBERS; m++)
        last[m] = -1;
    for (int i = 0; i < rc.n; i++) {
        got_t *g = &rc.got[i];
        unsigned_ += !signed_right(g, secret);
        cr_expect_str_eq(g->path, "/hooks/all?src=alliance");
        if (strcmp(g->type, "transaction.earned") != 0)
            continue;
        early += !g->committed_first;
        int m = -1, k = -1;
        sscanf(
            json_string_value(json_object_get(json_object_get(g->event, "data"), "transaction_id")),
            "t-%d-%d", &m, &k);
        cr_assert(m >= 0 && m < MEMBERS && k >= 0 && k < EACH, "%s", g->body);
        reordered += k < last[m];
        repeats += seen[m][k];
        distinct += !seen[m][k];
        seen[m][k] = true;
        last[m] = k;
    }
    pthread_mutex_unlock(&rc.lock);
    printf("webhooks: %d earnings, %d delivered, %d delivered again, %d out of order, "
           "%d badly signed, %d before their commit\n",
           sent, distinct, repeats, reordered, unsigned_, early);
    cr_expect_eq(distinct, sent, "every event delivered");
    cr_expect_eq(reordered, 0, "a member's events arrive in order");
    cr_expect_eq(unsigned_, 0, "every delivery signed with the webhook's secret");
    cr_expect_eq(early, 0, "no event before its booking committed");

    /* The delivery log: failures and stalls are recorded as attempts. */
    snprintf(path, sizeof(path), "/v1/webhooks/%lld/deliveries?status=delivered&limit=1000", hook);
    r = http(&srv, "GET", path, admin, NULL);
    cr_assert_eq(r.status, 200, "%s", r.body);
    size_t i;
    json_t *d;
    int retried = 0;
    long long a_retried = 0, tries = 0;
    json_array_foreach (json_object_get(r.json, "deliveries"), i, d) {
        tries += json_integer_value(json_object_get(d, "attempts"));
        if (json_integer_value(json_object_get(d, "attempts")) > 1) {
            retried++;
            a_retried = json_integer_value(json_object_get(d, "id"));
        }
    }
    printf("webhooks: %zu deliveries took %lld tries; %d needed more than one\n",
           json_array_size(json_object_get(r.json, "deliveries")), tries, retried);
    cr_expect(retried > 0, "some deliveries needed more than one try: %s", r.body);
    response_free(&r);
    snprintf(path, sizeof(path), "/v1/webhooks/%lld/deliveries/%lld", hook, a_retried);
    r = http(&srv, "GET", path, admin, NULL);
    cr_expect_eq(r.status, 200, "%s", r.body);
    json_t *log = json_object_get(r.json, "attempts_log");
    cr_expect(json_array_size(log) >= 2, "%s", r.body);
    cr_expect(json_is_string(json_object_get(json_array_get(log, 0), "error")), "%s", r.body);
    response_free(&r);

    r = http(&srv, "GET", "/metrics", OPERATOR_TOKEN, NULL);
    cr_expect(strstr(r.body, "allianced_webhook_deliveries_total{result=\"delivered\"}") != NULL);
    cr_expect(strstr(r.body, "allianced_webhook_deliveries_total{result=\"failed\"} 0\n") == NULL,
              "the failures are counted");
    response_free(&r);
    receiver_stop(&rc);
}

Test(webhooks, every_kind_of_event_reaches_its_subscribers)
{
    start(10);
    receiver rc;
    receiver_start(&rc, &srv, &bank);
    char secret[80], secret2[80];
    subscribe(&rc, "/all", "[\"*\"]", secret);
    subscribe(&rc, "/partners", "[\"partner.suspended\",\"partner.resumed\"]", secret2);
    response r = http(&srv, "PUT", "/v1/rules", admin,
                      "{\"tiers\":{\"levels\":[{\"name\":\"normal\",\"threshold\":0},"
                      "{\"name\":\"gold\",\"threshold\":500}]}}");
    cr_assert_eq(r.status, 200, "%s", r.body);
    response_free(&r);
    char path[128];
    snprintf(path, sizeof(path), "/v1/tenants/%s", tenant);
    r = http(&srv, "PATCH", path, admin,
             "{\"settings\":{\"expiry_months\":1,\"expiry_notice_days\":365}}");
    cr_assert_eq(r.status, 200, "%s", r.body);
    response_free(&r);

    earn("e-1", "ann", 100000); /* 1000 points: gold */
    r = partner_call(&srv, &bank, "POST", "/v1/transactions/e-1/reversal",
                     "{\"id\":\"v-1\",\"amount_minor\":10000}", 0, NULL);
    cr_assert_eq(r.status, 201, "%s", r.body);
    response_free(&r);
    r = partner_call(&srv, &bank, "POST", "/v1/redemptions",
                     "{\"id\":\"r-1\",\"member\":\"ann\",\"points\":10}", 0, NULL);
    cr_assert_eq(r.status, 201, "%s", r.body);
    response_free(&r);
    r = partner_call(&srv, &bank, "POST", "/v1/redemptions",
                     "{\"id\":\"r-2\",\"member\":\"ann\",\"points\":5,\"capture\":false}", 0, NULL);
    cr_assert_eq(r.status, 201, "%s", r.body);
    response_free(&r);
    r = partner_call(&srv, &bank, "POST", "/v1/redemptions/r-2/void", "", 0, NULL);
    cr_assert_eq(r.status, 200, "%s", r.body);
    response_free(&r);
    r = http(&srv, "POST", "/v1/partners/bank/suspend", admin, NULL);
    cr_assert_eq(r.status, 200, "%s", r.body);
    response_free(&r);
    r = http(&srv, "POST", "/v1/partners/bank/resume", admin, NULL);
    cr_assert_eq(r.status, 200, "%s", r.body);
    response_free(&r);
    r = http(&srv, "POST", "/v1/partners/bank/keys", admin, "{}");
    cr_assert_eq(r.status, 201, "%s", r.body);
    char key_path[160];
    snprintf(key_path, sizeof(key_path), "/v1/partners/bank/keys/%s",
             json_string_value(json_object_get(r.json, "key_id")));
    response_free(&r);
    r = http(&srv, "DELETE", key_path, admin, NULL);
    cr_assert_eq(r.status, 200, "%s", r.body);
    response_free(&r);
    partner_key shop;
    make_partner(&srv, admin, "shop", "bank",
                 "{\"currency\":\"CNY\",\"spend_minor_per_point\":100}", &shop);
    r = http(&srv, "PATCH", "/v1/partners/shop", admin, "{\"name\":\"The Shop\"}");
    cr_assert_eq(r.status, 200, "%s", r.body);
    response_free(&r);
    /* A hold of a second, lapsed by the sweep below. */
    r = partner_call(&srv, &bank, "POST", "/v1/redemptions",
                     "{\"id\":\"r-3\",\"member\":\"ann\",\"points\":7,\"capture\":false,"
                     "\"hold_seconds\":1}",
                     0, NULL);
    cr_assert_eq(r.status, 201, "%s", r.body);
    response_free(&r);
    usleep(1200 * 1000);
    char body[200];
    snprintf(body, sizeof(body), "{\"tenant\":\"%s\"}", tenant);
    r = http(&srv, "POST", "/v1/ledger/expire", OPERATOR_TOKEN, body);
    cr_assert_eq(r.status, 200, "%s", r.body);
    response_free(&r);

    cr_assert(wait_for(&rc, "points.expiring", 1, 20), "no points.expiring event");
    /* Years later the lot has expired; an empty period of 2020 closes. */
    snprintf(body, sizeof(body), "{\"tenant\":\"%s\",\"as_of\":\"2099-01-01T00:00:00Z\"}", tenant);
    r = http(&srv, "POST", "/v1/ledger/expire", OPERATOR_TOKEN, body);
    cr_assert_eq(r.status, 200, "%s", r.body);
    response_free(&r);
    r = http(&srv, "POST", "/v1/settlements", admin,
             "{\"period_start\":\"2020-01-01T00:00:00Z\",\"period_end\":\"2020-02-01T00:00:00Z\"}");
    cr_assert_eq(r.status, 201, "%s", r.body);
    snprintf(path, sizeof(path), "/v1/settlements/%lld/close",
             (long long)json_integer_value(json_object_get(r.json, "id")));
    response_free(&r);
    r = http(&srv, "POST", path, admin, NULL);
    cr_assert_eq(r.status, 200, "%s", r.body);
    response_free(&r);

    static const char *const types[] = {
        "transaction.earned", "member.tier_changed", "transaction.reversed", "redemption.captured",
        "redemption.voided",  "partner.suspended",   "partner.resumed",      "partner.key_created",
        "points.expiring",    "points.expired",      "settlement.closed",    "partner.key_revoked",
        "partner.created",    "partner.updated",     "redemption.lapsed"};
    for (size_t t = 0; t < sizeof(types) / sizeof(types[0]); t++)
        cr_expect(wait_for(&rc, types[t], 1, 20), "no %s event", types[t]);
    /* The partner-only webhook got just those two; the "*" one everything. */
    pthread_mutex_lock(&rc.lock);
    int to_partners = 0, earned_at = -1, tier_at = -1;
    for (int i = 0; i < rc.n; i++) {
        const got_t *g = &rc.got[i];
        json_t *data = json_object_get(g->event, "data");
        if (strcmp(g->path, "/partners") == 0) {
            to_partners++;
            cr_expect(strncmp(g->type, "partner.", 8) == 0, "%s", g->type);
            cr_expect(signed_right(g, secret2));
        } else if (strcmp(g->type, "transaction.earned") == 0) {
            earned_at = i;
            cr_expect_eq(json_integer_value(json_object_get(data, "points")), 1000);
            cr_expect_str_eq(json_string_value(json_object_get(data, "tier")), "normal");
        } else if (strcmp(g->type, "member.tier_changed") == 0) {
            tier_at = i;
            cr_expect_str_eq(json_string_value(json_object_get(data, "to")), "gold");
        } else if (strcmp(g->type, "points.expiring") == 0 ||
                   strcmp(g->type, "points.expired") == 0) {
            cr_expect_eq(json_integer_value(json_object_get(data, "points")), 890, "%s", g->body);
        } else if (strcmp(g->type, "settlement.closed") == 0) {
            cr_expect_eq(json_integer_value(json_object_get(data, "number")), 1, "%s", g->body);
        }
        cr_expect_str_eq(json_string_value(json_object_get(g->event, "tenant")), tenant);
        cr_expect(strncmp(json_string_value(json_object_get(g->event, "id")), "evt_", 4) == 0);
    }
    pthread_mutex_unlock(&rc.lock);
    cr_expect_eq(to_partners, 2, "the filtered webhook gets its two types only");
    cr_expect_eq(count_of(&rc, "redemption.lapsed"), 1);
    cr_expect(earned_at >= 0 && tier_at > earned_at, "the earning, then the move it made");
    receiver_stop(&rc);
}

Test(webhooks, a_dead_letter_is_kept_and_sent_again_on_request)
{
    start(4);
    receiver rc;
    receiver_start(&rc, &srv, &bank);
    /* A port nothing listens on: every try is refused at once. */
    int s = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t alen = sizeof(a);
    bind(s, (struct sockaddr *)&a, sizeof(a));
    getsockname(s, (struct sockaddr *)&a, &alen);
    close(s);
    char body[300];
    snprintf(body, sizeof(body),
             "{\"url\":\"http://127.0.0.1:%d/gone\",\"events\":[\"transaction.earned\"]}",
             ntohs(a.sin_port));
    response r = http(&srv, "POST", "/v1/webhooks", admin, body);
    cr_assert_eq(r.status, 201, "%s", r.body);
    long long hook = json_integer_value(json_object_get(r.json, "id"));
    char secret[80];
    snprintf(secret, sizeof(secret), "%s", json_string_value(json_object_get(r.json, "secret")));
    response_free(&r);
    earn("d-1", "dan", 5000);
    earn("d-2", "dan", 6000);

    /* 4 tries, 1 + 2 + 4 s apart: dead after about 7 s; the member's next waits behind it. */
    char path[160];
    snprintf(path, sizeof(path), "/v1/webhooks/%lld/deliveries?status=dead", hook);
    json_t *dead = NULL;
    for (int i = 0; i < 150 && json_array_size(dead) == 0; i++) {
        usleep(100 * 1000);
        response_free(&r);
        r = http(&srv, "GET", path, admin, NULL);
        dead = json_object_get(r.json, "deliveries");
    }
    cr_assert_eq(json_array_size(dead), 1, "%s", r.body);
    json_t *d = json_array_get(dead, 0);
    cr_expect_eq(json_integer_value(json_object_get(d, "attempts")), 4);
    cr_expect(json_is_string(json_object_get(d, "last_error")), "%s", r.body);
    long long first = json_integer_value(json_object_get(d, "id"));
    response_free(&r);
    snprintf(path, sizeof(path), "/v1/webhooks/%lld/deliveries/%lld", hook, first);
    r = http(&srv, "GET", path, admin, NULL);
    cr_expect_eq(json_array_size(json_object_get(r.json, "attempts_log")), 4, "%s", r.body);
    response_free(&r);

    /* The receiver comes back at a new address: the URL changes, the dead letter goes again. */
    snprintf(path, sizeof(path), "/v1/webhooks/%lld", hook);
    snprintf(body, sizeof(body), "{\"url\":\"http://127.0.0.1:%d/back\"}", rc.port);
    r = http(&srv, "PATCH", path, admin, body);
    cr_assert_eq(r.status, 200, "%s", r.body);
    response_free(&r);
    cr_assert(wait_for(&rc, "transaction.earned", 1, 20), "the second earning, once unblocked");
    snprintf(path, sizeof(path), "/v1/webhooks/%lld/deliveries/%lld/resend", hook, first);
    r = http(&srv, "POST", path, admin, NULL);
    cr_assert_eq(r.status, 200, "%s", r.body);
    cr_expect_str_eq(json_string_value(json_object_get(r.json, "status")), "pending");
    response_free(&r);
    cr_assert(wait_for(&rc, "transaction.earned", 2, 20), "the dead letter, sent again");
    pthread_mutex_lock(&rc.lock);
    const char *t0 = json_string_value(
        json_object_get(json_object_get(rc.got[0].event, "data"), "transaction_id"));
    const char *t1 = json_string_value(
        json_object_get(json_object_get(rc.got[1].event, "data"), "transaction_id"));
    cr_expect_str_eq(t0, "d-2", "a dead letter does not hold the member's queue");
    cr_expect_str_eq(t1, "d-1", "sent again on request");
    cr_expect(signed_right(&rc.got[1], secret));
    pthread_mutex_unlock(&rc.lock);

    /* Refusals: a bad URL, unknown events, another tenant's webhook. */
    static const char *const bad[][2] = {
        {"{\"url\":\"ftp://x\",\"events\":[\"*\"]}", "invalid_url"},
        {"{\"url\":\"http://127.0.0.1/x\",\"events\":[\"nope\"]}", "invalid_events"},
        {"{\"url\":\"http://127.0.0.1/x\",\"events\":[]}", "invalid_events"},
        {"{\"url\":\"http://127.0.0.1/x\"}", "missing_field"},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        r = http(&srv, "POST", "/v1/webhooks", admin, bad[i][0]);
        expect_error(&r, 400, bad[i][1]);
        response_free(&r);
    }
    char other[64], other_admin[128];
    unique_id(other, sizeof(other), "wo");
    make_tenant(&srv, other, other_admin, sizeof(other_admin));
    snprintf(path, sizeof(path), "/v1/webhooks/%lld", hook);
    r = http(&srv, "GET", path, other_admin, NULL);
    expect_error(&r, 404, "webhook_not_found");
    response_free(&r);
    r = http(&srv, "DELETE", path, admin, NULL);
    cr_expect_eq(r.status, 200, "%s", r.body);
    response_free(&r);
    receiver_stop(&rc);
}
