/*
 * POST /v1/import/transactions (tenant admin): a program's history, NDJSON,
 * one {"id","partner","member","occurred_at","amount_minor","points"} a line.
 * The whole body is checked before anything is booked, so a refused body books
 * nothing; then lines are booked exactly once per (partner, id). The answer:
 * {"lines","imported","duplicates","members_created","points","amount_minor"}.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <jansson.h>

#include "analytics/history.h"
#include "api/booking.h"
#include "api/context.h"
#include "api/lookups.h"
#include "api/routes.h"
#include "api/statuses.h"
#include "ledger/import.h"
#include "ledger/report_threads.h"

/* Lines of one request at most; a longer history is sent in several. */
#define IMPORT_MAX_LINES 10000

/* Marks each line whose (partner, id) came earlier in the body (open addressing). */
static int mark_repeats(al_import_line *lines, size_t n)
{
    size_t cap = 1;
    while (cap < 2 * n)
        cap *= 2;
    size_t *slots = malloc(cap * sizeof(*slots));
    if (slots == NULL)
        return -1;
    memset(slots, 0xff, cap * sizeof(*slots));
    for (size_t i = 0; i < n; i++) {
        size_t h = (al_id_hash(lines[i].partner) * 31u + al_id_hash(lines[i].id)) & (cap - 1);
        for (;; h = (h + 1) & (cap - 1)) {
            if (slots[h] == (size_t)-1) {
                slots[h] = i;
                break;
            }
            const al_import_line *o = &lines[slots[h]];
            if (strcmp(o->partner, lines[i].partner) == 0 && strcmp(o->id, lines[i].id) == 0) {
                lines[i].duplicate = true;
                break;
            }
        }
    }
    free(slots);
    return 0;
}

/* Parses and checks every line; the count, or -1 after replying. */
static long parse_body(al_exchange *x, const al_partner_list *partners, al_import_line **out)
{
    struct evbuffer *in = evhttp_request_get_input_buffer(x->req);
    size_t len = evbuffer_get_length(in), pos = 0, n;
    const char *data = len ? (const char *)evbuffer_pullup(in, -1) : "", *text;
    int line = 0;
    size_t count = 0, cap = 0;
    al_import_line *lines = NULL;
    while (al_ndjson_next(data, len, &pos, &line, &text, &n)) {
        if (count == IMPORT_MAX_LINES) {
            al_reply_error(x, 413, "import_too_large", "at most %d lines a request",
                           IMPORT_MAX_LINES);
            goto fail;
        }
        if (count == cap) {
            cap = cap ? 2 * cap : 256;
            al_import_line *more = realloc(lines, cap * sizeof(*lines));
            if (more == NULL) {
                al_reply_error(x, 500, "internal_error", "out of memory");
                goto fail;
            }
            lines = more;
        }
        al_import_line *l = &lines[count];
        const char *code;
        char message[160];
        if (al_import_parse_line(text, n, l, &code, message, sizeof(message)) != 0) {
            al_reply_error(x, 400, code, "line %d: %s", line, message);
            goto fail;
        }
        long p = al_partner_list_find(partners, l->partner);
        if (p < 0) {
            al_reply_error(x, 422, "unknown_partner", "line %d: %s is no partner of this alliance",
                           line, l->partner);
            goto fail;
        }
        if (l->currency[0] == '\0')
            memcpy(l->currency, partners->p[p].currency, sizeof(l->currency));
        l->line = line;
        count++;
    }
    if (count == 0) {
        al_reply_error(x, 400, "empty_import", "the body has no lines");
        goto fail;
    }
    if (mark_repeats(lines, count) != 0) {
        al_reply_error(x, 500, "internal_error", "out of memory");
        goto fail;
    }
    *out = lines;
    return (long)count;
fail:
    free(lines);
    return -1;
}

/* The checked lines, booked on a report thread. */
typedef struct {
    char tenant[AL_ID_MAX + 1];
    al_import_line *lines; /* owned */
    size_t n;
    int expiry_months;
} import_job;

static bool import(al_db *db, void *arg, al_outcome *o)
{
    import_job *c = arg;
    al_import_totals t = {0};
    al_db_status st =
        al_import_book(db, c->tenant, c->lines, c->n, c->expiry_months, al_reports_cancelled, &t);
    if (st != AL_DB_OK)
        return al_db_failed(o, st);
    if (t.stopped)
        return al_refuse(o, AL_STOPPING, "shutting_down",
                         "the server is stopping: %zu of %zu lines done; send the body again "
                         "and what was booked is skipped",
                         t.lines_done, c->n);
    o->reply = json_pack("{s:I,s:I,s:I,s:I,s:I,s:I}", "lines", (json_int_t)c->n, "imported",
                         (json_int_t)t.imported, "duplicates", (json_int_t)t.duplicates,
                         "members_created", (json_int_t)t.members_created, "points",
                         (json_int_t)t.points, "amount_minor", (json_int_t)t.amount_minor);
    o->result = AL_DONE;
    return true;
}

static void import_free(void *arg)
{
    import_job *c = arg;
    free(c->lines);
}

void al_api_import_transactions(al_exchange *x)
{
    al_tenant tenant;
    if (al_tenant_load(x, &tenant) != 0)
        return;
    al_partner_list partners;
    al_db_status st = al_partner_list_load(al_db_of(x), x->tenant, &partners);
    al_import_line *lines = NULL;
    long n = st == AL_DB_OK ? parse_body(x, &partners, &lines) : -1;
    al_partner_list_free(&partners);
    if (st != AL_DB_OK)
        al_reply_db_failure(x, st);
    if (n < 0)
        return;
    import_job c = {.lines = lines, .n = (size_t)n, .expiry_months = tenant.expiry_months};
    snprintf(c.tenant, sizeof(c.tenant), "%s", x->tenant);
    al_run_report(x, import, &c, sizeof(c), import_free);
}
