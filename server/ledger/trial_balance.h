/* The trial balance: every account's balance of a tenant, summed over its shards. */
#ifndef AL_TRIAL_BALANCE_H
#define AL_TRIAL_BALANCE_H

#include <stddef.h>
#include <stdint.h>

#include "db/db.h"
#include "ledger/ledger.h"

typedef struct al_account_balance {
    char account[AL_ACCOUNT_MAX];
    int64_t balance;
} al_account_balance;

/*
 * Tenant's accounts in name order (*rows, free it) and their total (0 when the
 * books balance; exact, 128-bit).
 */
al_db_status al_trial_balance(al_db *db, const char *tenant, al_account_balance **rows, size_t *n,
                              __int128 *total);

#endif
