/*
 * GET /v1/transactions, /v1/transactions/{id}, /v1/redemptions and
 * /v1/redemptions/{id} (partner): a partner reads back what it booked, its
 * own only (ledger/partner_reads.c scopes every read by the caller's key).
 */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "api/context.h"
#include "api/routes.h"
#include "api/statuses.h"
#include "core/ids.h"
#include "ledger/partner_reads.h"

/* A list's ?member_id=, ?since= and ?until= (RFC 3339) into f; 0, or -1 after a 400. */
static int read_filter(al_exchange *x, char member[AL_ID_MAX + 1], char since[27], char until[27],
                       al_read_filter *f)
{
    char text[AL_RFC3339_MAX + 8];
    *f = (al_read_filter){.since = since, .until = until};
    since[0] = until[0] = '\0';
    if (al_query_value(x, "member_id", member, AL_ID_MAX + 1)) {
        if (!al_id_valid(member)) {
            al_reply_error(x, 400, "invalid_parameter", "member_id must be a member id");
            return -1;
        }
        f->member = member;
    }
    if ((al_query_value(x, "since", text, sizeof(text)) && al_rfc3339_to_sql(text, since) != 0) ||
        (al_query_value(x, "until", text, sizeof(text)) && al_rfc3339_to_sql(text, until) != 0)) {
        al_reply_error(x, 400, "invalid_parameter", "since and until must be RFC 3339 times");
        return -1;
    }
    return 0;
}

static json_t *transaction_json(const al_transaction_view *t)
{
    json_t *detail = t->detail ? json_loads(t->detail, 0, NULL) : NULL;
    return json_pack("{s:s,s:s,s:I,s:I,s:I,s:s,s:I,s:I,s:s,s:s,s:o?}", "id", t->id, "member_id",
                     t->member, "points", (json_int_t)t->points, "qualifying_points",
                     (json_int_t)t->qualifying_points, "amount_minor", (json_int_t)t->amount_minor,
                     "currency", t->currency, "reversed_minor", (json_int_t)t->reversed_minor,
                     "reversed_points", (json_int_t)t->reversed_points, "occurred_at",
                     t->occurred_at, "booked_at", t->booked_at, "breakdown", detail);
}

static json_t *redemption_json(const al_redemption_view *r)
{
    return json_pack("{s:s,s:s,s:s,s:I,s:I,s:s?,s:s,s:s}", "id", r->id, "member_id", r->member,
                     "status", r->status, "points", (json_int_t)r->points, "captured_points",
                     (json_int_t)r->captured_points, "hold_expires_at",
                     r->hold_expires_at[0] ? r->hold_expires_at : NULL, "created_at", r->created_at,
                     "updated_at", r->updated_at);
}

void al_api_transaction_get(al_exchange *x)
{
    al_transaction_view t;
    bool found = false;
    al_db_status st =
        al_id_valid(x->params[0])
            ? al_transaction_read(al_db_of(x), x->tenant, x->partner, x->params[0], &t, &found)
            : AL_DB_OK;
    if (st != AL_DB_OK)
        al_reply_db_failure(x, st);
    else if (!found)
        al_reply_error(x, 404, "transaction_not_found", "no such transaction of this partner");
    else {
        al_reply_json(x, 200, transaction_json(&t));
        free(t.detail);
    }
}

/* GET /v1/transactions?member_id=&since=&until=&cursor=&limit=: in booking order. */
void al_api_transaction_list(al_exchange *x)
{
    char member[AL_ID_MAX + 1], since[27], until[27];
    al_read_filter f;
    long long cursor, limit;
    if (read_filter(x, member, since, until, &f) != 0 || al_query_page(x, &cursor, &limit) != 0)
        return;
    al_transaction_view *rows = NULL;
    size_t n = 0;
    al_db_status st =
        al_transactions_page(al_db_of(x), x->tenant, x->partner, &f, cursor, limit, &rows, &n);
    if (st != AL_DB_OK) {
        al_transaction_views_free(rows, n);
        al_reply_db_failure(x, st);
        return;
    }
    json_t *items = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(items, transaction_json(&rows[i]));
    json_t *next = al_page_next_id(n, limit, n ? rows[n - 1].booking_id : 0);
    al_transaction_views_free(rows, n);
    al_reply_json(x, 200, json_pack("{s:o,s:o}", "transactions", items, "next_cursor", next));
}

void al_api_redemption_get(al_exchange *x)
{
    al_redemption_view r;
    bool found = false;
    al_db_status st =
        al_id_valid(x->params[0])
            ? al_redemption_read(al_db_of(x), x->tenant, x->partner, x->params[0], &r, &found)
            : AL_DB_OK;
    if (st != AL_DB_OK)
        al_reply_db_failure(x, st);
    else if (!found)
        al_reply_error(x, 404, "redemption_not_found", "no such redemption of this partner");
    else
        al_reply_json(x, 200, redemption_json(&r));
}

/* GET /v1/redemptions?member_id=&since=&until=&cursor=&limit=: in the order they were made. */
void al_api_redemption_list(al_exchange *x)
{
    char member[AL_ID_MAX + 1], since[27], until[27];
    al_read_filter f;
    long long cursor, limit;
    if (read_filter(x, member, since, until, &f) != 0 || al_query_page(x, &cursor, &limit) != 0)
        return;
    al_redemption_view *rows = NULL;
    size_t n = 0;
    al_db_status st =
        al_redemptions_page(al_db_of(x), x->tenant, x->partner, &f, cursor, limit, &rows, &n);
    if (st != AL_DB_OK) {
        free(rows);
        al_reply_db_failure(x, st);
        return;
    }
    json_t *items = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(items, redemption_json(&rows[i]));
    json_t *next = al_page_next_id(n, limit, n ? rows[n - 1].seq : 0);
    free(rows);
    al_reply_json(x, 200, json_pack("{s:o,s:o}", "redemptions", items, "next_cursor", next));
}
