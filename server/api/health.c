/*
 * Liveness and readiness: /healthz says the process answers (it never touches
 * the database); /readyz that the database does too, from the readiness
 * probe's last ping (db/probe.c), so it answers at once whatever the
 * database does.
 */
#include <jansson.h>

#include "api/routes.h"
#include "api/statuses.h"
#include "db/probe.h"

void al_api_healthz(al_exchange *x)
{
    al_reply_json(x, 200, json_pack("{s:s}", "status", "ok"));
}

void al_api_readyz(al_exchange *x)
{
    if (!al_db_probe_ready()) {
        al_reply_db_failure(x, AL_DB_DOWN);
        return;
    }
    al_reply_json(x, 200, json_pack("{s:s}", "status", "ready"));
}
