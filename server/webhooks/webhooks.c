/* Webhook subscriptions and deliveries; see webhooks.h. */
#include "webhooks/webhooks.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "core/ids.h"

/* What a webhook's secret is sealed to: its tenant and id. */
static void secret_aad(char out[128], const char *tenant, int64_t id)
{
    snprintf(out, 128, "webhook:%s:%lld", tenant, (long long)id);
}

al_db_status al_webhook_create(al_db *db, const uint8_t master_key[AL_MASTER_KEY_BYTES],
                               const char *tenant, const char *url, const char *events, int64_t *id,
                               char secret[AL_SECRET_LEN + 1])
{
    char sealed[AL_SEALED_HEX_LEN + 1], aad[128];
    if (al_random_hex(secret, AL_SECRET_LEN / 2) != 0)
        return AL_DB_ERROR;
    al_db_param p[] = {AL_STR(tenant), AL_STR(url), AL_STR(events)};
    al_db_status st = al_db_exec(db, "START TRANSACTION", NULL, 0, NULL);
    if (st == AL_DB_OK)
        st = al_db_exec(
            db, "INSERT INTO webhooks (tenant_id, url, events, secret) VALUES (?, ?, ?, '')", p, 3,
            NULL);
    *id = (int64_t)al_db_insert_id(db);
    secret_aad(aad, tenant, *id);
    if (st == AL_DB_OK && al_secret_seal(master_key, aad, secret, sealed) != 0)
        st = AL_DB_ERROR;
    al_db_param u[] = {AL_STR(sealed), AL_INT(*id)};
    if (st == AL_DB_OK)
        st = al_db_exec(db, "UPDATE webhooks SET secret = ? WHERE webhook_id = ?", u, 2, NULL);
    if (st == AL_DB_OK)
        st = al_db_exec(db, "COMMIT", NULL, 0, NULL);
    if (st != AL_DB_OK) {
        al_db_exec(db, "ROLLBACK", NULL, 0, NULL);
        OPENSSL_cleanse(secret, AL_SECRET_LEN + 1);
    }
    return st;
}

#define WEBHOOK_COLUMNS                                                                            \
    "SELECT webhook_id, url, events, status, " AL_SQL_RFC3339_S("created_at") " FROM webhooks "

static int webhook_of(MYSQL_ROW row, void *element)
{
    al_webhook *w = element;
    w->id = strtoll(row[0], NULL, 10);
    snprintf(w->url, sizeof(w->url), "%s", row[1]);
    snprintf(w->events, sizeof(w->events), "%s", row[2]);
    snprintf(w->status, sizeof(w->status), "%s", row[3]);
    snprintf(w->created_at, sizeof(w->created_at), "%s", row[4]);
    return 0;
}

al_db_status al_webhook_get(al_db *db, const char *tenant, int64_t id, al_webhook *out, bool *found)
{
    al_db_param p[] = {AL_STR(tenant), AL_INT(id)};
    void *list = NULL;
    size_t n = 0;
    al_db_status st = al_db_list(db, WEBHOOK_COLUMNS "WHERE tenant_id = ? AND webhook_id = ?", p, 2,
                                 sizeof(*out), webhook_of, &list, &n);
    *found = st == AL_DB_OK && n == 1;
    if (*found)
        *out = *(al_webhook *)list;
    free(list);
    return st;
}

al_db_status al_webhooks_page(al_db *db, const char *tenant, int64_t after, int64_t limit,
                              al_webhook **out, size_t *n)
{
    al_db_param p[] = {AL_STR(tenant), AL_INT(after), AL_INT(limit)};
    void *list = NULL;
    al_db_status st = al_db_list(db,
                                 WEBHOOK_COLUMNS "WHERE tenant_id = ? AND webhook_id > ? "
                                                 "ORDER BY webhook_id LIMIT ?",
                                 p, 3, sizeof(**out), webhook_of, &list, n);
    *out = list;
    return st;
}

al_db_status al_webhook_update(al_db *db, const char *tenant, int64_t id, const char *url,
                               const char *events, const char *status, bool *found)
{
    al_db_param p[] = {AL_STR_OR_NULL(url), AL_STR_OR_NULL(events), AL_STR_OR_NULL(status),
                       AL_STR(tenant), AL_INT(id)};
    al_db_status st = al_db_exec(db,
                                 "UPDATE webhooks SET url = IFNULL(?, url), "
                                 "events = IFNULL(?, events), status = IFNULL(?, status) "
                                 "WHERE tenant_id = ? AND webhook_id = ?",
                                 p, 5, NULL);
    *found = st == AL_DB_OK && al_db_affected(db) > 0;
    return st;
}

al_db_status al_webhook_delete(al_db *db, const char *tenant, int64_t id, bool *found)
{
    al_db_param p[] = {AL_STR(tenant), AL_INT(id)};
    al_db_status st = al_db_exec(db, "START TRANSACTION", NULL, 0, NULL);
    if (st == AL_DB_OK)
        st = al_db_exec(db, "DELETE FROM webhooks WHERE tenant_id = ? AND webhook_id = ?", p, 2,
                        NULL);
    *found = st == AL_DB_OK && al_db_affected(db) > 0;
    if (st == AL_DB_OK && *found)
        st = al_db_exec(db,
                        "DELETE FROM webhook_deliveries WHERE tenant_id = ? AND webhook_id = ? "
                        "AND status = 'pending'",
                        p, 2, NULL);
    if (st == AL_DB_OK)
        st = al_db_exec(db, "COMMIT", NULL, 0, NULL);
    if (st != AL_DB_OK)
        al_db_exec(db, "ROLLBACK", NULL, 0, NULL);
    return st;
}

