/* The sweep; see expiry.h. */
#include "ledger/expiry.h"

#include <string.h>

#include "ledger/ledger.h"
#include "ledger/referrals.h"

al_db_status al_expire_now(al_db *db, const char *tenant, const char *as_of, bool (*stop)(void),
                           al_sweep *out)
{
    memset(out, 0, sizeof(*out));
    al_db_status st = al_ledger_lapse_holds(db, tenant, stop, &out->holds);
    if (st == AL_DB_OK)
        st = al_ledger_tier_review(db, tenant, stop, &out->tiers);
    if (st == AL_DB_OK)
        st = al_ledger_expire(db, tenant, as_of, stop, &out->members, &out->points);
    if (st == AL_DB_OK)
        st = al_ledger_referrals(db, tenant, stop, &out->referrals_rewarded,
                                 &out->referrals_taken_back, &out->referrals_lapsed);
    if (st == AL_DB_OK)
        st = al_ledger_expiry_notices(db, tenant, as_of, stop, &out->notices);
    if (stop != NULL && stop())
        out->stopped = true;
    return st;
}
