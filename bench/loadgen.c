/*
 * loadgen: a load generator for allianced. N keep-alive connections on one
 * libevent loop send signed partner requests back to back for a fixed time,
 * then it prints requests/s and latency percentiles. Loopback only.
 *
 *   loadgen --port P --key KEY_ID --secret SECRET --mode earn|redeem|balance
 *           [--connections 64] [--seconds 10] [--members 10000] [--tag run1]
 *
 * earn:    POST /v1/transactions, a new id each, a random member of --members
 * redeem:  POST /v1/redemptions, 1 point captured, a random member
 * balance: GET /v1/members/{id}/balance
 * Output (one line, key=value): mode, connections, seconds, requests, errors,
 * rps, p50_ms, p99_ms, p999_ms.
 */
#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

typedef struct {
    int port, connections, seconds, members;
    const char *key, *secret, *mode, *tag;
} options;

typedef struct {
    struct evhttp_connection *conn;
    int index;
    uint64_t sent;
    struct timespec started;
} client;

static options opt = {.connections = 64, .seconds = 10, .members = 10000, .tag = "run"};
static struct event_base *base;
static double *latencies;
static size_t nlat, caplat;
static uint64_t errors;
static int stopping, open_clients;
static struct timespec t_start;

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void hex(const unsigned char *in, size_t n, char *out)
{
    for (size_t i = 0; i < n; i++)
        sprintf(out + 2 * i, "%02x", in[i]);
}

static void sign(const char *method, const char *path, const char *body, char ts[24], char sig[65])
{
    unsigned char md[32];
    unsigned int len = 0;
    char body_hash[65], msg[1024];
    snprintf(ts, 24, "%ld", (long)time(NULL));
    EVP_Digest(body, strlen(body), md, &len, EVP_sha256(), NULL);
    hex(md, 32, body_hash);
    int n = snprintf(msg, sizeof(msg), "%s\n%s\n%s\n%s", method, path, ts, body_hash);
    HMAC(EVP_sha256(), opt.secret, (int)strlen(opt.secret), (unsigned char *)msg, (size_t)n, md,
         &len);
    hex(md, 32, sig);
}

static void send_next(client *c);

static void on_reply(struct evhttp_request *req, void *arg)
{
    client *c = arg;
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    double ms = (double)(now.tv_sec - c->started.tv_sec) * 1e3 +
                (double)(now.tv_nsec - c->started.tv_nsec) / 1e6;
    int status = req ? evhttp_request_get_response_code(req) : 0;
    if (status < 200 || status > 299) {
        if (errors < 5)
            fprintf(stderr, "loadgen: status %d\n", status);
        errors++;
    }
    if (nlat == caplat) {
        caplat = caplat ? caplat * 2 : 65536;
        latencies = realloc(latencies, caplat * sizeof(*latencies));
    }
    latencies[nlat++] = ms;
    if (stopping || req == NULL) {
        if (--open_clients == 0)
            event_base_loopexit(base, NULL);
        return;
    }
    send_next(c);
}

static void send_next(client *c)
{
    char path[128], body[512] = "", ts[24], sig[65];
    const char *method = "POST";
    int member = rand() % opt.members;
    c->sent++;
    if (strcmp(opt.mode, "earn") == 0) {
        snprintf(path, sizeof(path), "/v1/transactions");
        snprintf(body, sizeof(body),
                 "{\"id\":\"%s-%d-%llu\",\"member\":\"m%d\",\"data\":{\"type\":\"purchase\","
                 "\"amount_minor\":%d,\"currency\":\"CNY\",\"mcc\":\"5411\"}}",
                 opt.tag, c->index, (unsigned long long)c->sent, member, 1000 + rand() % 100000);
    } else if (strcmp(opt.mode, "redeem") == 0) {
        snprintf(path, sizeof(path), "/v1/redemptions");
        snprintf(body, sizeof(body), "{\"id\":\"%s-%d-%llu\",\"member\":\"m%d\",\"points\":1}",
                 opt.tag, c->index, (unsigned long long)c->sent, member);
    } else {
        method = "GET";
        snprintf(path, sizeof(path), "/v1/members/m%d/balance", member);
    }
    sign(method, path, body, ts, sig);
    struct evhttp_request *req = evhttp_request_new(on_reply, c);
    struct evkeyvalq *h = evhttp_request_get_output_headers(req);
    evhttp_add_header(h, "Host", "127.0.0.1");
    evhttp_add_header(h, "X-Alliance-Key", opt.key);
    evhttp_add_header(h, "X-Alliance-Timestamp", ts);
    evhttp_add_header(h, "X-Alliance-Signature", sig);
    if (body[0] != '\0') {
        evhttp_add_header(h, "Content-Type", "application/json");
        evbuffer_add(evhttp_request_get_output_buffer(req), body, strlen(body));
    }
    clock_gettime(CLOCK_MONOTONIC, &c->started);
    evhttp_make_request(c->conn, req, method[0] == 'G' ? EVHTTP_REQ_GET : EVHTTP_REQ_POST, path);
}

