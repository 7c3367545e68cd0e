/*
 * The rewards catalogue and its vouchers. An item is offered by a partner for
 * points (and a cash part the member pays the partner, in minor units), with
 * a stock, a limit per member and period, a validity window and the tiers
 * that may take it. Redeeming it, in one transaction under the item's lock
 * (so stock and limits hold under any concurrency): the points are held at
 * the offering partner (a redemption, ledger.h) and a single-use voucher is
 * issued. The partner marks the voucher used (the redemption is captured:
 * booked at the partner and reimbursed by its contract in settlement, like
 * any redemption), or it is cancelled (voided: the points come back), or it
 * runs out (the hold lapses, the points come back). A voucher's state is its
 * redemption's; stock counts the vouchers issued and used.
 */
#ifndef AL_CATALOGUE_H
#define AL_CATALOGUE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "core/ids.h"
#include "db/db.h"
#include "ledger/outcome.h"
#include "rules/rules.h"

#define AL_ITEM_NAME_MAX 800 /* bytes of UTF-8 (200 characters at most) */
#define AL_ITEM_TIERS_MAX 2000
#define AL_VOUCHER_CODE_LEN 12

typedef struct al_item {
    char id[AL_ID_MAX + 1];
    char partner[AL_ID_MAX + 1];
    char name[AL_ITEM_NAME_MAX + 1];
    int64_t points, cash_minor;
    char currency[4];                     /* of the cash part; "" without one */
    int64_t stock;                        /* -1: unlimited */
    int64_t limit_count;                  /* 0: no limit */
    al_period limit_period;               /* of the limit */
    char valid_from[27], valid_until[27]; /* DATETIME text; "": open */
    char tiers[AL_ITEM_TIERS_MAX + 1];    /* a JSON array of tier names; "": any tier */
    int64_t voucher_days;                 /* a voucher's life */
    char status[16];                      /* active or withdrawn */
    char created_at[AL_RFC3339_MAX], updated_at[AL_RFC3339_MAX];
    int64_t taken; /* vouchers issued and not ended, and used (read with the item) */
} al_item;

typedef struct al_voucher {
    char code[AL_VOUCHER_CODE_LEN + 1];
    char member[AL_ID_MAX + 1], item[AL_ID_MAX + 1], partner[AL_ID_MAX + 1];
    char redemption[AL_ID_MAX + 1];
    int64_t points, cash_minor;
    char currency[4];
    char status[16]; /* issued, used, cancelled, expired */
    char created_at[AL_RFC3339_MAX], expires_at[AL_RFC3339_MAX];
    int64_t seq;
} al_voucher;

/* The item as its answer: stock, taken and left, the limit, the window, the tiers. */
json_t *al_item_json(const al_item *it);
json_t *al_voucher_json(const al_voucher *v);

/* Creates (*clash: the id is taken) or replaces (*clash: no such item) an item. */
al_db_status al_item_save(al_db *db, const char *tenant, const al_item *it, bool create,
                          bool *clash);

al_db_status al_item_get(al_db *db, const char *tenant, const char *id, al_item *out, bool *found);

/* A page of the tenant's items by id, after after (""), at most limit (free *out). */
al_db_status al_items_page(al_db *db, const char *tenant, const char *after, int64_t limit,
                           al_item **out, size_t *n);

/*
 * What member may redeem now (active, in its window, its tier allowed, stock
 * left, under its limit this period), local_now being the tenant's local
 * time; each item's answer (free *out: al_item_json objects in a JSON array).
 */
al_db_status al_items_for_member(al_db *db, const char *tenant, const char *member,
                                 const char *tier, int64_t local_now, json_t **out);

/* A redemption of an item by a member (al_voucher_redeem's job). */
typedef struct al_voucher_request {
    char tenant[AL_ID_MAX + 1], member[AL_ID_MAX + 1];
    char request_id[AL_ID_MAX + 1], item[AL_ID_MAX + 1];
    int64_t local_now; /* the tenant's local time: the limit's period */
} al_voucher_request;

/*
 * The job (al_job_fn) on an al_voucher_request: 201 with the voucher, the
 * same voucher (200) for the same request id and item again, or a refusal
 * that changes nothing (item_not_found, item_unavailable, tier_not_allowed,
 * out_of_stock, limit_reached, insufficient_points, id_reused, ...).
 */
bool al_voucher_redeem(al_db *db, void *ctx, al_outcome *o);

/* Ending a voucher: used (by its partner) or cancelled (by its partner or its member). */
typedef struct al_voucher_end {
    char tenant[AL_ID_MAX + 1], code[AL_VOUCHER_CODE_LEN + 1];
    char partner[AL_ID_MAX + 1]; /* the caller, a partner; "" for a member */
    char member[AL_ID_MAX + 1];  /* the caller, a member; "" for a partner */
    bool use;                    /* used; else cancelled */
} al_voucher_end;

/* The job on an al_voucher_end: the voucher as it now is, or a refusal. */
bool al_voucher_finish(al_db *db, void *ctx, al_outcome *o);

al_db_status al_voucher_get(al_db *db, const char *tenant, const char *code, al_voucher *out,
                            bool *found);

/* A member's vouchers, newest first, before seq before (0: from the newest), at most limit. */
al_db_status al_vouchers_of_member(al_db *db, const char *tenant, const char *member,
                                   int64_t before, int64_t limit, al_voucher **out, size_t *n);

#endif
