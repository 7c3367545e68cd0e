/*
 * What /metrics exposes (Prometheus text format, version 0.0.4): counters and
 * histograms that any layer adds to, kept in this process, rendered on
 * demand. Every label set is bounded: routes are the route table's patterns
 * ("unmatched" for the rest), statuses HTTP codes, plugins the loaded ones.
 */
#ifndef AL_METRICS_H
#define AL_METRICS_H

#include <stdint.h>

/* What the database said, for allianced_db_errors_total{kind}. */
typedef enum {
    AL_METRIC_DB_DOWN = 0, /* unreachable, connection lost or timed out */
    AL_METRIC_DB_RETRY,    /* deadlock, lock wait timeout, Galera certification conflict */
    AL_METRIC_DB_DUPLICATE,
    AL_METRIC_DB_RANGE,
    AL_METRIC_DB_ERROR, /* anything else */
    AL_METRIC_DB_KINDS
} al_metric_db_kind;

/* The job queues, for allianced_queue_depth{queue}. */
typedef enum {
    AL_METRIC_QUEUE_COMMIT = 0,
    AL_METRIC_QUEUE_REPORT,
    AL_METRIC_QUEUES
} al_metric_queue;

/* A request answered: its method, route pattern (NULL: unmatched), status and time. */
void al_metrics_request(const char *method, const char *route, int status, int64_t micros);

/* A group commit: how many jobs one transaction carried, and how long its COMMIT took. */
void al_metrics_batch(int jobs, int64_t commit_micros);

void al_metrics_db_error(al_metric_db_kind kind);

/* A queue grew (delta > 0) or shrank. */
void al_metrics_queue(al_metric_queue q, int delta);

/* A sweep of one cluster done, in micros. */
void al_metrics_sweep(int64_t micros);

/* A webhook delivery tried: delivered (a 2xx), failed, or failed for the last time (dead). */
typedef enum {
    AL_METRIC_WEBHOOK_DELIVERED = 0,
    AL_METRIC_WEBHOOK_FAILED,
    AL_METRIC_WEBHOOK_DEAD,
    AL_METRIC_WEBHOOK_RESULTS
} al_metric_webhook;
void al_metrics_webhook(al_metric_webhook result, int64_t micros);

/* The deliveries waiting (pending) and dead, as the sender last counted them. */
void al_metrics_webhook_queue(int64_t pending, int64_t dead);

/* A partner's plugin refused a transaction. */
void al_metrics_plugin_refusal(const char *plugin);

/* The exposition text (malloc'd; NULL when out of memory). */
char *al_metrics_render(const char *version);

#endif
