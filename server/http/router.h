/*
 * Routing: a table of (method, pattern, roles, handler). A pattern is a path
 * whose "{name}" segments match any one segment. A path that matches some
 * pattern under another method is a 405 with an Allow list, else a 404.
 */
#ifndef AL_ROUTER_H
#define AL_ROUTER_H

#include <stddef.h>

#include "http/exchange.h"

typedef void (*al_handler)(al_exchange *x);

typedef struct al_route {
    const char *method;
    const char *pattern;
    unsigned roles; /* AL_ROLE_* bits allowed; 0: anyone, no credentials */
    al_handler handler;
} al_route;

/*
 * Finds the route for method and path. On a match, path segments that fill
 * "{name}" are copied into x->path_copy and pointed to by x->params. On no
 * match returns NULL and sets *status to 404 or 405 (then allow lists the
 * methods, comma separated).
 */
const al_route *al_route_find(const al_route *routes, size_t n, al_exchange *x, int *status,
                              char *allow, size_t allow_size);

#endif
