/*
 * What the ledger reports to webhooks (webhooks/outbox.h), one builder an
 * event type so the batch path and the one-by-one path say the same. Each
 * returns a new object (the event's "data").
 */
#ifndef AL_LEDGER_EVENTS_H
#define AL_LEDGER_EVENTS_H

#include <stdint.h>

#include <jansson.h>

#include "ledger/ledger.h"

json_t *al_event_earned(const al_earn *e, int64_t points, int64_t balance, const char *tier);
json_t *al_event_redemption(const char *partner, const char *id, const char *member, int64_t points,
                            int64_t balance);
json_t *al_event_tier(const char *member, const char *from, const char *to, const char *reason);

#endif
