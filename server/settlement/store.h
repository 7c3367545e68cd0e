/*
 * Settlement's SQL (private to settlement/), as typed rows: the period's
 * bookings priced by the contract in force when each was booked, the
 * provenance of redeemed points, outstanding points by two sources, and the
 * settlements table (drafts, closes, numbering).
 */
#ifndef AL_SETTLEMENT_STORE_H
#define AL_SETTLEMENT_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/ids.h"
#include "db/db.h"

#define AL_SQL_TIME 27 /* "YYYY-MM-DD HH:MM:SS.ffffff" */

/* Per partner, kind and contract in force: the period's points and the members' net movement. */
typedef struct al_period_row {
    char partner[AL_ID_MAX + 1]; /* "" for the alliance's own (expiry, its events) */
    char kind[17];
    char currency[4]; /* "" when no contract prices it */
    int64_t points;
    int64_t issue_per_1000, redeem_per_1000;
    int64_t member_delta; /* into member accounts less out of them */
} al_period_row;

al_db_status al_period_rows(al_db *db, const char *tenant, const char *start, const char *end,
                            al_period_row **out, size_t *n);

/* Points issued by issuer ("": the alliance) and redeemed at redeemer, valued at its price. */
typedef struct al_provenance_row {
    char issuer[AL_ID_MAX + 1], redeemer[AL_ID_MAX + 1];
    char currency[4];
    int64_t points;
    int64_t value_num; /* points x redeem_per_1000, before the rounding */
} al_provenance_row;

al_db_status al_provenance_rows(al_db *db, const char *tenant, const char *start, const char *end,
                                al_provenance_row **out, size_t *n);

/* Outstanding points at t from the bookings before it. */
al_db_status al_outstanding_from_bookings(al_db *db, const char *tenant, const char *t,
                                          int64_t *out);

/* Outstanding points at t from today's balances less what moved since. */
al_db_status al_outstanding_from_balances(al_db *db, const char *tenant, const char *t,
                                          int64_t *out);

/* The closing outstanding figure of the closed statement that ends at t, when there is one. */
al_db_status al_closed_closing_at(al_db *db, const char *tenant, const char *t, int64_t *out,
                                  bool *found);

/* How many closed statements other than except overlap [start, end). */
al_db_status al_closed_overlapping(al_db *db, const char *tenant, const char *start,
                                   const char *end, int64_t except, int64_t *count);

/* Where the last closed period ends (AL_SQL_TIME), when there is one. */
al_db_status al_last_closed_end(al_db *db, const char *tenant, char out[AL_SQL_TIME], bool *found);

/* In the caller's transaction: the period's draft replaced by a new one (document ""); its id. */
al_db_status al_draft_replace(al_db *db, const char *tenant, const char *start, const char *end,
                              const char *csv, int64_t *id);

al_db_status al_statement_set_document(al_db *db, int64_t id, const char *document);

typedef struct al_statement_row {
    int64_t id;
    bool closed;
    char *document, *csv; /* malloc'd (al_statement_row_clear) */
    char signature[129];  /* "" for a draft */
    char start[AL_SQL_TIME], end[AL_SQL_TIME];
    bool over; /* the period ended at least margin_s ago */
} al_statement_row;

al_db_status al_statement_load(al_db *db, const char *tenant, int64_t id, int margin_s,
                               al_statement_row *out, bool *found);
void al_statement_row_clear(al_statement_row *r);

/* A statement as the list shows it. */
typedef struct al_statement_summary {
    int64_t id, number; /* number 0: a draft */
    char status[16];
    char period_start[AL_RFC3339_MAX], period_end[AL_RFC3339_MAX];
    char created_at[AL_RFC3339_MAX], closed_at[AL_RFC3339_MAX]; /* closed_at "" for a draft */
} al_statement_summary;

/* Tenant's statements by id after after (0: from the first), closed ones only when asked. */
al_db_status al_statements_page(al_db *db, const char *tenant, bool closed_only, int64_t after,
                                int64_t limit, al_statement_summary **out, size_t *n);

/* In the caller's transaction: the tenant's row written and locked (closes one at a time). */
al_db_status al_settlement_lock(al_db *db, const char *tenant);

/* The number the next closed statement gets. */
al_db_status al_next_number(al_db *db, const char *tenant, int64_t *number);

al_db_status al_statement_mark_closed(al_db *db, int64_t id, int64_t number, const char *document,
                                      const char *csv, const char *signature);

#endif
