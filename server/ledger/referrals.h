/*
 * Referrals. Each member has a referral code (made the first time it is asked
 * for). A member enrolled with a code is linked to its referrer, once and for
 * good (nobody refers themself). The sweep (ledger/expiry.c) rewards a
 * pending referral once the referee's first qualifying transaction (one that
 * earned qualifying points and is not reversed in full) is booked within the
 * rules' within_days of the enrolment: referee_points to the referee,
 * referrer_points to the referrer unless it has had limit referrals rewarded
 * this period; both from the alliance's own rewards, once (the referral row,
 * locked, says it is done). A referral whose transaction is then reversed in
 * full has its rewards taken back (what no lot covers becomes debt). One that
 * sees no qualifying transaction in time lapses.
 */
#ifndef AL_REFERRALS_H
#define AL_REFERRALS_H

#include <stdbool.h>

#include <jansson.h>

#include "core/ids.h"
#include "db/db.h"

#define AL_REFERRAL_CODE_LEN 8

/* The member's code, made when it has none; *found false: no such member. */
al_db_status al_referral_code(al_db *db, const char *tenant, const char *member,
                              char code[AL_REFERRAL_CODE_LEN + 1], bool *found);

typedef enum {
    AL_ENROL_DONE,
    AL_ENROL_EXISTS,       /* the member id is taken */
    AL_ENROL_UNKNOWN_CODE, /* no member of the tenant has this code */
} al_enrol_result;

/* Enrols member with profile (JSON text), referred by the holder of code, in one transaction. */
al_db_status al_member_enrol_referred(al_db *db, const char *tenant, const char *member,
                                      const char *profile, const char *code,
                                      al_enrol_result *result, char referrer[AL_ID_MAX + 1]);

/* The 360 view's part: {"code", "referred_by": {...} or null, "referees": [...]} (up to 100). */
al_db_status al_referral_view(al_db *db, const char *tenant, const char *member, json_t **out);

/*
 * The sweep's part, of one tenant or all (NULL): rewards, takes back and
 * lapses as the header says, a transaction a referral; stop as the sweep's.
 */
al_db_status al_ledger_referrals(al_db *db, const char *tenant, bool (*stop)(void), int *rewarded,
                                 int *taken_back, int *lapsed);

#endif
