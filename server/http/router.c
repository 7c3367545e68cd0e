/* Route matching; see router.h. */
#include "http/router.h"

#include <stdio.h>
#include <string.h>

/* Length of the segment starting at s (up to '/' or the end). */
static size_t seg_len(const char *s)
{
    const char *slash = strchr(s, '/');
    return slash ? (size_t)(slash - s) : strlen(s);
}

/* Matches path against pattern; on success records params in x. */
static int match(const char *pattern, const char *path, al_exchange *x)
{
    const char *p = pattern, *s = path;
    size_t used = 0;
    int nparams = 0;
    while (*p != '\0' && *s != '\0') {
        if (*p != '/' || *s != '/')
            return 0;
        p++;
        s++;
        size_t pl = seg_len(p), sl = seg_len(s);
        if (pl > 1 && p[0] == '{' && p[pl - 1] == '}') {
            if (sl == 0 || nparams == AL_MAX_PARAMS || used + sl + 1 > sizeof(x->path_copy))
                return 0;
            memcpy(x->path_copy + used, s, sl);
            x->path_copy[used + sl] = '\0';
            x->params[nparams++] = x->path_copy + used;
            used += sl + 1;
        } else if (pl != sl || memcmp(p, s, pl) != 0) {
            return 0;
        }
        p += pl;
        s += sl;
    }
    if (*p != '\0' || *s != '\0')
        return 0;
    x->nparams = nparams;
    return 1;
}

const al_route *al_route_find(const al_route *routes, size_t n, al_exchange *x, int *status,
                              char *allow, size_t allow_size)
{
    size_t alen = 0;
    allow[0] = '\0';
    for (size_t i = 0; i < n; i++) {
        if (!match(routes[i].pattern, x->path, x))
            continue;
        if (strcmp(routes[i].method, x->method) == 0)
            return &routes[i];
        if (strstr(allow, routes[i].method) == NULL) {
            int w = snprintf(allow + alen, allow_size - alen, "%s%s", alen ? ", " : "",
                             routes[i].method);
            if (w > 0 && (size_t)w < allow_size - alen)
                alen += (size_t)w;
        }
    }
    x->nparams = 0;
    *status = alen ? 405 : 404;
    return NULL;
}
