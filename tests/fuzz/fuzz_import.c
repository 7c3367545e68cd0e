/*
 * libFuzzer driver: the history import's line parser and the analytics' date
 * parameter, on any input.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "analytics/value.h"
#include "ledger/import_line.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    al_import_line line;
    const char *code = NULL;
    char message[160];
    if (al_import_parse_line((const char *)data, size, &line, &code, message, sizeof(message)) ==
        0) {
        if (!al_id_valid(line.id) || !al_id_valid(line.partner) || !al_id_valid(line.member) ||
            line.amount_minor < 0 || line.points < 0)
            abort(); /* a line that parses is a valid one */
    } else if (code == NULL) {
        abort();
    }
    char *s = malloc(size + 1);
    if (s == NULL)
        return 0;
    memcpy(s, data, size);
    s[size] = '\0';
    int32_t day = al_day_parse(s);
    if (day >= 0) {
        char back[11];
        al_day_format(day, back);
        if (strcmp(back, s) != 0)
            abort(); /* a date parses to the day that prints as itself */
    }
    free(s);
    return 0;
}
