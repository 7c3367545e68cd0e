/*
 * The webhook sender: a thread of its own, with its own connection to each
 * cluster, that fans the outbox out into deliveries and sends the deliveries
 * due, many at once (libcurl's multi interface), each signed as partners sign
 * their requests (docs/webhooks.md). Of several server nodes on one cluster,
 * the one holding its "webhooks" lease (db/lease.h) sends, so a member's
 * events leave in order from one place.
 */
#ifndef AL_WEBHOOK_SENDER_H
#define AL_WEBHOOK_SENDER_H

#include <stdint.h>

#include "auth/secrets.h"
#include "core/config.h"
#include "db/clusters.h"

/* Starts the sender (no master key: none, webhooks cannot have been made); 0 or -1. */
int al_webhook_sender_start(const al_clusters *clusters, const al_config *cfg,
                            const uint8_t master_key[AL_MASTER_KEY_BYTES]);

/* Asks it to stop (any thread): the deliveries in flight are abandoned, sent again later. */
void al_webhook_sender_cancel(void);

/* From any thread: the statement it waits on fails at once. */
void al_webhook_sender_interrupt(void);

/* Waits for it to end. */
void al_webhook_sender_stop(void);

#endif
