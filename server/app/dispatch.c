/* Dispatch; see dispatch.h. */
#include "app/dispatch.h"

#include <event2/http.h>

#include "api/credentials.h"
#include "api/routes.h"
#include "core/ids.h"
#include "http/router.h"

void al_dispatch(al_exchange *x)
{
    int status = 404;
    char allow[128];
    const al_route *r = al_route_find(al_routes, al_nroutes, x, &status, allow, sizeof(allow));
    if (r != NULL)
        x->route = r->pattern;
    if (r == NULL) {
        if (status == 405) {
            evhttp_add_header(evhttp_request_get_output_headers(x->req), "Allow", allow);
            al_reply_error(x, 405, "method_not_allowed", "%s is not allowed here; use %s",
                           x->method, allow);
        } else {
            al_reply_error(x, 404, "not_found", "no such resource");
        }
        return;
    }
    /* Path ids follow the rule body ids do; other bytes never reach a query or a log. */
    for (int i = 0; i < x->nparams; i++)
        if (!al_id_valid(x->params[i])) {
            al_reply_error(x, 400, "invalid_path",
                           "the ids in a path match [A-Za-z0-9._:-]{1,64}; id %d does not", i + 1);
            return;
        }
    if (r->roles != 0 && al_authenticate(x, r->roles) != 0)
        return;
    r->handler(x);
}
