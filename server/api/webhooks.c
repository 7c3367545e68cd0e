/*
 * /v1/webhooks (tenant admin): subscriptions to the tenant's events, their
 * deliveries and attempts, and sending one again. docs/webhooks.md has the
 * events, the signature and the delivery rules.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <openssl/crypto.h>

#include "api/audit.h"
#include "api/context.h"
#include "api/routes.h"
#include "api/statuses.h"
#include "core/ids.h"
#include "core/text.h"
#include "webhooks/outbox.h"
#include "webhooks/webhooks.h"

/* Whether url is an absolute http(s) URL with a host, in printable ASCII. */
static bool url_valid(const char *url)
{
    size_t n = strlen(url);
    const char *host = strncmp(url, "http://", 7) == 0    ? url + 7
                       : strncmp(url, "https://", 8) == 0 ? url + 8
                                                          : NULL;
    if (host == NULL || n > AL_WEBHOOK_URL_MAX || *host == '\0' || *host == '/' || *host == ':')
        return false;
    for (const char *c = url; *c; c++)
        if (*c <= ' ' || *c >= 127)
            return false;
    return true;
}

/* body.url when given (NULL when not); 0, or -1 after a 400. */
static int url_of(al_exchange *x, json_t *body, const char **out)
{
    *out = NULL;
    if (json_object_get(body, "url") == NULL)
        return 0;
    if (al_body_string(x, body, "url", AL_WEBHOOK_URL_MAX, out) != 0)
        return -1;
    if (!url_valid(*out)) {
        al_reply_error(x, 400, "invalid_url", "url must be an http:// or https:// URL");
        return -1;
    }
    return 0;
}

/* body.events (["*"] or event types) as a comma list into *out (malloc'd); 0, or -1 after a 400. */
static int events_of(al_exchange *x, json_t *body, char **out)
{
    *out = NULL;
    json_t *events = json_object_get(body, "events");
    if (events == NULL)
        return 0;
    size_t i;
    json_t *e;
    al_text list = {0};
    bool ok = json_is_array(events) && json_array_size(events) > 0;
    json_array_foreach (events, i, e) {
        const char *type = json_string_value(e);
        ok = ok && type != NULL &&
             (strcmp(type, "*") == 0 ? json_array_size(events) == 1 : al_event_type_valid(type));
        if (ok)
            al_text_printf(&list, "%s%s", i ? "," : "", type);
    }
    *out = al_text_take(&list);
    if (!ok || *out == NULL || strlen(*out) > AL_WEBHOOK_EVENTS_MAX) {
        free(*out);
        *out = NULL;
        al_reply_error(x, 400, "invalid_events",
                       "events must be [\"*\"] or a list of event types (docs/webhooks.md)");
        return -1;
    }
    return 0;
}

static json_t *events_json(const char *list)
{
    json_t *a = json_array();
    char copy[AL_WEBHOOK_EVENTS_MAX + 1];
    snprintf(copy, sizeof(copy), "%s", list);
    char *save = NULL;
    for (char *t = strtok_r(copy, ",", &save); t != NULL; t = strtok_r(NULL, ",", &save))
        json_array_append_new(a, json_string(t));
    return a;
}

static json_t *webhook_json(const al_webhook *w)
{
    return json_pack("{s:I,s:s,s:o,s:s,s:s}", "id", (json_int_t)w->id, "url", w->url, "events",
                     events_json(w->events), "status", w->status, "created_at", w->created_at);
}

/* The webhook named by the path (params[0]); -1 after a 404 or 503. */
static int webhook_found(al_exchange *x, al_webhook *w)
{
    long long id = 0;
    bool found = false;
    al_db_status st = al_parse_int(x->params[0], 1, INT64_MAX, &id)
                          ? al_webhook_get(al_db_of(x), x->tenant, id, w, &found)
                          : AL_DB_OK;
    if (st != AL_DB_OK) {
        al_reply_db_failure(x, st);
        return -1;
    }
    if (!found) {
        al_reply_error(x, 404, "webhook_not_found", "no such webhook");
        return -1;
    }
    return 0;
}

