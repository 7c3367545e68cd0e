/*
 * A member's row as a booking reads it under its lock: the balances, the
 * status, the tier and its dates. The one column list and the one parser,
 * for the one-by-one path (ledger.c) and the sets (batch.c).
 */
#ifndef AL_MEMBER_ROW_H
#define AL_MEMBER_ROW_H

#include <stdbool.h>
#include <stdint.h>

#include <mysql.h>

#include "rules/rules.h"

/* The columns al_member_row_read reads, in order (TIMESTAMPDIFF: UNIX_TIMESTAMP stops at 2038). */
#define AL_SQL_MEMBER_LOCKED                                                                       \
    "available, held, debt, status, tier, "                                                        \
    "IFNULL(TIMESTAMPDIFF(SECOND, '1970-01-01', tier_since), 0), "                                 \
    "IFNULL(TIMESTAMPDIFF(SECOND, '1970-01-01', below_since), 0), "                                \
    "IFNULL(tier_floor, ''), "                                                                     \
    "IFNULL(TIMESTAMPDIFF(SECOND, '1970-01-01', tier_floor_until), 0)"

typedef struct al_member_row {
    bool found, blocked;
    int64_t available, held, debt;
    char tier[AL_TIER_NAME_MAX];
    int64_t tier_since, below_since, floor_until; /* Unix seconds; 0: none */
    char floor[AL_TIER_NAME_MAX];
} al_member_row;

/* Fills m (found) from the columns of AL_SQL_MEMBER_LOCKED, from row[0] on. */
void al_member_row_read(MYSQL_ROW row, al_member_row *m);

#endif
