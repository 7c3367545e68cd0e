/*
 * What a partner reads back of its own: its transactions (with the booking's
 * breakdown) and redemptions, one by id or a page at a time in booking order,
 * all or one member's, within a time range. Every read is scoped by tenant
 * and partner: another partner's rows are never found.
 */
#ifndef AL_PARTNER_READS_H
#define AL_PARTNER_READS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/ids.h"
#include "db/db.h"
#include "ledger/members.h"

typedef struct al_transaction_view {
    int64_t booking_id; /* the list's order */
    char id[AL_ID_MAX + 1], member[AL_ID_MAX + 1];
    int64_t points, qualifying_points, amount_minor, reversed_minor, reversed_points;
    char currency[4];
    char occurred_at[AL_TIME_TEXT], booked_at[AL_TIME_TEXT];
    char *detail; /* the earning booking's breakdown, JSON text or NULL (al_views_free) */
} al_transaction_view;

typedef struct al_redemption_view {
    int64_t seq; /* the list's order */
    char id[AL_ID_MAX + 1], member[AL_ID_MAX + 1], status[16];
    int64_t points, captured_points;
    char hold_expires_at[AL_TIME_TEXT]; /* "" when none */
    char created_at[AL_TIME_TEXT], updated_at[AL_TIME_TEXT];
} al_redemption_view;

/* Which rows a list shows: member NULL for all; since / until (DATETIME text) "" for open. */
typedef struct al_read_filter {
    const char *member;
    const char *since, *until;
} al_read_filter;

al_db_status al_transaction_read(al_db *db, const char *tenant, const char *partner, const char *id,
                                 al_transaction_view *out, bool *found);
/* occurred_at in [since, until), booking after after (0: from the first), at most limit. */
al_db_status al_transactions_page(al_db *db, const char *tenant, const char *partner,
                                  const al_read_filter *f, int64_t after, int64_t limit,
                                  al_transaction_view **out, size_t *n);
void al_transaction_views_free(al_transaction_view *v, size_t n);

al_db_status al_redemption_read(al_db *db, const char *tenant, const char *partner, const char *id,
                                al_redemption_view *out, bool *found);
/* created_at in [since, until), after seq after (0: from the first), at most limit (free *out). */
al_db_status al_redemptions_page(al_db *db, const char *tenant, const char *partner,
                                 const al_read_filter *f, int64_t after, int64_t limit,
                                 al_redemption_view **out, size_t *n);

#endif
