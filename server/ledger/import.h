/*
 * History import: a program's past transactions booked as they were, set by
 * set (a few multi-row statements per chunk of lines), exactly once per
 * (partner, line id): a line whose id its partner already booked, by import or
 * by real-time earning, is skipped. What real-time earning checks and import
 * does not is listed in docs/analytics.md.
 */
#ifndef AL_IMPORT_H
#define AL_IMPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "db/db.h"
#include "ledger/import_line.h"

typedef struct al_import_totals {
    int64_t imported, duplicates, members_created, points, amount_minor;
    size_t lines_done; /* lines of the body booked or skipped, in order */
    bool stopped;      /* stop() said so before the end */
} al_import_totals;

/*
 * Books lines (their partners known to exist in tenant, currency filled in)
 * in chunks, each chunk one database transaction; adds to *totals. stop, when
 * not NULL, is asked before each chunk (a server that stops). A failure or a
 * stop leaves the chunks before it booked: sending the same lines again books
 * the rest, once.
 */
al_db_status al_import_book(al_db *db, const char *tenant, al_import_line *lines, size_t n,
                            int expiry_months, bool (*stop)(void), al_import_totals *totals);

#endif
