/* Replies, the error envelope and body parsing; see exchange.h. */
#include "http/exchange.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/keyvalq_struct.h>

#include "core/ids.h"
#include "core/log.h"
#include "core/metrics.h"
#include "http/server.h"
#include "http/worker.h"

static int64_t micros_since(const struct timespec *t0)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (int64_t)(now.tv_sec - t0->tv_sec) * 1000000 + (now.tv_nsec - t0->tv_nsec) / 1000;
}

static void send_reply(al_exchange *x, int status, const char *content_type, const char *body,
                       size_t len)
{
    if (x->sub) { /* a batch line: the batch sends one reply for all */
        x->sub_done(x, status, strndup(body, len));
        return;
    }
    struct evkeyvalq *h = evhttp_request_get_output_headers(x->req);
    evhttp_add_header(h, "Content-Type", content_type);
    evhttp_add_header(h, "X-Request-Id", x->request_id);
    if (al_http_worker_stopping(x->worker)) /* its answer closes the connection */
        evhttp_add_header(h, "Connection", "close");
    if (evhttp_request_get_command(x->req) == EVHTTP_REQ_HEAD) {
        /* The headers a GET would have, no body (evhttp 2.1 would send it). */
        char n[24];
        snprintf(n, sizeof(n), "%zu", len);
        evhttp_add_header(h, "Content-Length", n);
    } else {
        evbuffer_add(evhttp_request_get_output_buffer(x->req), body, len);
    }
    evhttp_send_reply(x->req, status, NULL, NULL);
    int64_t micros = micros_since(&x->started);
    al_log_request(x->request_id, x->method, x->path, status, micros,
                   x->tenant[0] ? x->tenant : NULL);
    al_metrics_request(x->method, x->route, status, micros);
    al_http_request_done(x->worker);
    free(x);
}

void al_reply_json(al_exchange *x, int status, json_t *body)
{
    char *text = NULL;
    if (body != NULL) {
        text = json_dumps(body, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(12));
        json_decref(body);
        if (text == NULL) {
            static const char oom[] =
                "{\"error\":{\"code\":\"internal_error\",\"message\":\"out of memory\"}}";
            send_reply(x, 500, "application/json", oom, sizeof(oom) - 1);
            return;
        }
    }
    send_reply(x, status, "application/json", text ? text : "", text ? strlen(text) : 0);
    free(text);
}

void al_reply_text(al_exchange *x, int status, const char *content_type, const char *text,
                   size_t len)
{
    send_reply(x, status, content_type, text, len);
}

void al_reply_raw(al_exchange *x, int status, const char *json_text)
{
    send_reply(x, status, "application/json", json_text, strlen(json_text));
}

json_t *al_error_envelope(const char *code, const char *message)
{
    return json_pack("{s:{s:s,s:s}}", "error", "code", code, "message", message);
}

