/*
 * The ledger: double-entry bookings between accounts, lots with provenance,
 * member balances, holds. Each operation runs inside a database transaction
 * the caller opened (al_ledger_begin) and commits (al_ledger_commit), so that
 * several operations can share one transaction (group commit) and the
 * idempotency record lands in the same transaction as the booking.
 *
 * Rules (docs/ledger.md): every booking moves points >= 0 from one account
 * to another and updates both balances, so a tenant's balances sum to 0;
 * bookings are never changed; per member, available + held =
 * sum(lots.remaining) - debt = balance of member:<id>.
 */
#ifndef AL_LEDGER_H
#define AL_LEDGER_H

#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

#include "db/db.h"
#include "ledger/accounts.h"
#include "ledger/outcome.h"
#include "rules/rules.h"

/*
 * The expiry of points earned at the SQL time `at`: the end of the month
 * that is (bound '?') expiry_months after it. The one rule of lots' expiry.
 */
#define AL_SQL_EXPIRES_AT(at)                                                                      \
    "DATE_ADD(LAST_DAY(DATE_ADD(" at ", INTERVAL ? MONTH)), INTERVAL 1 DAY)"

typedef struct al_earn {
    const char *tenant, *partner, *transaction_id, *member, *occurred_at;
    int64_t points;            /* the plugin's, before the tier's bonus */
    int64_t qualifying_points; /* of the plugin's qualifying lines */
    int64_t base_amount_minor;
    const char *currency;
    const json_t *translation;         /* the plugin's lines, kept with the booking as its detail */
    const alliance_points_line *lines; /* the same lines, for the promotions */
    size_t nlines;
    int64_t when;          /* occurred_at in Unix seconds: promotions' windows and days */
    int32_t utc_offset;    /* the tenant's zone at when: promotions' days, caps' periods */
    const al_rules *rules; /* the tenant's live rules */
    bool auto_enrol;
    int expiry_months;
    bool explain; /* the reply carries the breakdown ("breakdown": the booking's detail) */
} al_earn;

typedef struct al_redeem {
    const char *tenant, *partner, *redemption_id, *member;
    int64_t points;
    bool capture;
    int64_t hold_seconds;
} al_redeem;

al_db_status al_ledger_begin(al_db *db);
al_db_status al_ledger_commit(al_db *db);
void al_ledger_rollback(al_db *db);

/*
 * Books an earning transaction: the plugin's points, plus the bonus of the
 * member's tier, the promotions that apply (within their caps) and the
 * cross-partner bonus, each a line of the booking's detail; then the tier
 * the member now qualifies for. Reply {"id","member","points","balance","tier"}.
 */
bool al_ledger_earn(al_db *db, const al_earn *e, al_outcome *o);

/*
 * Adds an earning's extra line (category prefix + name, extra points, not
 * qualifying) to detail's "lines" and extra to *points; false on overflow.
 */
bool al_earn_line(json_t *detail, const char *category, const char *name, int64_t extra,
                  int64_t *points);

/*
 * The whole earning of e (tier, promotions and their caps, the cross-partner
 * bonus) in a transaction of its own that is rolled back, retried on
 * deadlocks: the breakdown booking would give, and nothing stays. Opens and
 * ends its own transaction (not for a committer's).
 */
bool al_ledger_dry_run(al_db *db, const al_earn *e, al_outcome *o);

/* A non-transactional reward (an event the rules name). */
typedef struct al_event {
    const char *tenant;
    const char *partner; /* NULL: the alliance's own (an admin's call) */
    const char *id, *member, *event;
    int64_t when;       /* Unix seconds: the period of the limit */
    int32_t utc_offset; /* the tenant's zone at when (the period is its local one) */
    const al_rules *rules;
    bool auto_enrol;
    int expiry_months;
} al_event;

/*
 * Rewards an event with the points the rules give it, within its limit per
 * member per period; reply {"id","member","event","points","balance"}.
 */
bool al_ledger_event(al_db *db, const al_event *ev, al_outcome *o);

