/* The trial balance; see trial_balance.h. */
#include "ledger/trial_balance.h"

#include <stdio.h>
#include <stdlib.h>

static int account_of(MYSQL_ROW row, void *element)
{
    al_account_balance *a = element;
    snprintf(a->account, sizeof(a->account), "%s", row[0]);
    return al_db_i64(row[1], &a->balance) ? 0 : AL_DB_RANGE;
}

al_db_status al_trial_balance(al_db *db, const char *tenant, al_account_balance **rows, size_t *n,
                              __int128 *total)
{
    al_db_param p[] = {AL_STR(tenant)};
    void *list = NULL;
    al_db_status st = al_db_list(db,
                                 "SELECT account, SUM(balance) FROM account_balances "
                                 "WHERE tenant_id = ? GROUP BY account ORDER BY account",
                                 p, 1, sizeof(**rows), account_of, &list, n);
    *rows = list;
    *total = 0;
    for (size_t i = 0; i < *n; i++)
        *total += (*rows)[i].balance;
    /* Exact in 128 bits; refused, not cut down, when the answer cannot carry it. */
    if (st == AL_DB_OK && (*total > INT64_MAX || *total < INT64_MIN))
        st = AL_DB_RANGE;
    return st;
}
