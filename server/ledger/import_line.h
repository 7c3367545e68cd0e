/* One line of a history import (POST /v1/import/transactions), parsed; pure. */
#ifndef AL_IMPORT_LINE_H
#define AL_IMPORT_LINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/ids.h"

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

#endif
