/*
 * Webhook subscriptions and their deliveries, as a tenant admin manages and
 * reads them: a URL, the event types ("*" for all) and a secret (64 hex
 * digits, shown once, stored sealed under the master key like a partner's);
 * per delivery its state (pending, delivered, dead) and every attempt.
 */
#ifndef AL_WEBHOOKS_H
#define AL_WEBHOOKS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "auth/secrets.h"
#include "db/db.h"

#define AL_WEBHOOK_URL_MAX 2000
#define AL_WEBHOOK_EVENTS_MAX 1000
#define AL_WEBHOOK_TIME 32

typedef struct al_webhook {
    int64_t id;
    char url[AL_WEBHOOK_URL_MAX + 1];
    char events[AL_WEBHOOK_EVENTS_MAX + 1]; /* "*" or a comma list */
    char status[16];                        /* active, disabled */
    char created_at[AL_WEBHOOK_TIME];
} al_webhook;

/* A new subscription (active) and its secret (AL_SECRET_LEN hex digits). */
al_db_status al_webhook_create(al_db *db, const uint8_t master_key[AL_MASTER_KEY_BYTES],
                               const char *tenant, const char *url, const char *events, int64_t *id,
                               char secret[AL_SECRET_LEN + 1]);

al_db_status al_webhook_get(al_db *db, const char *tenant, int64_t id, al_webhook *out,
                            bool *found);

/* Tenant's webhooks by id after after, at most limit (free *out). */
al_db_status al_webhooks_page(al_db *db, const char *tenant, int64_t after, int64_t limit,
                              al_webhook **out, size_t *n);

/* Changes what is given (NULL: keep). */
al_db_status al_webhook_update(al_db *db, const char *tenant, int64_t id, const char *url,
                               const char *events, const char *status, bool *found);

/* Deletes a subscription; its deliveries not sent yet are dropped. */
al_db_status al_webhook_delete(al_db *db, const char *tenant, int64_t id, bool *found);

typedef struct al_delivery {
    int64_t id, webhook_id, event_id;
    char type[41], member[65], status[16];
    int attempts;
    int last_status; /* the receiver's HTTP status; 0: none */
    char last_error[201];
    char created_at[AL_WEBHOOK_TIME], next_at[AL_WEBHOOK_TIME], delivered_at[AL_WEBHOOK_TIME];
} al_delivery;

/* A webhook's deliveries by id after after (status "" for all), at most limit (free *out). */
al_db_status al_deliveries_page(al_db *db, const char *tenant, int64_t webhook, const char *status,
                                int64_t after, int64_t limit, al_delivery **out, size_t *n);

al_db_status al_delivery_get(al_db *db, const char *tenant, int64_t webhook, int64_t id,
                             al_delivery *out, bool *found);

typedef struct al_attempt {
    char at[AL_WEBHOOK_TIME];
    int http_status; /* 0: no answer */
    char error[201];
    int took_ms;
} al_attempt;

/* A delivery's attempts, the first first (free *out). */
al_db_status al_delivery_attempts(al_db *db, int64_t delivery, al_attempt **out, size_t *n);

/* Sends a delivery again (any state): pending now, its tries counted afresh. */
al_db_status al_delivery_resend(al_db *db, const char *tenant, int64_t webhook, int64_t id,
                                bool *found);

/* The queue (pending) and the dead letters of every tenant on db. */
al_db_status al_deliveries_counts(al_db *db, int64_t *pending, int64_t *dead);

#endif
