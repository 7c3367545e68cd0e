/*
 * The delivery queue, as the sender (app/webhook_sender.c) works it: the
 * outbox fanned out into one delivery a subscribed webhook, the deliveries
 * due (for each webhook and member only the oldest not settled, so a member's
 * events arrive in order), and each attempt's outcome: delivered, tried again
 * after an exponential backoff, or dead after the last try.
 *
 * A delivery behind another of its queue waits "parked" (next_at far ahead)
 * and is unparked when the one before it settles: what is due is then an
 * index range, however long the queues behind grow.
 */
#ifndef AL_WEBHOOK_QUEUE_H
#define AL_WEBHOOK_QUEUE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "auth/secrets.h"
#include "core/ids.h"
#include "db/db.h"
#include "webhooks/webhooks.h"

/* Fans out the oldest waiting events (at most limit), one transaction; *events says how many. */
al_db_status al_outbox_fan_out(al_db *db, int limit, int *events);

/* A delivery to send: where, the signing secret, and the request body. */
typedef struct al_due {
    int64_t id, webhook_id, event_id;
    int attempts; /* before this one */
    char tenant[AL_ID_MAX + 1];
    char member[AL_ID_MAX + 1]; /* its queue ("" for events of no member) */
    char url[AL_WEBHOOK_URL_MAX + 1];
    char type[41];
    char secret[AL_SECRET_LEN + 1]; /* opened; wiped by al_due_free */
    char *body;                     /* the event as sent, JSON (malloc'd) */
} al_due;

/*
 * The deliveries due now (at most limit), their secrets opened with
 * master_key (free with al_due_free). One whose secret does not open is
 * settled dead at once.
 */
al_db_status al_deliveries_due(al_db *db, const uint8_t master_key[AL_MASTER_KEY_BYTES], int limit,
                               al_due **out, size_t *n);
void al_due_free(al_due *d, size_t n);

/* How an attempt went: the receiver's status (0: none) and, when it failed, why. */
typedef struct al_attempt_result {
    int http_status;
    const char *error; /* NULL when delivered */
    int took_ms;
} al_attempt_result;

/*
 * Records an attempt of d: delivered on a 2xx, else tried again after
 * backoff_s x 2^(tries - 1) (at most an hour), dead after max_attempts tries.
 * *dead says it just died.
 */
al_db_status al_delivery_record(al_db *db, const al_due *d, const al_attempt_result *r,
                                int max_attempts, int backoff_s, bool *dead);

#endif
