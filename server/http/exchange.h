/*
 * One request and its reply. Every handler answers through al_reply_*; that is
 * where the JSON error envelope, the request log line and the in-flight count
 * live, so no reply can skip them.
 */
#ifndef AL_EXCHANGE_H
#define AL_EXCHANGE_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include <event2/http.h>
#include <jansson.h>

#include "core/ids.h"

#define AL_MAX_PARAMS 4
#define AL_PATH_MAX 512

struct al_http_worker;

/*
 * Who may call: the operator, a partner, a tenant's admin key in one of
 * four roles (owner: everything; finance: settlement and imports; program:
 * rules and members; viewer: reads only), or a member's app.
 */
typedef enum {
    AL_ROLE_NONE = 0,
    AL_ROLE_OPERATOR = 1,
    AL_ROLE_OWNER = 2,
    AL_ROLE_PARTNER = 4,
    AL_ROLE_FINANCE = 8,
    AL_ROLE_PROGRAM = 16,
    AL_ROLE_VIEWER = 32,
    AL_ROLE_MEMBER = 64, /* a member's app, with a member token: that member's own data only */
} al_role;

/* Any of a tenant's admin roles. */
#define AL_ROLE_ADMIN (AL_ROLE_OWNER | AL_ROLE_FINANCE | AL_ROLE_PROGRAM | AL_ROLE_VIEWER)

static inline bool al_role_is_admin(al_role role)
{
    return (role & AL_ROLE_ADMIN) != 0;
}

typedef struct al_exchange {
    struct evhttp_request *req;
    struct al_http_worker *worker; /* the transport's worker that took the request */
    void *ctx;                     /* that worker's context, from the layer above */
    const char *method;
    char path[AL_PATH_MAX]; /* as sent, without the query */
    char request_id[AL_ID_MAX + 1];
    struct timespec started;
    al_role role;                /* who the credentials say the caller is */
    char tenant[AL_ID_MAX + 1];  /* empty unless a tenant's credentials */
    char partner[AL_ID_MAX + 1]; /* set for a partner's signed request */
    char member[AL_ID_MAX + 1];  /* set for a member token: the only member it reaches */
    char key_ref[20];            /* which admin key: the start of its hash */
    int cluster; /* the database cluster of tenant (an index the application keeps); 0: main */
    const char *route;     /* the matched route's pattern, for the metrics; NULL: none matched */
    int64_t setup_version; /* the tenant's setup version the credentials were read at; 0: none */
    int64_t setup_read_us; /* when they were read (wall clock, microseconds) */
    unsigned reruns;       /* times the application ran the request again (a stale setup) */
    char *params[AL_MAX_PARAMS]; /* {name} segments of the route, in order */
    int nparams;
    char path_copy[AL_PATH_MAX]; /* backing store of params */

    /*
     * A sub-request (one line of a batch): its body is sub_body, and its reply
     * is handed to sub_done (which owns the text) instead of being sent.
     */
    bool sub;
    const char *sub_body;
    size_t sub_len;
    void (*sub_done)(struct al_exchange *x, int status, char *reply);
} al_exchange;

/* Replies with body (stolen, may be NULL for an empty body). */
void al_reply_json(al_exchange *x, int status, json_t *body);

/* Replies with a JSON text as it is (a stored answer, byte for byte). */
void al_reply_raw(al_exchange *x, int status, const char *json_text);

/* Replies with any text and content type. */
void al_reply_text(al_exchange *x, int status, const char *content_type, const char *text,
                   size_t len);

/* Replies {"error":{"code":code,"message":...}} with status. */
void al_reply_error(al_exchange *x, int status, const char *code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Builds the error envelope; the caller owns the result. */
json_t *al_error_envelope(const char *code, const char *message);

/*
 * Parses the body as a JSON object into *out (caller decrefs). On failure it
 * has already replied (400) and returns -1.
 */
int al_body_object(al_exchange *x, json_t **out);

/*
 * Field readers over a parsed body. Each returns 0 or replies 400 naming the
 * field and returns -1. al_body_only refuses fields not in the NULL-ended list.
 */
int al_body_only(al_exchange *x, json_t *obj, const char *const *allowed);
int al_body_id(al_exchange *x, json_t *obj, const char *field, const char **out);
int al_body_string(al_exchange *x, json_t *obj, const char *field, size_t max_len,
                   const char **out);

/*
 * Whether the query has the parameter; when it does, its value is copied into
 * out (size bytes), or "" when it does not fit (so it reads as invalid).
 */
bool al_query_value(const al_exchange *x, const char *name, char *out, size_t size);

/*
 * One paging convention for every list: ?limit= (1 to AL_PAGE_MAX,
 * AL_PAGE_DEFAULT when absent) and ?cursor= (what the last page's next_cursor
 * said; next_cursor is null on the last page).
 */
#define AL_PAGE_DEFAULT 100
#define AL_PAGE_MAX 1000

/* ?limit= into *limit; 0, or -1 after a 400 invalid_limit. */
int al_query_limit(al_exchange *x, long long *limit);

/*
 * The paging of a list by a growing number: ?cursor= (from 1; 0 when absent)
 * and ?limit=. 0, or -1 after a 400 invalid_cursor / invalid_limit.
 */
int al_query_page(al_exchange *x, long long *cursor, long long *limit);

/*
 * The paging of a list by id: ?cursor= (an id; "" when absent) and ?limit=.
 * 0, or -1 after a 400 invalid_cursor / invalid_limit.
 */
int al_query_page_by_id(al_exchange *x, char cursor[AL_ID_MAX + 1], long long *limit);

/*
 * A page's next_cursor: the last item's key when the page is full (n ==
 * limit), else null (the list has ended). n > 0 when full.
 */
json_t *al_page_next(size_t n, long long limit, const char *last);
json_t *al_page_next_id(size_t n, long long limit, int64_t last);

/* A query parameter copied into out (size bytes); false when absent or too long. */
bool al_query_param(const al_exchange *x, const char *name, char *out, size_t size);

/*
 * The next non-blank line of an NDJSON body from *pos (a CR before the LF
 * dropped): true with *text and *n set, *line its number from 1; false at the end.
 */
bool al_ndjson_next(const char *data, size_t len, size_t *pos, int *line, const char **text,
                    size_t *n);

/* A request header, or NULL. */
const char *al_header(const al_exchange *x, const char *name);

#endif
