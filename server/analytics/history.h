/*
 * Streams a tenant's members' purchase histories out of the ledger's
 * transactions, one member at a time, in member order: the rows are read as
 * they arrive over a covering index, only the current member's are held.
 */
#ifndef AL_HISTORY_H
#define AL_HISTORY_H

#include "analytics/value.h"
#include "core/ids.h"
#include "db/db.h"

/* A tenant's partners sorted by id: al_purchase.partner is an index into it. */
typedef struct al_partner_entry {
    char id[AL_ID_MAX + 1];
    char currency[4]; /* of its contract */
} al_partner_entry;

typedef struct al_partner_list {
    al_partner_entry *p;
    size_t n;
} al_partner_list;

al_db_status al_partner_list_load(al_db *db, const char *tenant, al_partner_list *out);
/* The index of partner id in the list, or -1. */
long al_partner_list_find(const al_partner_list *list, const char *id);
void al_partner_list_free(al_partner_list *list);

/*
 * Calls each(history, ctx) for every member of tenant with purchases up to the
 * end of day through (only member's when member is not NULL), the purchases in
 * time order, each on its day in zone tz (the tenant's; NULL: UTC); each returns non-zero to stop
 * (AL_DB_STREAM_ABANDON: without reading the rest, see al_db_stream). With partners (the tenant's,
 * loaded by the caller) each purchase names its partner by index; without (NULL), every purchase
 * says partner 0.
 */
al_db_status al_history_each(al_db *db, const char *tenant, const char *member, int32_t through,
                             const al_tz *tz, int (*each)(const al_history *h, void *ctx),
                             void *ctx, const al_partner_list *partners);

/* One member's lifecycle stage at the end of day as_of in zone tz (no purchase: new). */
al_db_status al_member_stage(al_db *db, const char *tenant, const char *member, int32_t as_of,
                             const al_tz *tz, al_stage *out);

/* Calls each(points, ctx) with every enrolled member's points held (available + held). */
al_db_status al_points_held_each(al_db *db, const char *tenant,
                                 int (*each)(int64_t points, void *ctx), void *ctx);

/* How many members tenant has enrolled. */
al_db_status al_members_enrolled(al_db *db, const char *tenant, int64_t *out);

#endif
