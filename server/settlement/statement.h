/*
 * Settlement statements. A statement covers the bookings whose booking time
 * is in [period_start, period_end): per partner the points issued, reversed
 * and redeemed, the fee it owes the alliance and the reimbursement the
 * alliance owes it, each priced by the contract in force when the booking was
 * booked, with one rounding (half away from zero) per statement line; the
 * provenance matrix (issued by P, redeemed at Q); the alliance's totals; and
 * the reconciliation of outstanding points. Drafts are kept (one a period);
 * a close recomputes, reconciles, numbers, signs (Ed25519) and keeps the
 * statement byte for byte. docs/settlement.md has the rules.
 */
#ifndef AL_STATEMENT_H
#define AL_STATEMENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/ids.h"
#include "db/db.h"
#include "ledger/outcome.h"
#include "settlement/store.h"

/* A period must be over this long before it closes: no booking can still be in flight. */
#define AL_CLOSE_MARGIN_S 5

/* One partner's line, before its one rounding. */
typedef struct al_statement_line {
    char partner[AL_ID_MAX + 1];
    char currency[4];
    int64_t issued, reversed, redeemed;
    __int128 fee_num, reimb_num; /* points x rate per 1000 */
} al_statement_line;

/* What a period's bookings add up to. */
typedef struct al_period_sums {
    al_statement_line *lines; /* in partner order (malloc'd; al_period_sums_free) */
    size_t n, cap;
    int64_t issued_all; /* earned, events and imports: every point that came into being */
    int64_t expired;
    int64_t member_delta; /* the member accounts' net movement */
} al_period_sums;

/*
 * Prices a period's rows into partner lines and totals: earnings and events
 * at the issue price, reversals back at it, redemptions at the redemption
 * price; the alliance's own bookings and imported history are issued but
 * billed to nobody. 0, -1 out of memory, or AL_SUMS_RANGE: a sum (or a line's
 * money) does not fit in 64 bits.
 */
#define AL_SUMS_RANGE 1
int al_period_sums_add(al_period_sums *s, const al_period_row *rows, size_t n);
void al_period_sums_free(al_period_sums *s);

/* A line's fee and reimbursement in minor units: its one rounding. */
int64_t al_line_fee(const al_statement_line *l);
int64_t al_line_reimbursement(const al_statement_line *l);

/*
 * Whether the outstanding points reconcile: opening + issued - reversed -
 * redeemed - expired is the closing figure, and the balances say the same.
 */
bool al_reconciles(int64_t opening, int64_t issued, int64_t reversed, int64_t redeemed,
                   int64_t expired, int64_t closing, int64_t closing_by_balances);

typedef struct al_draft_query {
    char tenant[AL_ID_MAX + 1];
    char start[AL_SQL_TIME], end[AL_SQL_TIME];
} al_draft_query;

/* A job (al_job_fn, ctx al_draft_query): computes the period's draft, keeps it, answers it. */
bool al_settlement_draft(al_db *db, void *ctx, al_outcome *o);

typedef struct al_close_query {
    char tenant[AL_ID_MAX + 1];
    int64_t id;
    char start[AL_SQL_TIME], end[AL_SQL_TIME];
    uint8_t key[32];                           /* the Ed25519 seed; wiped by al_close_query_wipe */
    char actor[48], request_id[AL_ID_MAX + 1]; /* for the audit log */
} al_close_query;

/*
 * A job (ctx al_close_query): recomputes, refuses a statement that does not
 * reconcile or would overlap or leave a gap, numbers, signs and keeps it; the
 * answer carries the signature.
 */
bool al_settlement_close(al_db *db, void *ctx, al_outcome *o);
void al_close_query_wipe(void *ctx);

/*
 * A partner's own part of a closed statement (document: the stored JSON):
 * its line (null when it had none), the provenance rows it issued or
 * redeemed, and the statement's identity and period; as JSON (*doc) and CSV
 * (*csv), both malloc'd, signed like a whole statement ("<doc>\n<csv>",
 * Ed25519: the same bytes and signature every time). 0, or -1 (a document
 * that does not parse, out of memory).
 */
int al_partner_extract(const char *document, const char *partner, const uint8_t key[32], char **doc,
                       char **csv, char sig[129]);

#endif
