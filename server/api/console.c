/*
 * GET /console/ and /console/{file} (anyone): the web console's files, built
 * into the binary from console/ (cmake/embed_dir.cmake), so a server always
 * answers the console of its own version and reads no file at run time. The
 * console signs in (api/sessions.c) and then calls the API like anyone else.
 * Every file goes with a strict Content-Security-Policy: scripts and styles
 * from the server only, none inline, no frames, connections to the server
 * only.
 */
#include <string.h>

#include <event2/http.h>

#include "api/embedded.h"
#include "api/routes.h"
#include "api/statuses.h"

static const char csp[] = "default-src 'none'; script-src 'self'; style-src 'self'; "
                          "img-src 'self' data:; connect-src 'self'; base-uri 'none'; "
                          "form-action 'none'; frame-ancestors 'none'";

void al_api_console_file(al_exchange *x)
{
    struct evkeyvalq *out = evhttp_request_get_output_headers(x->req);
    if (strcmp(x->path, "/console") == 0) {
        evhttp_add_header(out, "Location", "/console/");
        al_reply_text(x, 301, "text/plain; charset=utf-8", "/console/\n", 10);
        return;
    }
    const char *name = x->nparams == 1 ? x->params[0] : "index.html";
    for (size_t i = 0; i < al_console_files_count; i++) {
        const al_embedded_file *f = &al_console_files[i];
        if (strcmp(f->name, name) != 0)
            continue;
        evhttp_add_header(out, "Content-Security-Policy", csp);
        evhttp_add_header(out, "X-Content-Type-Options", "nosniff");
        evhttp_add_header(out, "X-Frame-Options", "DENY");
        evhttp_add_header(out, "Referrer-Policy", "no-referrer");
        evhttp_add_header(out, "Cache-Control", "no-cache");
        al_reply_text(x, 200, f->type, f->data, f->len);
        return;
    }
    al_reply_error(x, 404, "not_found", "the console has no such file");
}
