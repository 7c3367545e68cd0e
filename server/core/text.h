/*
 * A growing string written with printf formats: the text of /metrics and of
 * --print-config. Out of memory is remembered and reported once, at the end.
 */
#ifndef AL_TEXT_H
#define AL_TEXT_H

#include <stdbool.h>
#include <stddef.h>

typedef struct al_text {
    char *p; /* NUL-terminated once anything is written */
    size_t len, cap;
    bool failed; /* out of memory: later writes do nothing */
} al_text;

void al_text_printf(al_text *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* The text (malloc'd, the caller frees it), or NULL after a failure; t is spent. */
char *al_text_take(al_text *t);

#endif