/*
 * Takes back points for a refund of amount_minor (< 0: the rest of it) of a
 * transaction; reply {"id","points","balance"}.
 */
bool al_ledger_reverse(al_db *db, const char *tenant, const char *partner,
                       const char *transaction_id, const char *reversal_id, int64_t amount_minor,
                       al_outcome *o);

/* Spends (capture) or holds points; reply {"id","status","points","balance"}. */
bool al_ledger_redeem(al_db *db, const al_redeem *r, al_outcome *o);

/* Captures a hold, all of it (points < 0) or part; voids it. */
bool al_ledger_capture(al_db *db, const char *tenant, const char *partner, const char *id,
                       int64_t points, al_outcome *o);
bool al_ledger_void(al_db *db, const char *tenant, const char *partner, const char *id,
                    al_outcome *o);

/* A tenant's program as the sweep reads it: its live rules and settings. */
typedef struct al_program {
    const char *tenant;
    const al_rules *rules; /* compiled, version set */
    int expiry_months;
    const char *time_zone;
} al_program;

/*
 * Calls fn for each tenant's program (of tenant, or of all: NULL) until fn
 * fails or stop (when not NULL) says so. A tenant whose stored rules do not
 * compile is passed over.
 */
al_db_status al_ledger_each_program(al_db *db, const char *tenant, bool (*stop)(void),
                                    al_db_status (*fn)(al_db *db, const al_program *p, void *ctx),
                                    void *ctx);

/*
 * The alliance's own points, one member at a time, inside the caller's
 * transaction: al_ledger_award gives points from alliance:rewards (a lot that
 * expires expiry_months after the month's end; *lot its id); al_ledger_take_back
 * takes them back (the lot prefer first, then those expiring first; what no
 * lot covers becomes debt). kind and ref name the booking; detail is its JSON.
 */
al_db_status al_ledger_award(al_db *db, const char *tenant, const char *member, int64_t points,
                             const char *kind, const char *ref, const char *detail,
                             int expiry_months, uint64_t *lot);
al_db_status al_ledger_take_back(al_db *db, const char *tenant, const char *member, int64_t points,
                                 const char *kind, const char *ref, const char *detail,
                                 uint64_t prefer);

/*
 * The sweep's parts (ledger/expiry.c runs them): each works member by member
 * (hold by hold), a transaction each, and asks stop (when not NULL) before
 * each one, so a stop ends it at once with what was done kept.
 */

/* Releases holds whose time is up (of one tenant, or all: NULL); *count says how many. */
al_db_status al_ledger_lapse_holds(al_db *db, const char *tenant, bool (*stop)(void), int *count);

/*
 * Books to breakage what lapses at as_of (of one tenant, or all: NULL) ("YYYY-MM-DD
 * HH:MM:SS[.ffffff]", UTC): every member with points due, in pages of 1000 in key order;
 * *members and *points say what was done.
 */
/*
 * Announces points expiring within each tenant's expiry_notice_days of as_of
 * (points.expiring, when a webhook subscribes): one event a member and expiry
 * time, each lot once; *count the events.
 */
al_db_status al_ledger_expiry_notices(al_db *db, const char *tenant, const char *as_of,
                                      bool (*stop)(void), int *count);

al_db_status al_ledger_expire(al_db *db, const char *tenant, const char *as_of, bool (*stop)(void),
                              int *members, int64_t *points);

/*
 * Reviews the tiers of one tenant's members (or all tenants': NULL) whose
 * rules can move them down; *changed counts the members whose tier changed.
 */
al_db_status al_ledger_tier_review(al_db *db, const char *tenant, bool (*stop)(void), int *changed);

/*
 * Sets an admin's floor: the member holds at least level floor until until
 * (a DATETIME), at once; reply {"member","tier","floor":{"tier","until"}}.
 */
bool al_ledger_tier_floor(al_db *db, const char *tenant, const char *member, const al_rules *r,
                          size_t floor, const char *until, al_outcome *o);

#endif
