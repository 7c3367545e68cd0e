/* The trial balance; see trial_balance.h. */
#include "ledger/trial_balance.h"

#include <stdio.h>
#include <stdlib.h>

al_db_status al_trial_balance(al_db *db, const char *tenant, al_account_balance **rows, size_t *n,
                              __int128 *total)
{
    al_db_param p[] = {AL_STR(tenant)};
    MYSQL_RES *res = NULL;
    *rows = NULL;
    *n = 0;
    *total = 0;
    al_db_status st = al_db_exec(db,
                                 "SELECT account, SUM(balance) FROM account_balances "
                                 "WHERE tenant_id = ? GROUP BY account ORDER BY account",
                                 p, 1, &res);
    if (st != AL_DB_OK)
        return st;
    size_t count = (size_t)mysql_num_rows(res);
    *rows = calloc(count ? count : 1, sizeof(**rows));
    if (*rows == NULL) {
        mysql_free_result(res);
        return AL_DB_ERROR;
    }
    MYSQL_ROW row;
    while ((row = mysql_fetch_row(res)) != NULL) {
        al_account_balance *a = &(*rows)[(*n)++];
        snprintf(a->account, sizeof(a->account), "%s", row[0]);
        a->balance = strtoll(row[1], NULL, 10);
        *total += a->balance;
    }
    mysql_free_result(res);
    return AL_DB_OK;
}