void al_reply_error(al_exchange *x, int status, const char *code, const char *fmt, ...)
{
    char message[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(message, sizeof(message), fmt, ap);
    va_end(ap);
    al_reply_json(x, status, al_error_envelope(code, message));
}

int al_body_object(al_exchange *x, json_t **out)
{
    struct evbuffer *in = evhttp_request_get_input_buffer(x->req);
    size_t len = x->sub ? x->sub_len : evbuffer_get_length(in);
    const char *data = x->sub ? x->sub_body : (const char *)evbuffer_pullup(in, -1);
    json_error_t err;
    json_t *root = len ? json_loadb(data, len, JSON_REJECT_DUPLICATES, &err) : NULL;
    if (root == NULL) {
        al_reply_error(x, 400, "invalid_json", "the body is not valid JSON%s%s",
                       len ? ": " : " (empty)", len ? err.text : "");
        return -1;
    }
    if (!json_is_object(root)) {
        json_decref(root);
        al_reply_error(x, 400, "invalid_json", "the body must be a JSON object");
        return -1;
    }
    *out = root;
    return 0;
}

int al_body_only(al_exchange *x, json_t *obj, const char *const *allowed)
{
    const char *key;
    json_t *value;
    json_object_foreach (obj, key, value) {
        (void)value;
        const char *const *a = allowed;
        while (*a != NULL && strcmp(*a, key) != 0)
            a++;
        if (*a == NULL) {
            al_reply_error(x, 400, "unknown_field", "unknown field: %.64s", key);
            return -1;
        }
    }
    return 0;
}

static json_t *required(al_exchange *x, json_t *obj, const char *field)
{
    json_t *v = json_object_get(obj, field);
    if (v == NULL)
        al_reply_error(x, 400, "missing_field", "%s is required", field);
    else if (!json_is_string(v)) {
        al_reply_error(x, 400, "invalid_field", "%s must be a string", field);
        v = NULL;
    }
    return v;
}

int al_body_id(al_exchange *x, json_t *obj, const char *field, const char **out)
{
    json_t *v = required(x, obj, field);
    if (v == NULL)
        return -1;
    if (!al_id_valid(json_string_value(v))) {
        al_reply_error(x, 400, "invalid_field", "%s must match [A-Za-z0-9._:-]{1,64}", field);
        return -1;
    }
    *out = json_string_value(v);
    return 0;
}

int al_body_string(al_exchange *x, json_t *obj, const char *field, size_t max_len, const char **out)
{
    json_t *v = required(x, obj, field);
    if (v == NULL)
        return -1;
    size_t len = json_string_length(v);
    if (len == 0 || len > max_len || memchr(json_string_value(v), '\0', len) != NULL) {
        al_reply_error(x, 400, "invalid_field", "%s must be 1 to %zu bytes of UTF-8", field,
                       max_len);
        return -1;
    }
    *out = json_string_value(v);
    return 0;
}

const char *al_header(const al_exchange *x, const char *name)
{
    return evhttp_find_header(evhttp_request_get_input_headers(x->req), name);
}

/* A query parameter into out: -1 absent, 0 copied, 1 longer than out ("" copied). */
static int query_lookup(const al_exchange *x, const char *name, char *out, size_t size)
{
    const char *query = evhttp_uri_get_query(evhttp_request_get_evhttp_uri(x->req));
    struct evkeyvalq params;
    if (query == NULL || evhttp_parse_query_str(query, &params) != 0)
        return -1;
    const char *v = evhttp_find_header(&params, name);
    int rc = v == NULL ? -1 : strlen(v) < size ? 0 : 1;
    if (rc >= 0)
        snprintf(out, size, "%s", rc == 0 ? v : "");
    evhttp_clear_headers(&params);
    return rc;
}

bool al_query_value(const al_exchange *x, const char *name, char *out, size_t size)
{
    return query_lookup(x, name, out, size) >= 0;
}

bool al_query_param(const al_exchange *x, const char *name, char *out, size_t size)
{
    return query_lookup(x, name, out, size) == 0;
}

bool al_ndjson_next(const char *data, size_t len, size_t *pos, int *line, const char **text,
                    size_t *n)
{
    while (*pos < len) {
        const char *start = data + *pos;
        const char *nl = memchr(start, '\n', len - *pos);
        size_t k = nl ? (size_t)(nl - start) : len - *pos;
        *pos += k + (nl != NULL);
        (*line)++;
        if (k > 0 && start[k - 1] == '\r')
            k--;
        size_t blank = 0;
        while (blank < k && (start[blank] == ' ' || start[blank] == '\t'))
            blank++;
        if (blank < k) {
            *text = start;
            *n = k;
            return true;
        }
    }
    return false;
}

int al_query_limit(al_exchange *x, long long *limit)
{
    char text[32];
    *limit = AL_PAGE_DEFAULT;
    if (al_query_value(x, "limit", text, sizeof(text)) &&
        !al_parse_int(text, 1, AL_PAGE_MAX, limit)) {
        al_reply_error(x, 400, "invalid_limit", "limit must be 1 to %d", AL_PAGE_MAX);
        return -1;
    }
    return 0;
}

static int bad_cursor(al_exchange *x)
{
    al_reply_error(x, 400, "invalid_cursor", "cursor must be a next_cursor of this list");
    return -1;
}

json_t *al_page_next(size_t n, long long limit, const char *last)
{
    return (long long)n == limit && last != NULL ? json_string(last) : json_null();
}

json_t *al_page_next_id(size_t n, long long limit, int64_t last)
{
    return (long long)n == limit ? json_sprintf("%lld", (long long)last) : json_null();
}

int al_query_page(al_exchange *x, long long *cursor, long long *limit)
{
    char text[32];
    *cursor = 0;
    if (al_query_value(x, "cursor", text, sizeof(text)) &&
        !al_parse_int(text, 1, INT64_MAX, cursor))
        return bad_cursor(x);
    return al_query_limit(x, limit);
}

int al_query_page_by_id(al_exchange *x, char cursor[AL_ID_MAX + 1], long long *limit)
{
    cursor[0] = '\0';
    if (al_query_value(x, "cursor", cursor, AL_ID_MAX + 1) && !al_id_valid(cursor))
        return bad_cursor(x);
    return al_query_limit(x, limit);
}
