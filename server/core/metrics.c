/* Metrics; see metrics.h. */
#include "core/metrics.h"

#include <inttypes.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/text.h"

#define NBUCKETS 13
/* Upper bounds in microseconds (seconds in the output), and in jobs for batch sizes. */
static const int64_t time_bounds[NBUCKETS] = {1000,    2500,    5000,    10000,  25000,
                                              50000,   100000,  250000,  500000, 1000000,
                                              2500000, 5000000, 10000000};
static const int64_t size_bounds[NBUCKETS] = {1,   2,   4,   8,    16,   32,  64,
                                              128, 256, 512, 1024, 2048, 4096};

typedef struct {
    uint64_t buckets[NBUCKETS]; /* counts at or under each bound (not cumulative here) */
    uint64_t count;
    int64_t sum; /* micros, or jobs */
} histogram;

#define ROUTE_MAX 96
#define MAX_SERIES 1024 /* method, route, status */
#define MAX_ROUTES 256  /* method, route: the latency histograms */
#define MAX_PLUGINS 64

typedef struct {
    bool used;
    char method[8], route[ROUTE_MAX];
    int status;
    uint64_t count;
} series;

typedef struct {
    bool used;
    char method[8], route[ROUTE_MAX];
    histogram h;
} route_time;

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static series requests[MAX_SERIES];
static route_time times[MAX_ROUTES];
static histogram batch_jobs, commit_time, sweep_time, webhook_time;
static uint64_t webhook_results[AL_METRIC_WEBHOOK_RESULTS];
static int64_t webhook_pending, webhook_dead;
static uint64_t db_errors[AL_METRIC_DB_KINDS];
static int64_t queues[AL_METRIC_QUEUES];
static struct {
    char name[64];
    uint64_t count;
} refusals[MAX_PLUGINS];
static uint64_t dropped; /* series past the tables' room (should stay 0) */

static uint32_t hash(const char *a, const char *b, int n)
{
    uint32_t h = 2166136261u;
    for (; *a; a++)
        h = (h ^ (uint8_t)*a) * 16777619u;
    for (; *b; b++)
        h = (h ^ (uint8_t)*b) * 16777619u;
    return (h ^ (uint32_t)n) * 16777619u;
}

static void observe(histogram *h, const int64_t *bounds, int64_t v)
{
    for (int i = 0; i < NBUCKETS; i++)
        if (v <= bounds[i]) {
            h->buckets[i]++;
            break;
        }
    h->count++;
    h->sum += v;
}

void al_metrics_request(const char *method, const char *route, int status, int64_t micros)
{
    if (route == NULL)
        route = "unmatched";
    pthread_mutex_lock(&lock);
    uint32_t at = hash(method, route, status);
    series *s = NULL;
    for (int i = 0; i < MAX_SERIES && s == NULL; i++) {
        series *c = &requests[(at + (uint32_t)i) % MAX_SERIES];
        if (!c->used) {
            c->used = true;
            snprintf(c->method, sizeof(c->method), "%s", method);
            snprintf(c->route, sizeof(c->route), "%s", route);
            c->status = status;
        }
        if (c->status == status && strcmp(c->method, method) == 0 && strcmp(c->route, route) == 0)
            s = c;
    }
    at = hash(method, route, 0);
    route_time *t = NULL;
    for (int i = 0; i < MAX_ROUTES && t == NULL; i++) {
        route_time *c = &times[(at + (uint32_t)i) % MAX_ROUTES];
        if (!c->used) {
            c->used = true;
            snprintf(c->method, sizeof(c->method), "%s", method);
            snprintf(c->route, sizeof(c->route), "%s", route);
        }
        if (strcmp(c->method, method) == 0 && strcmp(c->route, route) == 0)
            t = c;
    }
    if (s != NULL)
        s->count++;
    if (t != NULL)
        observe(&t->h, time_bounds, micros);
    if (s == NULL || t == NULL)
        dropped++;
    pthread_mutex_unlock(&lock);
}

void al_metrics_batch(int jobs, int64_t commit_micros)
{
    pthread_mutex_lock(&lock);
    observe(&batch_jobs, size_bounds, jobs);
    observe(&commit_time, time_bounds, commit_micros);
    pthread_mutex_unlock(&lock);
}

