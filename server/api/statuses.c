/* Domain results to HTTP; see outcome.h. */
#include "api/statuses.h"

#include <event2/http.h>

int al_status_of(al_result result)
{
    switch (result) {
    case AL_DONE: return 200;
    case AL_CREATED: return 201;
    case AL_NOT_FOUND: return 404;
    case AL_CONFLICT: return 409;
    case AL_REFUSED: return 422;
    case AL_STOPPING:
    case AL_BUSY:
    case AL_STALE: return 503;
    case AL_RESULT_NONE:
    case AL_FAILED: break;
    }
    return 500;
}

void al_reply_db_failure(al_exchange *x, al_db_status st)
{
    if (st == AL_DB_DOWN)
        al_reply_error(x, 503, "database_unavailable",
                       "the database is unavailable; try again shortly");
    else if (st == AL_DB_DUPLICATE) /* e.g. a transaction id an import already took */
        al_reply_error(x, 409, "duplicate_id",
                       "a record with this id already exists; nothing was changed");
    else if (st == AL_DB_RANGE)
        al_reply_error(x, 422, "figure_out_of_range",
                       "a sum would not fit in 64 bits; nothing was changed or clamped");
    else
        al_reply_error(x, 500, "internal_error", "the database refused the request");
}

void al_reply_outcome(al_exchange *x, al_result result, const char *reply, const char *code,
                      const char *message, al_db_status db, const char *signature)
{
    if (reply != NULL) {
        if (signature != NULL && signature[0] != '\0')
            evhttp_add_header(evhttp_request_get_output_headers(x->req), "X-Alliance-Signature",
                              signature);
        al_reply_raw(x, al_status_of(result), reply);
    } else if (db != AL_DB_OK && db != AL_DB_RETRY) {
        al_reply_db_failure(x, db);
    } else if (al_result_ok(result) || code == NULL || code[0] == '\0') {
        al_reply_error(x, 500, "internal_error", "the operation gave no answer");
    } else {
        al_reply_error(x, al_status_of(result), code, "%s", message);
    }
}
