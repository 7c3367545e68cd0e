/*
 * The outbox: what happened, written in the same database transaction as
 * the change it reports (a booking, a close, a partner's change), so an event
 * exists exactly when its change committed. Only events some active webhook
 * of the tenant subscribes to are written (the check is part of the INSERT),
 * so a tenant without webhooks pays one small read. The sender
 * (app/webhook_sender.c) fans the outbox out to deliveries.
 */
#ifndef AL_OUTBOX_H
#define AL_OUTBOX_H

#include <stdbool.h>

#include <jansson.h>

#include "db/db.h"

/* The event types a webhook subscribes to (docs/webhooks.md says what each carries). */
#define AL_EVENT_TRANSACTION_EARNED "transaction.earned"
#define AL_EVENT_TRANSACTION_REVERSED "transaction.reversed"
#define AL_EVENT_REDEMPTION_CAPTURED "redemption.captured"
#define AL_EVENT_REDEMPTION_VOIDED "redemption.voided"
#define AL_EVENT_REDEMPTION_LAPSED "redemption.lapsed"
#define AL_EVENT_TIER_CHANGED "member.tier_changed"
#define AL_EVENT_POINTS_EXPIRING "points.expiring"
#define AL_EVENT_POINTS_EXPIRED "points.expired"
#define AL_EVENT_SETTLEMENT_CLOSED "settlement.closed"
#define AL_EVENT_PARTNER_CREATED "partner.created"
#define AL_EVENT_PARTNER_UPDATED "partner.updated"
#define AL_EVENT_PARTNER_SUSPENDED "partner.suspended"
#define AL_EVENT_PARTNER_RESUMED "partner.resumed"
#define AL_EVENT_KEY_CREATED "partner.key_created"
#define AL_EVENT_KEY_REVOKED "partner.key_revoked"

/* Every type, NULL-ended. */
extern const char *const al_event_types[];

bool al_event_type_valid(const char *type);

/* The condition (SQL) that webhook row w takes events of type y (an SQL expression). */
#define AL_SQL_TAKES(y) "(w.events = '*' OR FIND_IN_SET(" y ", w.events) > 0)"

/*
 * The condition (SQL) that tenant column t has an active webhook for type
 * column y: an outbox INSERT ... SELECT ends with it.
 */
#define AL_SQL_SUBSCRIBED(t, y)                                                                    \
    "EXISTS (SELECT 1 FROM webhooks w WHERE w.tenant_id = " t " AND w.status = 'active' "          \
    "AND " AL_SQL_TAKES(y) ")"

/*
 * In the caller's transaction: the event (member NULL when it concerns
 * none; data is taken, not kept) when the tenant subscribes to it.
 */
al_db_status al_outbox_add(al_db *db, const char *tenant, const char *type, const char *member,
                           json_t *data);

#endif
