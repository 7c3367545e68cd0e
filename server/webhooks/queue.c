/* The delivery queue; see queue.h. */
#include "webhooks/queue.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <openssl/crypto.h>

#include "core/text.h"

#define MAX_BACKOFF_S 3600
#define PARKED "'9999-12-31 00:00:00'" /* next_at of a delivery behind another of its queue */

al_db_status al_outbox_fan_out(al_db *db, int limit, int *events)
{
    *events = 0;
    al_db_status st = al_db_exec(db, "START TRANSACTION", NULL, 0, NULL);
    al_db_param p[] = {AL_INT(limit)};
    MYSQL_RES *res = NULL;
    if (st == AL_DB_OK)
        st = al_db_exec(db,
                        "SELECT event_id FROM outbox WHERE fanned_out = 0 "
                        "ORDER BY event_id LIMIT ? FOR UPDATE",
                        p, 1, &res);
    /*
     * The ids read, named one by one: an event committed meanwhile with a
     * smaller id waits for the next round instead of being marked unread.
     */
    al_text ids = {0};
    MYSQL_ROW row;
    while (res != NULL && (row = mysql_fetch_row(res)) != NULL) {
        al_text_printf(&ids, "%s%s", *events ? "," : "", row[0]);
        (*events)++;
    }
    al_db_free_result(res);
    char *list = al_text_take(&ids);
    if (st == AL_DB_OK && *events > 0 && list == NULL)
        st = AL_DB_ERROR;
    if (st == AL_DB_OK && *events > 0) {
        char *sql = NULL;
        if (asprintf(
                &sql,
                "INSERT IGNORE INTO webhook_deliveries (tenant_id, webhook_id, event_id, "
                "member_id) SELECT o.tenant_id, w.webhook_id, o.event_id, o.member_id "
                "FROM outbox o JOIN webhooks w ON w.tenant_id = o.tenant_id "
                "AND w.status = 'active' AND (w.events = '*' OR FIND_IN_SET(o.type, w.events)) "
                "WHERE o.event_id IN (%s) ORDER BY o.event_id, w.webhook_id",
                list) < 0)
            st = AL_DB_ERROR;
        if (st == AL_DB_OK)
            st = al_db_exec(db, sql, NULL, 0, NULL);
        free(sql);
        sql = NULL;
        /* The new ones behind another of their queue wait for it (parked). */
        if (st == AL_DB_OK &&
            asprintf(&sql,
                     "UPDATE webhook_deliveries d JOIN (SELECT n.delivery_id FROM "
                     "webhook_deliveries n WHERE n.event_id IN (%s) AND n.status = 'pending' "
                     "AND EXISTS (SELECT 1 FROM webhook_deliveries e WHERE e.webhook_id = "
                     "n.webhook_id AND e.member_id = n.member_id AND e.status = 'pending' "
                     "AND e.delivery_id < n.delivery_id)) behind ON behind.delivery_id = "
                     "d.delivery_id SET d.next_at = " PARKED,
                     list) < 0)
            st = AL_DB_ERROR;
        if (st == AL_DB_OK)
            st = al_db_exec(db, sql, NULL, 0, NULL);
        free(sql);
        sql = NULL;
        if (st == AL_DB_OK &&
            asprintf(&sql, "UPDATE outbox SET fanned_out = 1 WHERE event_id IN (%s)", list) < 0)
            st = AL_DB_ERROR;
        if (st == AL_DB_OK)
            st = al_db_exec(db, sql, NULL, 0, NULL);
        free(sql);
    }
    free(list);
    if (st == AL_DB_OK)
        st = al_db_exec(db, "COMMIT", NULL, 0, NULL);
    if (st != AL_DB_OK) {
        al_db_exec(db, "ROLLBACK", NULL, 0, NULL);
        *events = 0;
    }
    return st;
}