void al_metrics_db_error(al_metric_db_kind kind)
{
    pthread_mutex_lock(&lock);
    if (kind >= 0 && kind < AL_METRIC_DB_KINDS)
        db_errors[kind]++;
    pthread_mutex_unlock(&lock);
}

void al_metrics_queue(al_metric_queue q, int delta)
{
    pthread_mutex_lock(&lock);
    if (q >= 0 && q < AL_METRIC_QUEUES)
        queues[q] += delta;
    pthread_mutex_unlock(&lock);
}

void al_metrics_sweep(int64_t micros)
{
    pthread_mutex_lock(&lock);
    observe(&sweep_time, time_bounds, micros);
    pthread_mutex_unlock(&lock);
}

void al_metrics_webhook(al_metric_webhook result, int64_t micros)
{
    pthread_mutex_lock(&lock);
    if (result >= 0 && result < AL_METRIC_WEBHOOK_RESULTS)
        webhook_results[result]++;
    observe(&webhook_time, time_bounds, micros);
    pthread_mutex_unlock(&lock);
}

void al_metrics_webhook_queue(int64_t pending, int64_t dead)
{
    pthread_mutex_lock(&lock);
    webhook_pending = pending;
    webhook_dead = dead;
    pthread_mutex_unlock(&lock);
}

void al_metrics_plugin_refusal(const char *plugin)
{
    pthread_mutex_lock(&lock);
    int i = 0;
    while (i < MAX_PLUGINS && refusals[i].name[0] != '\0' && strcmp(refusals[i].name, plugin) != 0)
        i++;
    if (i < MAX_PLUGINS) {
        if (refusals[i].name[0] == '\0')
            snprintf(refusals[i].name, sizeof(refusals[i].name), "%s", plugin);
        refusals[i].count++;
    } else {
        dropped++;
    }
    pthread_mutex_unlock(&lock);
}

/* A histogram's lines: name_bucket{labels,le}, name_sum, name_count; seconds when timed. */
static void put_histogram(al_text *t, const char *name, const char *labels, const histogram *h,
                          const int64_t *bounds, bool seconds)
{
    uint64_t cumulative = 0;
    const char *comma = labels[0] ? "," : "";
    for (int i = 0; i < NBUCKETS; i++) {
        cumulative += h->buckets[i];
        if (seconds)
            al_text_printf(t, "%s_bucket{%s%sle=\"%g\"} %" PRIu64 "\n", name, labels, comma,
                           (double)bounds[i] / 1e6, cumulative);
        else
            al_text_printf(t, "%s_bucket{%s%sle=\"%" PRId64 "\"} %" PRIu64 "\n", name, labels,
                           comma, bounds[i], cumulative);
    }
    al_text_printf(t, "%s_bucket{%s%sle=\"+Inf\"} %" PRIu64 "\n", name, labels, comma, h->count);
    const char *open = labels[0] ? "{" : "", *close = labels[0] ? "}" : "";
    if (seconds)
        al_text_printf(t, "%s_sum%s%s%s %.6f\n", name, open, labels, close, (double)h->sum / 1e6);
    else
        al_text_printf(t, "%s_sum%s%s%s %" PRId64 "\n", name, open, labels, close, h->sum);
    al_text_printf(t, "%s_count%s%s%s %" PRIu64 "\n", name, open, labels, close, h->count);
}

