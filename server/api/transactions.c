/*
 * Partner transactions. For now the dry run: POST /v1/transactions:simulate
 * turns the partner's native "data" into points with the partner's plugin and
 * config, and books nothing.
 */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "api/routes.h"
#include "db/db.h"
#include "http/server.h"
#include "plugins/translate.h"

/* The calling partner's plugin name and config text (caller frees *config). */
static int partner_plugin(al_exchange *x, char plugin[ALLIANCE_NAME_MAX], char **config)
{
    al_db_param p[] = {AL_STR(x->tenant), AL_STR(x->partner)};
    MYSQL_RES *res = NULL;
    al_db_status st = al_db_exec(&x->worker->db,
                                 "SELECT plugin, config FROM partners "
                                 "WHERE tenant_id = ? AND partner_id = ?",
                                 p, 2, &res);
    if (st != AL_DB_OK) {
        al_reply_db_failure(x, st);
        return -1;
    }
    MYSQL_ROW row = mysql_fetch_row(res);
    if (row != NULL) {
        snprintf(plugin, ALLIANCE_NAME_MAX, "%s", row[0]);
        *config = strdup(row[1]);
    }
    mysql_free_result(res);
    if (row == NULL || *config == NULL) {
        al_reply_error(x, 500, "internal_error", "the partner of this key is missing");
        return -1;
    }
    return 0;
}

/* Replies for a failed translation. */
static void reply_translation_failure(al_exchange *x, al_tr_status st, const char *plugin,
                                      const alliance_error *err)
{
    if (st == AL_TR_NO_PLUGIN)
        al_reply_error(x, 503, "plugin_unavailable", "the partner's plugin %s is not loaded",
                       plugin);
    else
        al_reply_error(x, st == AL_TR_BAD_OUTPUT ? 500 : 422, err->code, "%s", err->message);
}

void al_api_transaction_simulate(al_exchange *x)
{
    static const char *const fields[] = {"id", "member", "occurred_at", "data", NULL};
    json_t *body = NULL;
    char *config = NULL, plugin[ALLIANCE_NAME_MAX];
    if (al_body_object(x, &body) != 0)
        return;
    json_t *data = json_object_get(body, "data");
    if (al_body_only(x, body, fields) != 0)
        goto done;
    if (!json_is_object(data)) {
        al_reply_error(x, 400, data ? "invalid_field" : "missing_field",
                       "data must be an object: the partner's native transaction");
        goto done;
    }
    if (partner_plugin(x, plugin, &config) != 0)
        goto done;

    al_translation t;
    alliance_error err;
    al_plugin_set *set = al_plugins_acquire(&x->worker->plugins);
    al_tr_status st = al_translate(set, plugin, config, data, &t, &err);
    json_t *reply = NULL;
    if (st == AL_TR_OK) {
        const al_plugin *p = al_plugins_find(set, plugin);
        reply = al_translation_json(&t);
        json_object_set_new(
            reply, "plugin",
            json_pack("{s:s,s:s}", "name", p->abi->name, "version", p->abi->version));
    }
    al_plugins_release(set);
    if (st == AL_TR_OK)
        al_reply_json(x, 200, reply);
    else
        reply_translation_failure(x, st, plugin, &err);
done:
    free(config);
    json_decref(body);
}