/* The request body: the event's identity and its data. */
static char *event_body(MYSQL_ROW row)
{
    json_t *data = json_loads(row[9], 0, NULL);
    json_t *event =
        json_pack("{s:s+,s:s,s:s,s:s,s:o}", "id", "evt_", row[2], "type", row[7], "tenant", row[1],
                  "created_at", row[10], "data", data ? data : json_object());
    char *body = event ? json_dumps(event, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
    json_decref(event);
    return body;
}

/*
 * The heads of the queues (a webhook's member's oldest unsettled delivery;
 * the ones behind are parked) that are due, the longest due first, taken
 * round-robin across webhooks (each one's first, in a
 * random order, then each one's second...), at most PER_WEBHOOK of one: a
 * webhook with a backlog, or many that fail, do not hold the others up.
 */
#define PER_WEBHOOK 8
#define DUE_WINDOW "2000" /* the deliveries due longest looked at a time (an index range) */
/* clang-format off */
#define DUE_SQL                                                                            \
    "SELECT d.delivery_id, d.tenant_id, d.event_id, d.webhook_id, d.attempts, "            \
    "w.url, w.secret, o.type, o.member_id, o.data, " AL_SQL_RFC3339("o.created_at") " "    \
    "FROM (SELECT h.*, ROW_NUMBER() OVER (PARTITION BY h.webhook_id "                      \
    "ORDER BY h.delivery_id) AS turn FROM (SELECT c.* FROM webhook_deliveries c "          \
    "WHERE c.status = 'pending' AND c.next_at <= NOW(6) ORDER BY c.next_at "               \
    "LIMIT " DUE_WINDOW ") h WHERE NOT EXISTS ("                                           \
    "SELECT 1 FROM webhook_deliveries e WHERE e.webhook_id = h.webhook_id "                \
    "AND e.member_id = h.member_id AND e.status = 'pending' "                              \
    "AND e.delivery_id < h.delivery_id)) d "                                               \
    "JOIN webhooks w ON w.webhook_id = d.webhook_id "                                      \
    "JOIN outbox o ON o.event_id = d.event_id "                                            \
    "WHERE d.turn <= ? ORDER BY d.turn, RAND() LIMIT ?"
/* clang-format on */

al_db_status al_deliveries_due(al_db *db, const uint8_t master_key[AL_MASTER_KEY_BYTES], int limit,
                               al_due **out, size_t *n)
{
    *out = NULL;
    *n = 0;
    al_db_param p[] = {AL_INT(PER_WEBHOOK), AL_INT(limit)};
    MYSQL_RES *res = NULL;
    al_db_status st = al_db_exec(db, DUE_SQL, p, 2, &res);
    if (st != AL_DB_OK)
        return st;
    size_t rows = (size_t)mysql_num_rows(res);
    al_due *d = calloc(rows ? rows : 1, sizeof(*d));
    if (d == NULL) {
        al_db_free_result(res);
        return AL_DB_ERROR;
    }
    MYSQL_ROW row;
    size_t k = 0;
    while ((row = mysql_fetch_row(res)) != NULL) {
        al_due *e = &d[k];
        e->id = strtoll(row[0], NULL, 10);
        snprintf(e->tenant, sizeof(e->tenant), "%s", row[1]);
        snprintf(e->member, sizeof(e->member), "%s", row[8]);
        e->event_id = strtoll(row[2], NULL, 10);
        e->webhook_id = strtoll(row[3], NULL, 10);
        e->attempts = atoi(row[4]);
        snprintf(e->url, sizeof(e->url), "%s", row[5]);
        snprintf(e->type, sizeof(e->type), "%s", row[7]);
        char aad[128];
        snprintf(aad, sizeof(aad), "webhook:%s:%lld", e->tenant, (long long)e->webhook_id);
        bool opened = al_secret_open(master_key, aad, row[6], e->secret) == 0;
        e->body = opened ? event_body(row) : NULL;
        if (e->body == NULL) { /* it can never be signed and sent */
            al_attempt_result r = {.error = opened ? "out of memory" : "the secret does not open"};
            bool dead;
            al_delivery_record(db, e, &r, 1, 1, &dead);
            OPENSSL_cleanse(e->secret, sizeof(e->secret));
            continue;
        }
        k++;
    }
    al_db_free_result(res);
    *out = d;
    *n = k;
    return AL_DB_OK;
}

void al_due_free(al_due *d, size_t n)
{
    for (size_t i = 0; d != NULL && i < n; i++) {
        OPENSSL_cleanse(d[i].secret, sizeof(d[i].secret));
        free(d[i].body);
    }
    free(d);
}

al_db_status al_delivery_record(al_db *db, const al_due *d, const al_attempt_result *r,
                                int max_attempts, int backoff_s, bool *dead)
{
    int tries = d->attempts + 1;
    bool delivered = r->error == NULL;
    *dead = !delivered && tries >= max_attempts;
    int64_t wait = backoff_s;
    for (int i = 1; i < tries && wait < MAX_BACKOFF_S; i++)
        wait *= 2;
    if (wait > MAX_BACKOFF_S)
        wait = MAX_BACKOFF_S;
    const char *status = delivered ? "delivered" : *dead ? "dead" : "pending";
    al_db_param u[] = {
        AL_STR(status),    AL_INT(tries), AL_INT(r->http_status), AL_STR_OR_NULL(r->error),
        AL_INT(delivered), AL_INT(wait),  AL_INT(d->id)};
    al_db_status st = al_db_exec(db, "START TRANSACTION", NULL, 0, NULL);
    if (st == AL_DB_OK)
        st = al_db_exec(db,
                        "UPDATE webhook_deliveries SET status = ?, attempts = ?, "
                        "last_status = NULLIF(?, 0), last_error = ?, "
                        "delivered_at = IF(?, NOW(6), NULL), next_at = NOW(6) + INTERVAL ? SECOND "
                        "WHERE delivery_id = ? AND status = 'pending'",
                        u, 7, NULL);
    al_db_param a[] = {AL_INT(d->id), AL_INT(r->http_status), AL_STR_OR_NULL(r->error),
                       AL_INT(r->took_ms)};
    if (st == AL_DB_OK)
        st = al_db_exec(db,
                        "INSERT INTO webhook_attempts (delivery_id, http_status, error, took_ms) "
                        "VALUES (?, NULLIF(?, 0), ?, ?)",
                        a, 4, NULL);
    /* Settled: the next of its queue is due now. */
    al_db_param q[] = {AL_INT(d->webhook_id), AL_STR(d->member)};
    if (st == AL_DB_OK && (delivered || *dead))
        st = al_db_exec(db,
                        "UPDATE webhook_deliveries SET next_at = NOW(6) WHERE webhook_id = ? "
                        "AND member_id = ? AND status = 'pending' AND next_at = " PARKED " "
                        "ORDER BY delivery_id LIMIT 1",
                        q, 2, NULL);
    if (st == AL_DB_OK)
        st = al_db_exec(db, "COMMIT", NULL, 0, NULL);
    if (st != AL_DB_OK)
        al_db_exec(db, "ROLLBACK", NULL, 0, NULL);
    return st;
}