/* POST /v1/webhooks {"url", "events"}: the secret is in this answer only. */
void al_api_webhook_create(al_exchange *x)
{
    static const char *const fields[] = {"url", "events", NULL};
    json_t *body = NULL;
    const char *url;
    char *events = NULL;
    if (al_body_object(x, &body) != 0)
        return;
    if (al_body_only(x, body, fields) != 0 || url_of(x, body, &url) != 0 ||
        events_of(x, body, &events) != 0)
        goto done;
    if (url == NULL || events == NULL) {
        al_reply_error(x, 400, "missing_field", "url and events are required");
        goto done;
    }
    if (!al_ctx_of(x)->keys->has_master_key) {
        al_reply_error(x, 503, "master_key_missing",
                       "the server has no master_key: secrets cannot be kept");
        goto done;
    }
    int64_t id = 0;
    char secret[AL_SECRET_LEN + 1];
    al_db_status st = al_webhook_create(al_db_of(x), al_ctx_of(x)->keys->master_key, x->tenant, url,
                                        events, &id, secret);
    al_webhook w;
    bool found = false;
    if (st == AL_DB_OK)
        st = al_webhook_get(al_db_of(x), x->tenant, id, &w, &found);
    if (st != AL_DB_OK || !found) {
        al_reply_db_failure(x, st != AL_DB_OK ? st : AL_DB_ERROR);
        goto done;
    }
    char target[24];
    snprintf(target, sizeof(target), "%lld", (long long)id);
    al_api_audit(x, x->tenant, "webhook.create", target, NULL,
                 json_pack("{s:s,s:s}", "url", url, "events", events));
    json_t *reply = webhook_json(&w);
    json_object_set_new(reply, "secret", json_string(secret));
    OPENSSL_cleanse(secret, sizeof(secret));
    al_reply_json(x, 201, reply);
done:
    free(events);
    json_decref(body);
}

/* GET /v1/webhooks?cursor=&limit= */
void al_api_webhook_list(al_exchange *x)
{
    long long cursor, limit;
    if (al_query_page(x, &cursor, &limit) != 0)
        return;
    al_webhook *rows = NULL;
    size_t n = 0;
    al_db_status st = al_webhooks_page(al_db_of(x), x->tenant, cursor, limit, &rows, &n);
    if (st != AL_DB_OK) {
        free(rows);
        al_reply_db_failure(x, st);
        return;
    }
    json_t *items = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(items, webhook_json(&rows[i]));
    json_t *next = al_page_next_id(n, limit, n ? rows[n - 1].id : 0);
    free(rows);
    al_reply_json(x, 200, json_pack("{s:o,s:o}", "webhooks", items, "next_cursor", next));
}

void al_api_webhook_get(al_exchange *x)
{
    al_webhook w;
    if (webhook_found(x, &w) == 0)
        al_reply_json(x, 200, webhook_json(&w));
}

/* PATCH /v1/webhooks/{id} {"url", "events", "status": "active" | "disabled"} */
void al_api_webhook_patch(al_exchange *x)
{
    static const char *const fields[] = {"url", "events", "status", NULL};
    json_t *body = NULL;
    const char *url = NULL, *status = NULL;
    char *events = NULL;
    al_webhook w;
    if (webhook_found(x, &w) != 0 || al_body_object(x, &body) != 0)
        goto done;
    if (al_body_only(x, body, fields) != 0 || url_of(x, body, &url) != 0 ||
        events_of(x, body, &events) != 0)
        goto done;
    if (json_object_get(body, "status") != NULL &&
        (al_body_string(x, body, "status", 16, &status) != 0 ||
         (strcmp(status, "active") != 0 && strcmp(status, "disabled") != 0))) {
        if (status != NULL)
            al_reply_error(x, 400, "invalid_field", "status must be active or disabled");
        goto done;
    }
    bool found = false;
    al_db_status st = al_webhook_update(al_db_of(x), x->tenant, w.id, url, events, status, &found);
    al_webhook after;
    if (st == AL_DB_OK)
        st = al_webhook_get(al_db_of(x), x->tenant, w.id, &after, &found);
    if (st != AL_DB_OK || !found) {
        if (st != AL_DB_OK)
            al_reply_db_failure(x, st);
        else
            al_reply_error(x, 404, "webhook_not_found", "no such webhook");
        goto done;
    }
    al_api_audit(x, x->tenant, "webhook.update", x->params[0], webhook_json(&w),
                 webhook_json(&after));
    al_reply_json(x, 200, webhook_json(&after));
done:
    free(events);
    json_decref(body);
}

void al_api_webhook_delete(al_exchange *x)
{
    al_webhook w;
    if (webhook_found(x, &w) != 0)
        return;
    bool found = false;
    al_db_status st = al_webhook_delete(al_db_of(x), x->tenant, w.id, &found);
    if (st != AL_DB_OK) {
        al_reply_db_failure(x, st);
        return;
    }
    al_api_audit(x, x->tenant, "webhook.delete", x->params[0], webhook_json(&w), NULL);
    al_reply_json(x, 200, json_pack("{s:I,s:b}", "id", (json_int_t)w.id, "deleted", found));
}

