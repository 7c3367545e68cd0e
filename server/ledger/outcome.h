/*
 * What a domain operation (a booking, a statement, a report) comes to: done
 * with an answer, refused with a code and a message, or the database failed.
 * Domain results, not HTTP statuses: api/statuses.c is the one place that
 * maps them to statuses and headers.
 */
#ifndef AL_OUTCOME_H
#define AL_OUTCOME_H

#include <stdbool.h>

#include <jansson.h>

#include "db/db.h"

typedef enum al_result {
    AL_RESULT_NONE = 0, /* the operation said nothing: a bug */
    AL_DONE,            /* done: the answer says what */
    AL_CREATED,         /* done, and a new thing exists (a booking, a statement) */
    AL_NOT_FOUND,       /* refused: what it names does not exist */
    AL_CONFLICT,        /* refused: it contradicts what exists (an id reused, a closed period) */
    AL_REFUSED,         /* refused by the business rules (insufficient points, ...) */
    AL_STOPPING,        /* given up: the server is stopping */
    AL_BUSY,            /* given up: the database kept refusing for contention */
    AL_STALE,           /* not run: what the request was read with changed before (run it again) */
    AL_FAILED           /* an internal failure (out of memory, a stored document unreadable) */
} al_result;

typedef struct al_outcome {
    al_result result;
    al_db_status db;     /* not AL_DB_OK: the database failed (nothing to commit) */
    char code[64];       /* when refused */
    char message[256];   /* when refused */
    json_t *reply;       /* when done: the answer (owned by the outcome) */
    char *reply_text;    /* or the answer's text as it is (malloc'd, owned), instead of reply */
    char signature[160]; /* a detached signature of the answer ("" for none) */
    bool keep;           /* refused, but what the system did on its own stays (a lapse) */
} al_outcome;

/* Refuses with result and code; returns false for use in `return al_refuse(...)`. */
bool al_refuse(al_outcome *o, al_result result, const char *code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Records a database failure; returns false. */
bool al_db_failed(al_outcome *o, al_db_status st);

/* Whether a result is a success. */
static inline bool al_result_ok(al_result r)
{
    return r == AL_DONE || r == AL_CREATED;
}

#endif
