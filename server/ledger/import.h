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

#include "core/ids.h"
#include "db/db.h"

/* One NDJSON line: {"id","partner","member","occurred_at","amount_minor","points"[,"currency"]}. */
typedef struct al_import_line {
    char id[AL_ID_MAX + 1], partner[AL_ID_MAX + 1], member[AL_ID_MAX + 1];
    char occurred_at[27]; /* a DATETIME */
    char currency[4];     /* "" : the partner's */
    int64_t amount_minor, points;
    int line; /* its number in the body, from 1 */
    bool duplicate;
} al_import_line;

/*
 * Parses one line; 0, or -1 with a stable code (invalid_json, unknown_field,
 * missing_field, invalid_field) and a message naming the field.
 */
int al_import_parse_line(const char *text, size_t len, al_import_line *out, const char **code,
                         char *message, size_t message_size);

typedef struct al_import_totals {
    int64_t imported, duplicates, members_created, points, amount_minor;
} al_import_totals;

/*
 * Books lines (their partners known to exist in tenant, currency filled in)
 * in chunks, each chunk one database transaction; adds to *totals. A failure
 * leaves the chunks before it booked: sending the same lines again books the
 * rest, once.
 */
al_db_status al_import_book(al_db *db, const char *tenant, al_import_line *lines, size_t n,
                            int expiry_months, al_import_totals *totals);

#endif
