/*
 * Redemptions at a partner: spend at once ("capture": true, the default) or
 * hold ("capture": false, for "hold_seconds", default 900) until captured
 * (all or part), voided, or lapsed.
 */
#include <string.h>

#include <event2/buffer.h>
#include <jansson.h>

#include "api/booking.h"
#include "api/context.h"
#include "api/routes.h"
#include "api/statuses.h"
#include "core/limits.h"

#define DEFAULT_HOLD_S 900
#define MAX_HOLD_S 2592000 /* 30 days */

static bool redeem(al_db *db, void *arg, al_outcome *o)
{
    return al_ledger_redeem(db, arg, o);
}

static void describe_redeem(void *arg, al_job_op *op)
{
    op->kind = AL_OP_REDEEM;
    op->redeem = *(const al_redeem *)arg;
}

void al_api_redemption_create(al_exchange *x)
{
    static const char *const fields[] = {"id", "member", "points", "capture", "hold_seconds", NULL};
    json_t *body = NULL;
    al_redeem r = {.tenant = x->tenant,
                   .partner = x->partner,
                   .capture = true,
                   .hold_seconds = DEFAULT_HOLD_S};
    if (al_body_object(x, &body) != 0)
        return;
    if (al_body_only(x, body, fields) != 0 || al_body_id(x, body, "id", &r.redemption_id) != 0 ||
        al_body_id(x, body, "member", &r.member) != 0)
        goto done;
    json_t *points = json_object_get(body, "points"), *capture = json_object_get(body, "capture");
    json_t *hold = json_object_get(body, "hold_seconds");
    if (points == NULL) {
        al_reply_error(x, 400, "missing_field", "points is required");
        goto done;
    }
    if (!json_is_integer(points) || json_integer_value(points) < 1 ||
        json_integer_value(points) > AL_MAX_POINTS) {
        al_reply_error(x, 400, "invalid_field", "points must be an integer from 1 to %lld",
                       AL_MAX_POINTS);
        goto done;
    }
    if (capture != NULL && !json_is_boolean(capture)) {
        al_reply_error(x, 400, "invalid_field", "capture must be true or false");
        goto done;
    }
    if (hold != NULL &&
        (!json_is_integer(hold) || json_integer_value(hold) < 1 ||
         json_integer_value(hold) > MAX_HOLD_S || json_is_true(capture) || capture == NULL)) {
        al_reply_error(x, 400, "invalid_field",
                       "hold_seconds (1 to %d) goes with \"capture\": false", MAX_HOLD_S);
        goto done;
    }
    r.points = json_integer_value(points);
    r.capture = capture == NULL || json_is_true(capture);
    if (hold != NULL)
        r.hold_seconds = json_integer_value(hold);
    al_run_set_booking(x, "redemption", r.redemption_id, body, al_id_hash(r.member), redeem,
                       describe_redeem, &r, sizeof(r), NULL);
done:
    json_decref(body);
}

typedef struct {
    const char *tenant, *partner, *id;
    int64_t points; /* < 0: all */
    bool capture;
} settle_job;

static bool settle(al_db *db, void *arg, al_outcome *o)
{
    settle_job *c = arg;
    if (c->capture)
        return al_ledger_capture(db, c->tenant, c->partner, c->id, c->points, o);
    return al_ledger_void(db, c->tenant, c->partner, c->id, o);
}

static void settle_request(al_exchange *x, bool capture)
{
    settle_job c = {.tenant = x->tenant,
                    .partner = x->partner,
                    .id = x->params[0],
                    .points = -1,
                    .capture = capture};
    json_t *body = NULL;
    struct evbuffer *in = evhttp_request_get_input_buffer(x->req);
    if (evbuffer_get_length(in) > 0) {
        static const char *const fields[] = {"points", NULL};
        static const char *const none[] = {NULL};
        if (al_body_object(x, &body) != 0)
            return;
        if (al_body_only(x, body, capture ? fields : none) != 0)
            goto done;
        json_t *points = json_object_get(body, "points");
        if (points != NULL && (!json_is_integer(points) || json_integer_value(points) < 1)) {
            al_reply_error(x, 400, "invalid_field", "points must be an integer >= 1");
            goto done;
        }
        if (points != NULL)
            c.points = json_integer_value(points);
    }
    if (!al_id_valid(c.id)) {
        al_reply_error(x, 404, "redemption_not_found", "no such redemption");
        goto done;
    }
    /* Capture and void are idempotent by state, not by a stored answer. */
    al_run_booking(x, NULL, c.id, body, al_id_hash(c.id), settle, &c, sizeof(c), NULL);
done:
    json_decref(body);
}

void al_api_redemption_capture(al_exchange *x)
{
    settle_request(x, true);
}

void al_api_redemption_void(al_exchange *x)
{
    settle_request(x, false);
}
