/*
 * Inter-partner settlement (tenant admin): POST /v1/settlements computes a
 * draft of a period (again for the same period: a fresh draft); POST
 * /v1/settlements/{id}/close recomputes it, checks the reconciliation,
 * numbers it, signs it (Ed25519) and keeps it byte for byte; GET
 * /v1/settlements/{id} and /statement.csv answer the stored bytes with the
 * signature in X-Alliance-Signature (verify with GET
 * /v1/settlements/public-key). Drafts and closes read the whole period: they
 * run on a report thread. The statement itself is settlement/statement.c.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/http.h>
#include <jansson.h>
#include <openssl/crypto.h>

#include "api/audit.h"
#include "api/booking.h"
#include "api/context.h"
#include "api/routes.h"
#include "api/statuses.h"
#include "auth/secrets.h"
#include "core/ids.h"
#include "settlement/statement.h"

/* Parses period_start/period_end into DATETIMEs; replies 400 when they are not a period. */
static int period_of(al_exchange *x, json_t *body, char start[AL_SQL_TIME], char end[AL_SQL_TIME])
{
    static const char *const fields[] = {"period_start", "period_end", NULL};
    json_t *s = json_object_get(body, "period_start"), *e = json_object_get(body, "period_end");
    if (al_body_only(x, body, fields) != 0)
        return -1;
    if (!json_is_string(s) || !json_is_string(e) ||
        al_rfc3339_to_sql(json_string_value(s), start) != 0 ||
        al_rfc3339_to_sql(json_string_value(e), end) != 0 || strcmp(start, end) >= 0) {
        al_reply_error(
            x, 400, "invalid_period",
            "period_start and period_end are RFC 3339 times (Z or an offset), start before end");
        return -1;
    }
    return 0;
}

void al_api_settlement_create(al_exchange *x)
{
    json_t *body = NULL;
    al_draft_query q;
    if (al_body_object(x, &body) != 0)
        return;
    if (period_of(x, body, q.start, q.end) == 0) {
        snprintf(q.tenant, sizeof(q.tenant), "%s", x->tenant);
        al_run_report(x, al_settlement_draft, &q, sizeof(q), NULL);
    }
    json_decref(body);
}

/* Loads a statement of the caller's tenant; -1 after replying (404, 503). */
static int load(al_exchange *x, al_statement_row *row)
{
    long long id = 0;
    memset(row, 0, sizeof(*row));
    if (!al_parse_int(x->params[0], 1, INT64_MAX, &id)) {
        al_reply_error(x, 404, "not_found", "no such statement");
        return -1;
    }
    bool found = false;
    al_db_status st = al_statement_load(al_db_of(x), x->tenant, id, AL_CLOSE_MARGIN_S, row, &found);
    if (st != AL_DB_OK) {
        al_reply_db_failure(x, st);
        return -1;
    }
    if (!found) {
        al_reply_error(x, 404, "not_found", "no such statement");
        return -1;
    }
    return 0;
}

/* A statement's JSON or CSV, with its signature when it has one (a draft has none). */
static void reply_statement(al_exchange *x, const char *document, const char *csv,
                            const char *signature, bool as_csv)
{
    if (signature[0] != '\0')
        evhttp_add_header(evhttp_request_get_output_headers(x->req), "X-Alliance-Signature",
                          signature);
    if (as_csv)
        al_reply_text(x, 200, "text/csv; charset=utf-8", csv, strlen(csv));
    else
        al_reply_raw(x, 200, document);
}

/* A partner's own part of a closed statement (a draft is not found), signed. */
static void reply_extract(al_exchange *x, const al_statement_row *row, bool as_csv)
{
    if (!row->closed) {
        al_reply_error(x, 404, "not_found", "no such statement");
        return;
    }
    if (!al_ctx_of(x)->keys->has_settlement_key) {
        al_reply_error(x, 503, "settlement_key_missing", "the server signs no statements");
        return;
    }
    char *doc = NULL, *csv = NULL, sig[129];
    if (al_partner_extract(row->document, x->partner, al_ctx_of(x)->keys->settlement_key, &doc,
                           &csv, sig) != 0) {
        al_reply_error(x, 500, "internal_error", "the statement could not be read");
        return;
    }
    reply_statement(x, doc, csv, sig, as_csv);
    free(doc);
    free(csv);
}

