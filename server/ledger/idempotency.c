/* Idempotency records; see idempotency.h. */
#include "ledger/idempotency.h"

#include <stdlib.h>
#include <string.h>

al_db_status al_idem_claim(al_db *db, const al_idem_key *k, al_idem_state *state, char **response)
{
    *response = NULL;
    al_db_param p[] = {AL_STR(k->tenant), AL_STR(k->partner), AL_STR(k->kind), AL_STR(k->id),
                       AL_STR(k->hash)};
    al_db_status st = al_db_exec(db,
                                 "INSERT INTO idempotency (tenant_id, partner_id, kind, "
                                 "request_id, request_hash, status, response) "
                                 "VALUES (?, ?, ?, ?, ?, 0, '')",
                                 p, 5, NULL);
    if (st == AL_DB_OK) {
        *state = AL_IDEM_NEW;
        return AL_DB_OK;
    }
    if (st != AL_DB_DUPLICATE)
        return st;
    MYSQL_RES *res = NULL;
    st = al_db_exec(db,
                    "SELECT request_hash, response FROM idempotency WHERE tenant_id = ? AND "
                    "partner_id = ? AND kind = ? AND request_id = ?",
                    p, 4, &res);
    if (st != AL_DB_OK)
        return st;
    MYSQL_ROW row = mysql_fetch_row(res);
    if (row == NULL) {
        mysql_free_result(res);
        return AL_DB_RETRY; /* the original rolled back between the two statements */
    }
    if (strcmp(row[0], k->hash) == 0) {
        *state = AL_IDEM_REPLAY;
        *response = strdup(row[1]);
    } else {
        *state = AL_IDEM_CONFLICT;
    }
    mysql_free_result(res);
    return *state == AL_IDEM_REPLAY && *response == NULL ? AL_DB_ERROR : AL_DB_OK;
}

al_db_status al_idem_store(al_db *db, const al_idem_key *k, int status, const char *response)
{
    al_db_param p[] = {AL_INT(status),     AL_STR(response), AL_STR(k->tenant),
                       AL_STR(k->partner), AL_STR(k->kind),  AL_STR(k->id)};
    return al_db_exec(db,
                      "UPDATE idempotency SET status = ?, response = ? WHERE tenant_id = ? AND "
                      "partner_id = ? AND kind = ? AND request_id = ?",
                      p, 6, NULL);
}
