/* Parsing of the database URL; see db_url.h. */
#include "db/db_url.h"

#include <stdio.h>
#include <string.h>

#include "core/ids.h"

/* Copies [s, s+n) into dst of size cap; -1 when it does not fit. */
static int copy_part(char *dst, size_t cap, const char *s, size_t n)
{
    if (n >= cap)
        return -1;
    memcpy(dst, s, n);
    dst[n] = '\0';
    return 0;
}

/*
 * Copies [s, s+n) into dst of size cap, %XX decoded (RFC 3986: a password may
 * hold '@', '/', ':' or '%' written %40, %2F, %3A, %25); -1 when it does not
 * fit, -2 on a bad or NUL escape.
 */
static int copy_decoded(char *dst, size_t cap, const char *s, size_t n)
{
    size_t out = 0;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (c == '%') {
            if (i + 2 >= n)
                return -2;
            int hi = al_hex_digit(s[i + 1]), lo = al_hex_digit(s[i + 2]);
            if (hi < 0 || lo < 0 || (hi == 0 && lo == 0))
                return -2;
            c = (char)(hi * 16 + lo);
            i += 2;
        }
        if (out + 1 >= cap)
            return -1;
        dst[out++] = c;
    }
    dst[out] = '\0';
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
    /* The host follows the last '@' before the query: a raw '@' in a password still parses. */
    const char *at = NULL;
    for (const char *q = p; *q != '\0' && *q != '?'; q++)
        if (*q == '@')
            at = q;
    const char *slash = at ? strchr(at, '/') : NULL;
    if (at == NULL || slash == NULL) {
        snprintf(err, 256, "db url must be mysql://user[:password]@host/database");
        return -1;
    }
    const char *colon = memchr(p, ':', (size_t)(at - p));
    const char *user_end = colon ? colon : at;
    if (user_end == p ||
        copy_decoded(out->user, sizeof(out->user), p, (size_t)(user_end - p)) != 0) {
        snprintf(err, 256, "db url: bad user (percent-encode '@', ':', '/' and '%%')");
        return -1;
    }
    int rc = colon ? copy_decoded(out->password, sizeof(out->password), colon + 1,
                                  (size_t)(at - colon - 1))
                   : 0;
    if (rc != 0) {
        snprintf(err, 256,
                 rc == -1 ? "db url: password too long"
                          : "db url: bad percent-encoding in the password");
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
            copy_decoded(out->socket, sizeof(out->socket), v + sizeof(sock) - 1,
                         strlen(v + sizeof(sock) - 1)) != 0) {
            snprintf(err, 256, "db url: the only option is ?socket=PATH");
            return -1;
        }
    }
    return 0;
}
