/* Parsing of the database URL; see db_url.h. */
#include "db/db_url.h"

#include <stdio.h>
#include <string.h>

/* Copies [s, s+n) into dst of size cap; -1 when it does not fit. */
static int copy_part(char *dst, size_t cap, const char *s, size_t n)
{
    if (n >= cap)
        return -1;
    memcpy(dst, s, n);
    dst[n] = '\0';
    return 0;
}

static int valid_db_name(const char *s)
{
    if (*s == '\0')
        return 0;
    for (; *s != '\0'; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') ||
              *s == '_'))
            return 0;
    return 1;
}

int al_db_url_parse(const char *url, al_db_url *out, char err[256])
{
    static const char scheme[] = "mysql://";
    memset(out, 0, sizeof(*out));
    if (strncmp(url, scheme, sizeof(scheme) - 1) != 0) {
        snprintf(err, 256, "db url must start with mysql://");
        return -1;
    }
    const char *p = url + sizeof(scheme) - 1;
    const char *at = strchr(p, '@');
    const char *slash = strchr(p, '/');
    if (at == NULL || slash == NULL || at > slash) {
        snprintf(err, 256, "db url must be mysql://user[:password]@host/database");
        return -1;
    }
    const char *colon = memchr(p, ':', (size_t)(at - p));
    const char *user_end = colon ? colon : at;
    if (user_end == p || copy_part(out->user, sizeof(out->user), p, (size_t)(user_end - p)) != 0) {
        snprintf(err, 256, "db url: bad user");
        return -1;
    }
    if (colon &&
        copy_part(out->password, sizeof(out->password), colon + 1, (size_t)(at - colon - 1)) != 0) {
        snprintf(err, 256, "db url: password too long");
        return -1;
    }
    const char *h = at + 1;
    const char *port = memchr(h, ':', (size_t)(slash - h));
    const char *host_end = port ? port : slash;
    if (host_end == h || copy_part(out->host, sizeof(out->host), h, (size_t)(host_end - h)) != 0) {
        snprintf(err, 256, "db url: bad host");
        return -1;
    }
    if (port) {
        unsigned v = 0;
        const char *q = port + 1;
        if (q == slash) {
            snprintf(err, 256, "db url: bad port");
            return -1;
        }
        for (; q < slash; q++) {
            if (*q < '0' || *q > '9' || (v = v * 10 + (unsigned)(*q - '0')) > 65535) {
                snprintf(err, 256, "db url: bad port");
                return -1;
            }
        }
        out->port = v;
    }
    const char *db = slash + 1;
    const char *query = strchr(db, '?');
    size_t dblen = query ? (size_t)(query - db) : strlen(db);
    if (copy_part(out->database, sizeof(out->database), db, dblen) != 0 ||
        !valid_db_name(out->database)) {
        snprintf(err, 256, "db url: database name must match [A-Za-z0-9_]{1,64}");
        return -1;
    }
    if (query) {
        static const char sock[] = "socket=";
        const char *v = query + 1;
        if (strncmp(v, sock, sizeof(sock) - 1) != 0 || v[sizeof(sock) - 1] == '\0' ||
            copy_part(out->socket, sizeof(out->socket), v + sizeof(sock) - 1,
                      strlen(v + sizeof(sock) - 1)) != 0) {
            snprintf(err, 256, "db url: the only option is ?socket=PATH");
            return -1;
        }
    }
    return 0;
}
