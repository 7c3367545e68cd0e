/* Running a ledger operation for a request; see booking.c. */
#ifndef AL_BOOKING_H
#define AL_BOOKING_H

#include <jansson.h>

#include "http/exchange.h"
#include "ledger/ledger.h"

/* The operation: true with o->reply set when done, false with o refused or failed. */
typedef bool (*al_booking_fn)(al_exchange *x, al_db *db, void *ctx, al_outcome *o);

/*
 * Runs fn in one transaction and replies. kind and id name the idempotency
 * record (kind NULL: none); body is the request, hashed to tell replays from
 * conflicts.
 */
void al_run_booking(al_exchange *x, const char *kind, const char *id, json_t *body,
                    al_booking_fn fn, void *ctx);

#endif
