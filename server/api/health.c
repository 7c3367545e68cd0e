/* Liveness and readiness: /healthz says the process answers, /readyz that the
 * database does too (from this worker's own connection). */
#include <jansson.h>

#include "api/routes.h"
#include "db/db.h"
#include "http/server.h"

void al_api_healthz(al_exchange *x)
{
    al_reply_json(x, 200, json_pack("{s:s}", "status", "ok"));
}

void al_api_readyz(al_exchange *x)
{
    al_db_status st = al_db_ping(&x->worker->db);
    if (st != AL_DB_OK) {
        al_reply_db_failure(x, AL_DB_DOWN);
        return;
    }
    al_reply_json(x, 200, json_pack("{s:s}", "status", "ready"));
}
