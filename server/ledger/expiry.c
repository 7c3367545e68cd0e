/* The sweep; see expiry.h. */
#include "ledger/expiry.h"

#include <string.h>

#include "ledger/ledger.h"

/* Passes of at most 1000 members each; a pass that lapses nothing ends it. */
#define EXPIRE_PASSES 1000

al_db_status al_expire_now(al_db *db, const char *tenant, const char *as_of, bool (*stop)(void),
                           al_sweep *out)
{
    memset(out, 0, sizeof(*out));
    al_db_status st = al_ledger_lapse_holds(db, tenant, stop, &out->holds);
    if (st == AL_DB_OK)
        st = al_ledger_tier_review(db, tenant, stop, &out->tiers);
    for (int pass = 0; pass < EXPIRE_PASSES && st == AL_DB_OK; pass++) {
        if (stop != NULL && stop()) {
            out->stopped = true;
            break;
        }
        int m = 0;
        int64_t p = 0;
        st = al_ledger_expire(db, tenant, as_of, stop, &m, &p);
        out->members += m;
        out->points += p;
        if (m == 0)
            break;
    }
    if (stop != NULL && stop())
        out->stopped = true;
    return st;
}
