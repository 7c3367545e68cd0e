/* The ledger's events; see events.h. */
#include "ledger/events.h"

#include "core/ids.h"

json_t *al_event_earned(const al_earn *e, int64_t points, int64_t balance, const char *tier)
{
    char occurred[AL_RFC3339_MAX];
    al_sql_to_rfc3339(e->occurred_at, occurred);
    return json_pack("{s:s,s:s,s:s,s:I,s:I,s:s,s:I,s:s,s:s}", "partner", e->partner,
                     "transaction_id", e->transaction_id, "member", e->member, "points",
                     (json_int_t)points, "balance", (json_int_t)balance, "tier", tier,
                     "amount_minor", (json_int_t)e->base_amount_minor, "currency", e->currency,
                     "occurred_at", occurred);
}

json_t *al_event_redemption(const char *partner, const char *id, const char *member, int64_t points,
                            int64_t balance)
{
    return json_pack("{s:s,s:s,s:s,s:I,s:I}", "partner", partner, "redemption_id", id, "member",
                     member, "points", (json_int_t)points, "balance", (json_int_t)balance);
}

json_t *al_event_tier(const char *member, const char *from, const char *to, const char *reason)
{
    return json_pack("{s:s,s:s,s:s,s:s}", "member", member, "from", from, "to", to, "reason",
                     reason);
}