/* An admin reads the whole statement; a partner its own part of a closed one. */
static void get_stored(al_exchange *x, bool as_csv)
{
    al_statement_row row;
    if (load(x, &row) == 0) {
        if (x->role == AL_ROLE_PARTNER)
            reply_extract(x, &row, as_csv);
        else
            reply_statement(x, row.document, row.csv, row.signature, as_csv);
    }
    al_statement_row_clear(&row);
}

void al_api_settlement_get(al_exchange *x)
{
    get_stored(x, false);
}

void al_api_settlement_csv(al_exchange *x)
{
    get_stored(x, true);
}

/* GET /v1/settlements?cursor=&limit=: an admin sees drafts and closed statements, a partner closed
 * ones. */
void al_api_settlement_list(al_exchange *x)
{
    long long cursor, limit;
    if (al_query_page(x, &cursor, &limit) != 0)
        return;
    al_statement_summary *rows = NULL;
    size_t n = 0;
    al_db_status st = al_statements_page(al_db_of(x), x->tenant, x->role == AL_ROLE_PARTNER, cursor,
                                         limit, &rows, &n);
    if (st != AL_DB_OK) {
        free(rows);
        al_reply_db_failure(x, st);
        return;
    }
    json_t *items = json_array();
    for (size_t i = 0; i < n; i++) {
        const al_statement_summary *m = &rows[i];
        json_array_append_new(items, json_pack("{s:I,s:s,s:o,s:s,s:s,s:s,s:s?}", "id",
                                               (json_int_t)m->id, "status", m->status, "number",
                                               m->number ? json_integer(m->number) : json_null(),
                                               "period_start", m->period_start, "period_end",
                                               m->period_end, "created_at", m->created_at,
                                               "closed_at", m->closed_at[0] ? m->closed_at : NULL));
    }
    json_t *next = al_page_next_id(n, limit, n ? rows[n - 1].id : 0);
    free(rows);
    al_reply_json(x, 200, json_pack("{s:o,s:o}", "statements", items, "next_cursor", next));
}

void al_api_settlement_public_key(al_exchange *x)
{
    char pub[65];
    if (!al_ctx_of(x)->keys->has_settlement_key ||
        al_ed25519_public_hex(al_ctx_of(x)->keys->settlement_key, pub)) {
        al_reply_error(x, 503, "settlement_key_missing", "the server signs no statements");
        return;
    }
    al_reply_json(x, 200, json_pack("{s:s,s:s}", "algorithm", "Ed25519", "public_key", pub));
}

void al_api_settlement_close(al_exchange *x)
{
    if (!al_ctx_of(x)->keys->has_settlement_key) {
        al_reply_error(x, 503, "settlement_key_missing",
                       "the server has no settlement_key (ALLIANCE_SETTLEMENT_KEY) to sign with");
        return;
    }
    al_statement_row row;
    if (load(x, &row) != 0) {
        al_statement_row_clear(&row);
        return;
    }
    if (row.closed) { /* closing again answers the closed statement */
        reply_statement(x, row.document, row.csv, row.signature, false);
        al_statement_row_clear(&row);
        return;
    }
    bool over = row.over;
    al_close_query q = {.id = row.id};
    al_api_actor(x, q.actor);
    snprintf(q.request_id, sizeof(q.request_id), "%s", x->request_id);
    snprintf(q.tenant, sizeof(q.tenant), "%s", x->tenant);
    snprintf(q.start, sizeof(q.start), "%s", row.start);
    snprintf(q.end, sizeof(q.end), "%s", row.end);
    al_statement_row_clear(&row);
    if (!over) {
        al_reply_error(x, 422, "period_not_over",
                       "a period closes once its end is %d s past, so no booking is still in "
                       "flight",
                       AL_CLOSE_MARGIN_S);
        return;
    }
    memcpy(q.key, al_ctx_of(x)->keys->settlement_key, sizeof(q.key));
    al_run_report(x, al_settlement_close, &q, sizeof(q), al_close_query_wipe);
    OPENSSL_cleanse(q.key, sizeof(q.key));
}
