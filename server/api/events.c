/*
 * Non-transactional rewards: POST /v1/events {"id","member","event"} from a
 * partner (its points, on its issued account) or a tenant admin (the
 * alliance's own, on alliance:rewards). The rules name the events, their
 * points and their limit per member per period; exactly once by id.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "api/booking.h"
#include "api/context.h"
#include "api/lookups.h"
#include "api/routes.h"
#include "api/statuses.h"
#include "core/tz.h"
#include "rules/rules.h"

typedef struct {
    const char *tenant, *partner, *id, *member, *event; /* alive with the request */
    al_rules *rules;                                    /* a reference */
    bool auto_enrol;
    int expiry_months;
    int64_t when;
    int32_t utc_offset;
} event_job;

static bool reward(al_db *db, void *arg, al_outcome *o)
{
    event_job *c = arg;
    al_event ev = {.tenant = c->tenant,
                   .partner = c->partner,
                   .id = c->id,
                   .member = c->member,
                   .event = c->event,
                   .when = c->when,
                   .utc_offset = c->utc_offset,
                   .rules = c->rules,
                   .auto_enrol = c->auto_enrol,
                   .expiry_months = c->expiry_months};
    return al_ledger_event(db, &ev, o);
}

static void reward_free(void *arg)
{
    al_rules_drop(((event_job *)arg)->rules);
}

void al_api_event_create(al_exchange *x)
{
    static const char *const fields[] = {"id", "member", "event", NULL};
    json_t *body = NULL;
    event_job c = {.tenant = x->tenant,
                   .partner = x->role == AL_ROLE_PARTNER ? x->partner : NULL,
                   .when = (int64_t)time(NULL)};
    if (al_body_object(x, &body) != 0)
        return;
    if (al_body_only(x, body, fields) != 0 || al_body_id(x, body, "id", &c.id) != 0 ||
        al_body_id(x, body, "member", &c.member) != 0 ||
        al_body_id(x, body, "event", &c.event) != 0)
        goto done;
    al_tenant t;
    if ((c.rules = al_tenant_rules(x, &t)) == NULL)
        goto done;
    c.auto_enrol = t.auto_enrol;
    c.expiry_months = t.expiry_months;
    c.utc_offset = al_tz_offset(al_tz_get(t.time_zone), c.when);
    al_run_booking(x, "event", c.id, body, al_id_hash(c.member), reward, &c, sizeof(c),
                   reward_free);
done:
    json_decref(body);
}
