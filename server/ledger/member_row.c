/* A member's locked row; see member_row.h. */
#include "ledger/member_row.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void al_member_row_read(MYSQL_ROW row, al_member_row *m)
{
    m->found = true;
    m->available = strtoll(row[0], NULL, 10);
    m->held = strtoll(row[1], NULL, 10);
    m->debt = strtoll(row[2], NULL, 10);
    m->blocked = strcmp(row[3], "blocked") == 0;
    snprintf(m->tier, sizeof(m->tier), "%s", row[4]);
    m->tier_since = strtoll(row[5], NULL, 10);
    m->below_since = strtoll(row[6], NULL, 10);
    snprintf(m->floor, sizeof(m->floor), "%s", row[7]);
    m->floor_until = strtoll(row[8], NULL, 10);
}
