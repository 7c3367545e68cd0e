/*
 * Members as the ledger keeps them, as typed rows: enrolment, the member row
 * (balances, tier, status), and the reads of the 360 view and the history.
 * An id that is no valid id simply finds no member.
 */
#ifndef AL_LEDGER_MEMBERS_H
#define AL_LEDGER_MEMBERS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "core/ids.h"
#include "db/db.h"
#include "rules/rules.h"

#define AL_TIME_TEXT 40 /* RFC 3339 with microseconds */

typedef struct al_member {
    char id[AL_ID_MAX + 1];
    char *profile; /* JSON text, malloc'd (al_member_clear) */
    char status[16];
    int64_t available, held, debt, lifetime_earned, lifetime_redeemed;
    char created_at[AL_TIME_TEXT];
    char last_activity_at[AL_TIME_TEXT]; /* "" when never */
    char tier[33];
} al_member;

void al_member_clear(al_member *m);

/* Enrols a member with a profile (JSON text); *exists when the id is taken. */
al_db_status al_member_create(al_db *db, const char *tenant, const char *id, const char *profile,
                              bool *exists);

/*
 * Blocks a member (earning and redeeming refused, 422 member_blocked; the
 * points stay) or unblocks. *found false: no such member.
 */
al_db_status al_member_set_blocked(al_db *db, const char *tenant, const char *id, bool blocked,
                                   bool *found);

al_db_status al_member_get(al_db *db, const char *tenant, const char *id, al_member *out,
                           bool *found);

/* Which members a list shows: each field NULL / -1 for any. */
typedef struct al_member_filter {
    const char *prefix; /* ids that start so */
    const char *tier;
    int blocked; /* 1 blocked, 0 not, -1 either */
} al_member_filter;

/* A member as a list shows it. */
typedef struct al_member_summary {
    char id[AL_ID_MAX + 1];
    char status[16];
    char tier[33];
    int64_t available, held, lifetime_earned;
    char created_at[AL_TIME_TEXT];
    char last_activity_at[AL_TIME_TEXT]; /* "" when never */
} al_member_summary;

/* The members f keeps, by id, after the id after ("" from the first), at most limit (free *out). */
al_db_status al_members_page(al_db *db, const char *tenant, const al_member_filter *f,
                             const char *after, int64_t limit, al_member_summary **out, size_t *n);

/* The JSON a list shows of a member (with stage when not NULL). */
json_t *al_member_summary_json(const al_member_summary *m, const char *stage);

/* What a till shows: available and held points. */
al_db_status al_member_balance(al_db *db, const char *tenant, const char *id, int64_t *available,
                               int64_t *held, bool *found);

/* The member's tier ("" when there is no such member). */
al_db_status al_member_tier_of(al_db *db, const char *tenant, const char *id,
                               char tier[AL_TIER_NAME_MAX]);

/* The qualifying points the member earned in the last window_months: what its tier rests on. */
al_db_status al_member_qualifying_points(al_db *db, const char *tenant, const char *id,
                                         int window_months, int64_t *points);

typedef struct al_expiry {
    int64_t points;
    char expires_at[AL_TIME_TEXT];
} al_expiry;

#define AL_NEXT_EXPIRIES 3

/* The member's next expiries (points lapsing together), soonest first. */
al_db_status al_member_next_expiries(al_db *db, const char *tenant, const char *id,
                                     al_expiry out[AL_NEXT_EXPIRIES], size_t *n);

/* Per partner: earnings and imported transactions, redemptions, reversals, and the last time. */
typedef struct al_partner_activity {
    char partner[AL_ID_MAX + 1];
    int64_t transactions, points_earned, redemptions, points_redeemed, points_reversed;
    char last_activity_at[AL_TIME_TEXT];
} al_partner_activity;

/* Per partner: what the member did there (free *out). */
al_db_status al_member_partner_activity(al_db *db, const char *tenant, const char *id,
                                        al_partner_activity **out, size_t *n);

typedef struct al_tier_change {
    char at[AL_TIME_TEXT];
    char from[33], to[33];
    char reason[65];
    int rules_version;
} al_tier_change;

#define AL_TIER_HISTORY 20

/* The member's last tier changes, newest first. */
al_db_status al_member_tier_history(al_db *db, const char *tenant, const char *id,
                                    al_tier_change out[AL_TIER_HISTORY], size_t *n);

typedef struct al_history_entry {
    int64_t id;
    char kind[17];
    int64_t points;              /* signed: + into the member's account, - out of it */
    char partner[AL_ID_MAX + 1]; /* "" when none */
    char ref[AL_ID_MAX + 1];     /* "" when none */
    char booked_at[AL_TIME_TEXT];
    char occurred_at[AL_TIME_TEXT]; /* an earning's or import's transaction time; "" for others */
    char *detail;                   /* JSON text or NULL, malloc'd */
} al_history_entry;

/*
 * A page of the member's bookings, newest first: those before booking
 * cursor (0: from the newest), at most limit (free with al_history_free).
 */
al_db_status al_member_history(al_db *db, const char *tenant, const char *id, int64_t cursor,
                               int64_t limit, al_history_entry **out, size_t *n);
void al_history_free(al_history_entry *entries, size_t n);

#endif