static json_t *delivery_json(const al_delivery *d)
{
    return json_pack("{s:I,s:I,s:o,s:s,s:s?,s:s,s:i,s:o,s:s?,s:s,s:s,s:s?}", "id",
                     (json_int_t)d->id, "webhook_id", (json_int_t)d->webhook_id, "event_id",
                     json_sprintf("evt_%lld", (long long)d->event_id), "type", d->type, "member",
                     d->member[0] ? d->member : NULL, "status", d->status, "attempts", d->attempts,
                     "last_status", d->last_status ? json_integer(d->last_status) : json_null(),
                     "last_error", d->last_error[0] ? d->last_error : NULL, "created_at",
                     d->created_at, "next_at", d->next_at, "delivered_at",
                     d->delivered_at[0] ? d->delivered_at : NULL);
}

/* GET /v1/webhooks/{id}/deliveries?status=&cursor=&limit= */
void al_api_webhook_deliveries(al_exchange *x)
{
    al_webhook w;
    char status[16] = "";
    long long cursor, limit;
    if (webhook_found(x, &w) != 0 || al_query_page(x, &cursor, &limit) != 0)
        return;
    if (al_query_value(x, "status", status, sizeof(status)) && strcmp(status, "pending") != 0 &&
        strcmp(status, "delivered") != 0 && strcmp(status, "dead") != 0) {
        al_reply_error(x, 400, "invalid_parameter", "status must be pending, delivered or dead");
        return;
    }
    al_delivery *rows = NULL;
    size_t n = 0;
    al_db_status st =
        al_deliveries_page(al_db_of(x), x->tenant, w.id, status, cursor, limit, &rows, &n);
    if (st != AL_DB_OK) {
        free(rows);
        al_reply_db_failure(x, st);
        return;
    }
    json_t *items = json_array();
    for (size_t i = 0; i < n; i++) {
        json_array_append_new(items, delivery_json(&rows[i]));
    }
    json_t *next = al_page_next_id(n, limit, n ? rows[n - 1].id : 0);
    free(rows);
    al_reply_json(x, 200, json_pack("{s:o,s:o}", "deliveries", items, "next_cursor", next));
}

/* The delivery named by the path (params[1]) of webhook w; -1 after a 404 or 503. */
static int delivery_found(al_exchange *x, const al_webhook *w, al_delivery *d)
{
    long long id = 0;
    bool found = false;
    al_db_status st = al_parse_int(x->params[1], 1, INT64_MAX, &id)
                          ? al_delivery_get(al_db_of(x), x->tenant, w->id, id, d, &found)
                          : AL_DB_OK;
    if (st != AL_DB_OK) {
        al_reply_db_failure(x, st);
        return -1;
    }
    if (!found) {
        al_reply_error(x, 404, "delivery_not_found", "no such delivery of this webhook");
        return -1;
    }
    return 0;
}

/* GET /v1/webhooks/{id}/deliveries/{delivery}: with every attempt. */
void al_api_webhook_delivery(al_exchange *x)
{
    al_webhook w;
    al_delivery d;
    if (webhook_found(x, &w) != 0 || delivery_found(x, &w, &d) != 0)
        return;
    al_attempt *attempts = NULL;
    size_t n = 0;
    al_db_status st = al_delivery_attempts(al_db_of(x), d.id, &attempts, &n);
    if (st != AL_DB_OK) {
        free(attempts);
        al_reply_db_failure(x, st);
        return;
    }
    json_t *list = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(
            list,
            json_pack("{s:s,s:o,s:s?,s:i}", "at", attempts[i].at, "http_status",
                      attempts[i].http_status ? json_integer(attempts[i].http_status) : json_null(),
                      "error", attempts[i].error[0] ? attempts[i].error : NULL, "took_ms",
                      attempts[i].took_ms));
    free(attempts);
    json_t *j = delivery_json(&d);
    json_object_set_new(j, "attempts_log", list);
    al_reply_json(x, 200, j);
}

/* POST /v1/webhooks/{id}/deliveries/{delivery}/resend: pending again, now. */
void al_api_webhook_resend(al_exchange *x)
{
    al_webhook w;
    al_delivery d;
    if (webhook_found(x, &w) != 0 || delivery_found(x, &w, &d) != 0)
        return;
    bool found = false;
    al_db_status st = al_delivery_resend(al_db_of(x), x->tenant, w.id, d.id, &found);
    if (st == AL_DB_OK)
        st = al_delivery_get(al_db_of(x), x->tenant, w.id, d.id, &d, &found);
    if (st != AL_DB_OK) {
        al_reply_db_failure(x, st);
        return;
    }
    al_api_audit(x, x->tenant, "webhook.resend", x->params[0], NULL,
                 json_pack("{s:I}", "delivery", (json_int_t)d.id));
    json_t *j = delivery_json(&d);
    al_reply_json(x, 200, j);
}
