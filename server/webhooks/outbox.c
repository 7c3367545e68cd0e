/* The outbox; see outbox.h. */
#include "webhooks/outbox.h"

#include <stdlib.h>
#include <string.h>

const char *const al_event_types[] = {AL_EVENT_TRANSACTION_EARNED,  AL_EVENT_TRANSACTION_REVERSED,
                                      AL_EVENT_REDEMPTION_CAPTURED, AL_EVENT_REDEMPTION_VOIDED,
                                      AL_EVENT_REDEMPTION_LAPSED,   AL_EVENT_TIER_CHANGED,
                                      AL_EVENT_POINTS_EXPIRING,     AL_EVENT_POINTS_EXPIRED,
                                      AL_EVENT_SETTLEMENT_CLOSED,   AL_EVENT_PARTNER_CREATED,
                                      AL_EVENT_PARTNER_UPDATED,     AL_EVENT_PARTNER_SUSPENDED,
                                      AL_EVENT_PARTNER_RESUMED,     AL_EVENT_KEY_CREATED,
                                      AL_EVENT_KEY_REVOKED,         NULL};

bool al_event_type_valid(const char *type)
{
    for (size_t i = 0; al_event_types[i] != NULL; i++)
        if (strcmp(al_event_types[i], type) == 0)
            return true;
    return false;
}

al_db_status al_outbox_add(al_db *db, const char *tenant, const char *type, const char *member,
                           json_t *data)
{
    char *text = json_dumps(data, JSON_COMPACT | JSON_PRESERVE_ORDER);
    json_decref(data);
    if (text == NULL)
        return AL_DB_ERROR;
    al_db_param p[] = {AL_STR(tenant), AL_STR(type), AL_STR(member ? member : ""), AL_STR(text)};
    al_db_status st = al_db_exec(db,
                                 "INSERT INTO outbox (tenant_id, type, member_id, data) "
                                 "SELECT v.t, v.y, v.m, v.d FROM (SELECT ? t, ? y, ? m, ? d) v "
                                 "WHERE " AL_SQL_SUBSCRIBED("v.t", "v.y"),
                                 p, 4, NULL);
    free(text);
    return st;
}
