/* The trial balance; see trial_balance.h. */
#include "ledger/trial_balance.h"

#include <stdio.h>
#include <stdlib.h>

/* An account's class: member:x is member, partner:x:side partner_side, alliance:y alliance_y. */
#define CLASS_OF_ACCOUNT                                                                           \
    "CASE WHEN account LIKE 'member:%' THEN 'member' "                                             \
    "WHEN account LIKE 'partner:%' THEN CONCAT('partner_', SUBSTRING_INDEX(account, ':', -1)) "    \
    "ELSE REPLACE(account, ':', '_') END"

static int class_of(MYSQL_ROW row, void *element)
{
    al_class_balance *c = element;
    snprintf(c->class_name, sizeof(c->class_name), "%s", row[0]);
    c->accounts = atoll(row[1]);
    return al_db_i64(row[2], &c->balance) ? 0 : AL_DB_RANGE;
}

al_db_status al_trial_balance(al_db *db, const char *tenant, al_class_balance **rows, size_t *n,
                              __int128 *total)
{
    al_db_param p[] = {AL_STR(tenant)};
    void *list = NULL;
    al_db_status st = al_db_list(db,
                                 "SELECT " CLASS_OF_ACCOUNT " AS c, COUNT(DISTINCT account), "
                                 "SUM(balance) FROM account_balances "
                                 "WHERE tenant_id = ? GROUP BY c ORDER BY c",
                                 p, 1, sizeof(**rows), class_of, &list, n);
    *rows = list;
    *total = 0;
    for (size_t i = 0; i < *n; i++)
        *total += (*rows)[i].balance;
    /* Exact in 128 bits; refused, not cut down, when the answer cannot carry it. */
    if (st == AL_DB_OK && (*total > INT64_MAX || *total < INT64_MIN))
        st = AL_DB_RANGE;
    return st;
}

static int account_of(MYSQL_ROW row, void *element)
{
    al_account_balance *a = element;
    snprintf(a->account, sizeof(a->account), "%s", row[0]);
    return al_db_i64(row[2], &a->balance) ? 0 : AL_DB_RANGE; /* row[1]: its class */
}

al_db_status al_trial_balance_accounts(al_db *db, const char *tenant, const char *class_name,
                                       const char *after, int64_t limit, al_account_balance **rows,
                                       size_t *n)
{
    const char *c = class_name ? class_name : "";
    al_db_param p[] = {AL_STR(tenant), AL_STR(after), AL_STR(c), AL_STR(c), AL_INT(limit)};
    void *list = NULL;
    al_db_status st = al_db_list(db,
                                 "SELECT account, " CLASS_OF_ACCOUNT " AS c, SUM(balance) "
                                 "FROM account_balances WHERE tenant_id = ? AND account > ? "
                                 "GROUP BY account HAVING ? = '' OR c = ? "
                                 "ORDER BY account LIMIT ?",
                                 p, 5, sizeof(**rows), account_of, &list, n);
    *rows = list;
    return st;
}
