/*
 * The trial balance: a tenant's accounts summed over their shards, by class
 * (member, partner_issued, partner_redeemed, alliance_breakage,
 * alliance_rewards) and, paged, account by account.
 */
#ifndef AL_TRIAL_BALANCE_H
#define AL_TRIAL_BALANCE_H

#include <stddef.h>
#include <stdint.h>

#include "db/db.h"
#include "ledger/ledger.h"

#define AL_ACCOUNT_CLASS_MAX 32

typedef struct al_account_balance {
    char account[AL_ACCOUNT_MAX];
    int64_t balance;
} al_account_balance;

typedef struct al_class_balance {
    char class_name[AL_ACCOUNT_CLASS_MAX];
    int64_t accounts, balance;
} al_class_balance;

/*
 * Tenant's classes in name order (*rows, free it) and their total (0 when
 * the books balance; exact, 128-bit).
 */
al_db_status al_trial_balance(al_db *db, const char *tenant, al_class_balance **rows, size_t *n,
                              __int128 *total);

/*
 * A page of tenant's accounts in name order after the account after ("" from
 * the first), of class_name only when not NULL, at most limit (free *rows).
 */
al_db_status al_trial_balance_accounts(al_db *db, const char *tenant, const char *class_name,
                                       const char *after, int64_t limit, al_account_balance **rows,
                                       size_t *n);

#endif
