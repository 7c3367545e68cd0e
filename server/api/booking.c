/*
 * Running a ledger operation for a request: one database transaction with the
 * idempotency claim, the operation and the stored answer; the reply only after
 * COMMIT; a deadlock retried; a refusal rolled back so it changes nothing.
 */
#include "api/booking.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/ids.h"
#include "http/server.h"
#include "ledger/idempotency.h"

#define ATTEMPTS 3

void al_run_booking(al_exchange *x, const char *kind, const char *id, json_t *body,
                    al_booking_fn fn, void *ctx)
{
    al_idem_key key = {.tenant = x->tenant, .partner = x->partner, .kind = kind, .id = id};
    if (kind != NULL) {
        /*
         * The canonical body (a replay with other spacing or key order is the
         * same request) and the path (a reversal's transaction is in it).
         */
        char *canon = json_dumps(body, JSON_COMPACT | JSON_SORT_KEYS), *text = NULL;
        if (canon == NULL || asprintf(&text, "%s\n%s", x->path, canon) < 0) {
            free(canon);
            al_reply_error(x, 500, "internal_error", "out of memory");
            return;
        }
        al_sha256_hex(text, strlen(text), key.hash);
        free(canon);
        free(text);
    }
    al_db *db = &x->worker->db;
    al_db_status st = AL_DB_OK;
    for (int attempt = 0; attempt < ATTEMPTS; attempt++) {
        al_outcome o = {0};
        al_idem_state state = AL_IDEM_NEW;
        char *stored = NULL;
        st = al_ledger_begin(db);
        if (st == AL_DB_OK && kind != NULL)
            st = al_idem_claim(db, &key, &state, &stored);
        if (st == AL_DB_OK && state != AL_IDEM_NEW) {
            al_ledger_rollback(db);
            if (state == AL_IDEM_REPLAY)
                al_reply_raw(x, 200, stored);
            else
                al_reply_error(x, 409, "id_reused", "id %s was used with another body", id);
            free(stored);
            return;
        }
        if (st == AL_DB_OK) {
            if (fn(x, db, ctx, &o)) {
                char *text = json_dumps(o.reply, JSON_COMPACT | JSON_PRESERVE_ORDER);
                json_decref(o.reply);
                st = text == NULL ? AL_DB_ERROR : AL_DB_OK;
                if (st == AL_DB_OK && kind != NULL)
                    st = al_idem_store(db, &key, o.http_status, text);
                if (st == AL_DB_OK)
                    st = al_ledger_commit(db);
                if (st == AL_DB_OK)
                    al_reply_raw(x, o.http_status, text);
                free(text);
                if (st == AL_DB_OK)
                    return;
            } else if (o.db == AL_DB_OK) {
                json_decref(o.reply);
                if (!o.keep)
                    al_ledger_rollback(db);
                else if ((st = al_ledger_commit(db)) != AL_DB_OK)
                    break;
                al_reply_error(x, o.http_status, o.code, "%s", o.message);
                return;
            } else {
                st = o.db;
            }
        }
        al_ledger_rollback(db);
        if (st != AL_DB_RETRY)
            break;
    }
    if (st == AL_DB_RETRY)
        al_reply_error(x, 503, "busy", "the ledger is busy; try again with the same id");
    else
        al_reply_db_failure(x, st);
}
