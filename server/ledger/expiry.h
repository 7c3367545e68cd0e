/*
 * The sweep: lapsed holds released, tiers reviewed, expired points booked to
 * breakage, referrals rewarded, taken back or lapsed, points expiring soon announced
 * (points.expiring, once a member's lots of one expiry time, expiry_notice_days before), for one
 * tenant or all. It runs off the workers (the sweeper thread, or a report thread for the operator's
 * POST /v1/ledger/expire), in passes of at most 1000 members, each its own transaction, and stops
 * between passes when asked to (a stop): what was booked stays, the rest waits for the next sweep.
 */
#ifndef AL_EXPIRY_H
#define AL_EXPIRY_H

#include <stdbool.h>
#include <stdint.h>

#include "db/db.h"

typedef struct al_sweep {
    int holds;                                                      /* released */
    int tiers;                                                      /* members whose tier changed */
    int members;                                                    /* with points expired */
    int64_t points;                                                 /* expired */
    int notices;                                                    /* points.expiring events */
    int referrals_rewarded, referrals_taken_back, referrals_lapsed; /* ledger/referrals.h */
    bool stopped; /* stop() said so before the end */
} al_sweep;

/*
 * Sweeps what lapses at as_of (a DATETIME) for tenant (NULL: all); stop, when
 * not NULL, is asked between passes.
 */
al_db_status al_expire_now(al_db *db, const char *tenant, const char *as_of, bool (*stop)(void),
                           al_sweep *out);

#endif
