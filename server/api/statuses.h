/*
 * The one place where what the domain says becomes HTTP: results to
 * statuses, a database failure to 503 or 500, a refusal to the error
 * envelope, a detached signature to its header.
 */
#ifndef AL_API_STATUSES_H
#define AL_API_STATUSES_H

#include "db/db.h"
#include "http/exchange.h"
#include "ledger/outcome.h"

/* The HTTP status of a result. */
int al_status_of(al_result result);

/* Replies 503 database_unavailable, or 500 internal_error, for a database status. */
void al_reply_db_failure(al_exchange *x, al_db_status st);

/* Replies what a finished operation came to (its answer, refusal or failure). */
void al_reply_outcome(al_exchange *x, al_result result, const char *reply, const char *code,
                      const char *message, al_db_status db, const char *signature);

#endif