/* clang-format off */
#define DELIVERY_COLUMNS                                                                   \
    "SELECT d.delivery_id, d.webhook_id, d.event_id, o.type, d.member_id, d.status, "      \
    "d.attempts, IFNULL(d.last_status, 0), IFNULL(d.last_error, ''), "                     \
    AL_SQL_RFC3339("d.created_at") ", " AL_SQL_RFC3339("d.next_at") ", "                   \
    "IFNULL(" AL_SQL_RFC3339("d.delivered_at") ", '') "                                    \
    "FROM webhook_deliveries d JOIN outbox o ON o.event_id = d.event_id "
/* clang-format on */

static int delivery_of(MYSQL_ROW row, void *element)
{
    al_delivery *d = element;
    d->id = strtoll(row[0], NULL, 10);
    d->webhook_id = strtoll(row[1], NULL, 10);
    d->event_id = strtoll(row[2], NULL, 10);
    snprintf(d->type, sizeof(d->type), "%s", row[3]);
    snprintf(d->member, sizeof(d->member), "%s", row[4]);
    snprintf(d->status, sizeof(d->status), "%s", row[5]);
    d->attempts = atoi(row[6]);
    d->last_status = atoi(row[7]);
    snprintf(d->last_error, sizeof(d->last_error), "%s", row[8]);
    snprintf(d->created_at, sizeof(d->created_at), "%s", row[9]);
    snprintf(d->next_at, sizeof(d->next_at), "%s", row[10]);
    snprintf(d->delivered_at, sizeof(d->delivered_at), "%s", row[11]);
    return 0;
}

al_db_status al_deliveries_page(al_db *db, const char *tenant, int64_t webhook, const char *status,
                                int64_t after, int64_t limit, al_delivery **out, size_t *n)
{
    al_db_param p[] = {AL_STR(tenant), AL_INT(webhook), AL_INT(after),
                       AL_STR(status), AL_STR(status),  AL_INT(limit)};
    void *list = NULL;
    al_db_status st = al_db_list(db,
                                 DELIVERY_COLUMNS "WHERE d.tenant_id = ? AND d.webhook_id = ? "
                                                  "AND d.delivery_id > ? "
                                                  "AND (? = '' OR d.status = ?) "
                                                  "ORDER BY d.delivery_id LIMIT ?",
                                 p, 6, sizeof(**out), delivery_of, &list, n);
    *out = list;
    return st;
}

al_db_status al_delivery_get(al_db *db, const char *tenant, int64_t webhook, int64_t id,
                             al_delivery *out, bool *found)
{
    al_db_param p[] = {AL_STR(tenant), AL_INT(webhook), AL_INT(id)};
    void *list = NULL;
    size_t n = 0;
    al_db_status st = al_db_list(db,
                                 DELIVERY_COLUMNS "WHERE d.tenant_id = ? AND d.webhook_id = ? "
                                                  "AND d.delivery_id = ?",
                                 p, 3, sizeof(*out), delivery_of, &list, &n);
    *found = st == AL_DB_OK && n == 1;
    if (*found)
        *out = *(al_delivery *)list;
    free(list);
    return st;
}

static int attempt_of(MYSQL_ROW row, void *element)
{
    al_attempt *a = element;
    snprintf(a->at, sizeof(a->at), "%s", row[0]);
    a->http_status = atoi(row[1]);
    snprintf(a->error, sizeof(a->error), "%s", row[2]);
    a->took_ms = atoi(row[3]);
    return 0;
}

al_db_status al_delivery_attempts(al_db *db, int64_t delivery, al_attempt **out, size_t *n)
{
    al_db_param p[] = {AL_INT(delivery)};
    void *list = NULL;
    al_db_status st = al_db_list(
        db,
        "SELECT " AL_SQL_RFC3339("at") ", IFNULL(http_status, 0), "
                                       "IFNULL(error, ''), took_ms FROM webhook_attempts "
                                       "WHERE delivery_id = ? ORDER BY attempt_id",
        p, 1, sizeof(**out), attempt_of, &list, n);
    *out = list;
    return st;
}

al_db_status al_delivery_resend(al_db *db, const char *tenant, int64_t webhook, int64_t id,
                                bool *found)
{
    al_db_param p[] = {AL_STR(tenant), AL_INT(webhook), AL_INT(id)};
    al_db_status st = al_db_exec(db,
                                 "UPDATE webhook_deliveries SET status = 'pending', attempts = 0, "
                                 "next_at = NOW(6), delivered_at = NULL "
                                 "WHERE tenant_id = ? AND webhook_id = ? AND delivery_id = ?",
                                 p, 3, NULL);
    *found = st == AL_DB_OK && al_db_affected(db) > 0;
    return st;
}

al_db_status al_deliveries_counts(al_db *db, int64_t *pending, int64_t *dead)
{
    bool found = false;
    al_db_status st =
        al_db_int(db, "SELECT COUNT(*) FROM webhook_deliveries WHERE status = 'pending'", NULL, 0,
                  pending, &found);
    if (st == AL_DB_OK)
        st = al_db_int(db, "SELECT COUNT(*) FROM webhook_deliveries WHERE status = 'dead'", NULL, 0,
                       dead, &found);
    return st;
}
