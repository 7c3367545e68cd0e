/*
 * Liveness and readiness: /healthz says the process answers (it never touches
 * the database); /readyz that the database does too (with several clusters:
 * one at least, each named with its state), from the readiness
 * probe's last ping (db/probe.c), so it answers at once whatever the
 * database does.
 */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "api/routes.h"
#include "api/statuses.h"
#include "core/metrics.h"
#include "db/probe.h"
#include "tenants/directory.h"

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
    const al_clusters *clusters = al_directory_clusters();
    if (clusters->n == 1) {
        al_reply_json(x, 200, json_pack("{s:s}", "status", "ready"));
        return;
    }
    /* Several clusters: ready while one is; each one's state says whose tenants are served. */
    json_t *each = json_object();
    for (int k = 0; k < clusters->n; k++)
        json_object_set_new(each, clusters->names[k],
                            json_string(al_db_probe_cluster_ready(k) ? "ready" : "unavailable"));
    al_reply_json(x, 200,
                  json_pack("{s:s,s:o}", "status",
                            al_db_probe_clusters_ready() == clusters->n ? "ready" : "degraded",
                            "clusters", each));
}

/* GET /metrics (the operator): the Prometheus text format (core/metrics.h). */
void al_api_metrics(al_exchange *x)
{
    char *text = al_metrics_render(ALLIANCE_VERSION);
    if (text == NULL) {
        al_reply_error(x, 500, "internal_error", "out of memory");
        return;
    }
    al_reply_text(x, 200, "text/plain; version=0.0.4; charset=utf-8", text, strlen(text));
    free(text);
}