static void on_deadline(evutil_socket_t fd, short what, void *arg)
{
    (void)fd, (void)what, (void)arg;
    stopping = 1;
}

static int by_value(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double percentile(double p)
{
    if (nlat == 0)
        return 0;
    size_t i = (size_t)(p * (double)(nlat - 1));
    return latencies[i];
}

int main(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"port", 1, 0, 'p'},    {"key", 1, 0, 'k'},         {"secret", 1, 0, 's'},
        {"mode", 1, 0, 'm'},    {"connections", 1, 0, 'c'}, {"seconds", 1, 0, 'd'},
        {"members", 1, 0, 'n'}, {"tag", 1, 0, 't'},         {0, 0, 0, 0}};
    int ch;
    while ((ch = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
        switch (ch) {
        case 'p': opt.port = atoi(optarg); break;
        case 'k': opt.key = optarg; break;
        case 's': opt.secret = optarg; break;
        case 'm': opt.mode = optarg; break;
        case 'c': opt.connections = atoi(optarg); break;
        case 'd': opt.seconds = atoi(optarg); break;
        case 'n': opt.members = atoi(optarg); break;
        case 't': opt.tag = optarg; break;
        default: return 2;
        }
    }
    if (opt.port <= 0 || !opt.key || !opt.secret || !opt.mode || opt.connections < 1 ||
        opt.seconds < 1 || opt.seconds > 600 || opt.members < 1) {
        fprintf(stderr, "usage: loadgen --port P --key K --secret S --mode earn|redeem|balance "
                        "[--connections N] [--seconds S<=600] [--members M] [--tag T]\n");
        return 2;
    }
    srand((unsigned)time(NULL));
    base = event_base_new();
    client *clients = calloc((size_t)opt.connections, sizeof(*clients));
    struct timeval deadline = {opt.seconds, 0};
    struct event *timer = evtimer_new(base, on_deadline, NULL);
    evtimer_add(timer, &deadline);
    clock_gettime(CLOCK_MONOTONIC, &t_start);
    double t0 = now_s();
    for (int i = 0; i < opt.connections; i++) {
        clients[i].index = i;
        clients[i].conn = evhttp_connection_base_new(base, NULL, "127.0.0.1", (uint16_t)opt.port);
        evhttp_connection_set_timeout(clients[i].conn, 30);
        open_clients++;
        send_next(&clients[i]);
    }
    event_base_dispatch(base);
    double elapsed = now_s() - t0;
    qsort(latencies, nlat, sizeof(*latencies), by_value);
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    double cpu = (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
                 (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
    printf("mode=%s connections=%d seconds=%.2f requests=%zu errors=%llu rps=%.0f p50_ms=%.2f "
           "p99_ms=%.2f p999_ms=%.2f cpu_s=%.2f\n",
           opt.mode, opt.connections, elapsed, nlat, (unsigned long long)errors,
           (double)nlat / elapsed, percentile(0.50), percentile(0.99), percentile(0.999), cpu);
    for (int i = 0; i < opt.connections; i++)
        evhttp_connection_free(clients[i].conn);
    free(clients);
    free(latencies);
    event_free(timer);
    event_base_free(base);
    return errors > nlat / 100 ? 1 : 0; /* more than 1% errors: a failed run */
}
