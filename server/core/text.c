/* A growing string; see text.h. */
#include "core/text.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

void al_text_printf(al_text *t, const char *fmt, ...)
{
    while (!t->failed) {
        va_list ap;
        va_start(ap, fmt);
        int n = vsnprintf(t->p ? t->p + t->len : NULL, t->p ? t->cap - t->len : 0, fmt, ap);
        va_end(ap);
        if (n < 0) {
            t->failed = true;
        } else if (t->p != NULL && (size_t)n < t->cap - t->len) {
            t->len += (size_t)n;
            return;
        } else {
            size_t cap = t->cap * 2 + (size_t)n + 256;
            char *np = realloc(t->p, cap);
            if (np == NULL)
                t->failed = true;
            else {
                t->p = np;
                t->cap = cap;
            }
        }
    }
}

char *al_text_take(al_text *t)
{
    char *p = t->failed ? NULL : t->p;
    if (t->failed)
        free(t->p);
    *t = (al_text){0};
    return p;
}