char *al_metrics_render(const char *version)
{
    static const char *const db_kinds[] = {"down", "retry", "duplicate", "range", "error"};
    static const char *const queue_names[] = {"commit", "report"};
    al_text t = {0};
    pthread_mutex_lock(&lock);
    al_text_printf(&t,
                   "# HELP allianced_build_info The running server's version.\n"
                   "# TYPE allianced_build_info gauge\nallianced_build_info{version=\"%s\"} 1\n",
                   version);
    al_text_printf(&t,
                   "# HELP allianced_http_requests_total Requests answered, by method, route and "
                   "status.\n# TYPE allianced_http_requests_total counter\n");
    for (int i = 0; i < MAX_SERIES; i++)
        if (requests[i].used)
            al_text_printf(
                &t,
                "allianced_http_requests_total{method=\"%s\",route=\"%s\",status=\"%d\"} %" PRIu64
                "\n",
                requests[i].method, requests[i].route, requests[i].status, requests[i].count);
    al_text_printf(
        &t, "# HELP allianced_http_request_duration_seconds Time from the request's arrival to "
            "its answer.\n# TYPE allianced_http_request_duration_seconds histogram\n");
    for (int i = 0; i < MAX_ROUTES; i++)
        if (times[i].used) {
            char labels[160];
            snprintf(labels, sizeof(labels), "method=\"%s\",route=\"%s\"", times[i].method,
                     times[i].route);
            put_histogram(&t, "allianced_http_request_duration_seconds", labels, &times[i].h,
                          time_bounds, true);
        }
    al_text_printf(&t,
                   "# HELP allianced_ledger_batch_jobs Ledger operations a group commit carried.\n"
                   "# TYPE allianced_ledger_batch_jobs histogram\n");
    put_histogram(&t, "allianced_ledger_batch_jobs", "", &batch_jobs, size_bounds, false);
    al_text_printf(
        &t, "# HELP allianced_ledger_commit_duration_seconds A group commit's transaction, from "
            "its first statement to its COMMIT.\n"
            "# TYPE allianced_ledger_commit_duration_seconds histogram\n");
    put_histogram(&t, "allianced_ledger_commit_duration_seconds", "", &commit_time, time_bounds,
                  true);
    al_text_printf(&t,
                   "# HELP allianced_db_errors_total What the database answered besides success.\n"
                   "# TYPE allianced_db_errors_total counter\n");
    for (int k = 0; k < AL_METRIC_DB_KINDS; k++)
        al_text_printf(&t, "allianced_db_errors_total{kind=\"%s\"} %" PRIu64 "\n", db_kinds[k],
                       db_errors[k]);
    al_text_printf(&t,
                   "# HELP allianced_queue_depth Jobs waiting for a committer or a report thread.\n"
                   "# TYPE allianced_queue_depth gauge\n");
    for (int q = 0; q < AL_METRIC_QUEUES; q++)
        al_text_printf(&t, "allianced_queue_depth{queue=\"%s\"} %" PRId64 "\n", queue_names[q],
                       queues[q]);
    al_text_printf(
        &t, "# HELP allianced_sweep_duration_seconds Sweeps (expiry, holds, tiers) of a cluster.\n"
            "# TYPE allianced_sweep_duration_seconds histogram\n");
    put_histogram(&t, "allianced_sweep_duration_seconds", "", &sweep_time, time_bounds, true);
    static const char *const webhook_names[] = {"delivered", "failed", "dead"};
    al_text_printf(&t, "# HELP allianced_webhook_deliveries_total Webhook delivery attempts by "
                       "result (dead: the last try failed).\n"
                       "# TYPE allianced_webhook_deliveries_total counter\n");
    for (int k = 0; k < AL_METRIC_WEBHOOK_RESULTS; k++)
        al_text_printf(&t, "allianced_webhook_deliveries_total{result=\"%s\"} %" PRIu64 "\n",
                       webhook_names[k], webhook_results[k]);
    al_text_printf(&t, "# HELP allianced_webhook_attempt_duration_seconds A receiver's time to "
                       "answer a delivery.\n"
                       "# TYPE allianced_webhook_attempt_duration_seconds histogram\n");
    put_histogram(&t, "allianced_webhook_attempt_duration_seconds", "", &webhook_time, time_bounds,
                  true);
    al_text_printf(&t,
                   "# HELP allianced_webhook_queue Webhook deliveries waiting and dead, as this "
                   "node's sender last counted them.\n"
                   "# TYPE allianced_webhook_queue gauge\n"
                   "allianced_webhook_queue{state=\"pending\"} %" PRId64 "\n"
                   "allianced_webhook_queue{state=\"dead\"} %" PRId64 "\n",
                   webhook_pending, webhook_dead);
    al_text_printf(
        &t, "# HELP allianced_plugin_refusals_total Transactions a partner's plugin refused.\n"
            "# TYPE allianced_plugin_refusals_total counter\n");
    for (int i = 0; i < MAX_PLUGINS && refusals[i].name[0] != '\0'; i++)
        al_text_printf(&t, "allianced_plugin_refusals_total{plugin=\"%s\"} %" PRIu64 "\n",
                       refusals[i].name, refusals[i].count);
    al_text_printf(
        &t,
        "# HELP allianced_metrics_dropped_total Series past the tables' room (0).\n"
        "# TYPE allianced_metrics_dropped_total counter\nallianced_metrics_dropped_total %" PRIu64
        "\n",
        dropped);
    pthread_mutex_unlock(&lock);
    return al_text_take(&t);
}
