/*
 * libFuzzer driver: the small text parsers of outside input, one input fed to
 * each: the database URL, host:port, the client id rule, the router and the
 * JSON escaping of log lines.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/ids.h"
#include "core/log.h"
#include "db/db_url.h"
#include "http/router.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void handler(al_exchange *x)
{
    (void)x;
}

static const al_route routes[] = {
    {"GET", "/healthz", 0, handler},
    {"GET", "/v1/tenants/{id}", 1, handler},
    {"POST", "/v1/redemptions/{id}/capture", 2, handler},
    {"GET", "/v1/a/{b}/c/{d}/e/{f}/g/{h}", 2, handler},
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *s = malloc(size + 1);
    if (s == NULL)
        return 0;
    memcpy(s, data, size);
    s[size] = '\0';

    al_db_url url;
    char err[256];
    (void)al_db_url_parse(s, &url, err);

    char host[256];
    int port;
    (void)al_parse_listen(s, host, sizeof(host), &port);
    (void)al_id_valid(s);

    static al_exchange x;
    memset(&x, 0, sizeof(x));
    x.method = "GET";
    if (strlen(s) < sizeof(x.path)) {
        strcpy(x.path, s);
        int status;
        char allow[64];
        (void)al_route_find(routes, sizeof(routes) / sizeof(routes[0]), &x, &status, allow,
                            sizeof(allow));
    }

    char line[128];
    (void)al_json_escape(line, 0, sizeof(line), s);
    free(s);
    return 0;
}
