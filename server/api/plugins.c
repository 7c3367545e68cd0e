/*
 * Plugins: what is loaded (operator or tenant admin) and reload (operator).
 * A reload loads the plugin folder afresh; requests in flight finish on the
 * plugins they started with.
 */
#include <jansson.h>

#include "api/context.h"
#include "api/routes.h"
#include "api/statuses.h"
#include "plugins/registry.h"

void al_api_plugins_list(al_exchange *x)
{
    al_plugin_set *set = al_plugins_acquire(&al_ctx_of(x)->plugins);
    if (set == NULL) {
        al_reply_error(x, 503, "plugins_unavailable", "no plugins are loaded");
        return;
    }
    json_t *report = al_plugins_report(set);
    al_plugins_release(set);
    al_reply_json(x, 200, report);
}

void al_api_plugins_reload(al_exchange *x)
{
    json_t *report = NULL;
    if (al_plugins_reload(&report) != 0) {
        al_reply_error(x, 500, "reload_failed", "the plugin folder could not be loaded");
        return;
    }
    al_reply_json(x, 200, report);
}
