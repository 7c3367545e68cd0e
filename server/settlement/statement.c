/* Settlement statements; see statement.h. */
#include "settlement/statement.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <openssl/crypto.h>

#include "audit/audit.h"
#include "auth/secrets.h"
#include "core/ids.h"
#include "core/rounding.h"
#include "webhooks/outbox.h"

static al_statement_line *line_for(al_period_sums *s, const char *partner)
{
    for (size_t i = 0; i < s->n; i++)
        if (strcmp(s->lines[i].partner, partner) == 0)
            return &s->lines[i];
    if (s->n == s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 16;
        al_statement_line *nl = realloc(s->lines, cap * sizeof(*nl));
        if (nl == NULL)
            return NULL;
        s->lines = nl;
        s->cap = cap;
    }
    al_statement_line *l = &s->lines[s->n++];
    memset(l, 0, sizeof(*l));
    snprintf(l->partner, sizeof(l->partner), "%s", partner);
    return l;
}

/* *acc += v, false when the sum would not fit (then *acc is unchanged). */
static bool add(int64_t *acc, int64_t v)
{
    return !__builtin_add_overflow(*acc, v, acc);
}

int al_period_sums_add(al_period_sums *s, const al_period_row *rows, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        const al_period_row *r = &rows[i];
        bool earning = strcmp(r->kind, "earn") == 0 || strcmp(r->kind, "event") == 0;
        bool imported = strcmp(r->kind, "import") == 0; /* history, settled before it came */
        /* The alliance's referral rewards are issued (net of those taken back), never billed. */
        bool referral = strcmp(r->kind, "referral") == 0;
        bool referral_back = strcmp(r->kind, "referral_back") == 0;
        if (!add(&s->member_delta, r->member_delta) ||
            (strcmp(r->kind, "expire") == 0 && !add(&s->expired, r->points)) ||
            ((earning || imported || referral) && !add(&s->issued_all, r->points)) ||
            (referral_back && !add(&s->issued_all, -r->points)))
            return AL_SUMS_RANGE;
        if (r->partner[0] == '\0' || r->currency[0] == '\0' || imported)
            continue; /* the alliance's own, or imported: issued, not billed */
        al_statement_line *l = line_for(s, r->partner);
        if (l == NULL)
            return -1;
        memcpy(l->currency, r->currency, sizeof(l->currency));
        /* points x rate is under 2^95 a row: the 128-bit sums cannot overflow. */
        bool fits = true;
        if (strcmp(r->kind, "redeem") == 0) {
            fits = add(&l->redeemed, r->points);
            l->reimb_num += (__int128)r->points * r->redeem_per_1000;
        } else if (strcmp(r->kind, "reversal") == 0) {
            fits = add(&l->reversed, r->points);
            l->fee_num -= (__int128)r->points * r->issue_per_1000;
        } else if (earning) {
            fits = add(&l->issued, r->points);
            l->fee_num += (__int128)r->points * r->issue_per_1000;
        }
        if (!fits || !al_per_mille_fits(l->fee_num) || !al_per_mille_fits(l->reimb_num))
            return AL_SUMS_RANGE;
    }
    return 0;
}

void al_period_sums_free(al_period_sums *s)
{
    free(s->lines);
    memset(s, 0, sizeof(*s));
}

int64_t al_line_fee(const al_statement_line *l)
{
    return al_per_mille(l->fee_num);
}

int64_t al_line_reimbursement(const al_statement_line *l)
{
    return al_per_mille(l->reimb_num);
}

bool al_reconciles(int64_t opening, int64_t issued, int64_t reversed, int64_t redeemed,
                   int64_t expired, int64_t closing, int64_t closing_by_balances)
{
    return opening + issued - reversed - redeemed - expired == closing &&
           closing == closing_by_balances;
}

/* Adds fee and reimbursement to the money totals of currency (exact sums of the lines). */
static void add_money(json_t *totals, const char *currency, int64_t fee, int64_t reimb)
{
    json_t *t = json_object_get(totals, currency);
    if (t == NULL) {
        t = json_pack("{s:I,s:I,s:I}", "fee_income_minor", (json_int_t)0,
                      "reimbursement_cost_minor", (json_int_t)0, "net_minor", (json_int_t)0);
        json_object_set_new(totals, currency, t);
    }
    json_object_set_new(
        t, "fee_income_minor",
        json_integer(json_integer_value(json_object_get(t, "fee_income_minor")) + fee));
    json_object_set_new(
        t, "reimbursement_cost_minor",
        json_integer(json_integer_value(json_object_get(t, "reimbursement_cost_minor")) + reimb));
    json_object_set_new(
        t, "net_minor",
        json_integer(json_integer_value(json_object_get(t, "net_minor")) + fee - reimb));
}

/*
 * Outstanding points when a period starts: the closing figure of the closed
 * statement that ends there (statements chain), else from all the bookings before.
 */
static al_db_status opening_outstanding(al_db *db, const char *tenant, const char *start,
                                        int64_t *out)
{
    bool chained = false;
    al_db_status st = al_closed_closing_at(db, tenant, start, out, &chained);
    if (st != AL_DB_OK || chained)
        return st;
    return al_outstanding_from_bookings(db, tenant, start, out);
}

static bool fits(__int128 v)
{
    return v >= INT64_MIN && v <= INT64_MAX;
}

/*
 * Whether every figure the statement derives from s fits in 64 bits: each
 * line's net, the totals of points and of money per currency, and the
 * reconciliation's steps. Checked once in 128 bits, so the rendering below
 * can add in 64; a statement that cannot be written exactly is refused.
 */
static bool totals_fit(const al_period_sums *s, int64_t opening)
{
    __int128 reversed = 0, redeemed = 0;
    for (size_t i = 0; i < s->n; i++) {
        const al_statement_line *l = &s->lines[i];
        __int128 fee = 0, reimb = 0;
        /* A currency's money: this line and the lines before it in that currency. */
        for (size_t j = 0; j <= i; j++)
            if (strcmp(s->lines[j].currency, l->currency) == 0) {
                fee += al_line_fee(&s->lines[j]);
                reimb += al_line_reimbursement(&s->lines[j]);
            }
        reversed += l->reversed;
        redeemed += l->redeemed;
        if (!fits(al_line_fee(l) - (__int128)al_line_reimbursement(l)) || !fits(fee) ||
            !fits(reimb) || !fits(fee - reimb) || !fits(reversed) || !fits(redeemed))
            return false;
    }
    __int128 closing = (__int128)opening + s->member_delta;
    __int128 steps = (__int128)opening + s->issued_all - reversed - redeemed - s->expired;
    return fits(closing) && fits(steps) && fits((__int128)opening + s->issued_all) &&
           fits((__int128)opening + s->issued_all - reversed) &&
           fits((__int128)opening + s->issued_all - reversed - redeemed);
}

/* The statement's CSV: its columns, a partner's line, a provenance row (whole statements and
 * parts). */
#define CSV_HEADER                                                                                 \
    "line,partner,issuer,currency,points_issued,points_reversed,points_redeemed,fee_minor,"        \
    "reimbursement_minor,net_minor\r\n"

static void csv_partner(FILE *out, const char *partner, const char *currency, int64_t issued,
                        int64_t reversed, int64_t redeemed, int64_t fee, int64_t reimb)
{
    fprintf(out, "partner,%s,,%s,%lld,%lld,%lld,%lld,%lld,%lld\r\n", partner, currency,
            (long long)issued, (long long)reversed, (long long)redeemed, (long long)fee,
            (long long)reimb, (long long)(fee - reimb));
}

static void csv_provenance(FILE *out, const char *redeemer, const char *issuer,
                           const char *currency, int64_t points, int64_t value)
{
    fprintf(out, "provenance,%s,%s,%s,,,%lld,,%lld,\r\n", redeemer, issuer, currency,
            (long long)points, (long long)value);
}

/* Computes the statement of [start, end) as a JSON document and its CSV. */
static al_db_status compute(al_db *db, const char *tenant, const char *start, const char *end,
                            json_t **doc_out, char **csv_out, bool *balanced)
{
    al_period_row *rows = NULL;
    al_provenance_row *prov = NULL;
    size_t nrows = 0, nprov = 0;
    al_period_sums s = {0};
    char *csv = NULL;
    size_t csv_len = 0;
    *doc_out = NULL;
    *csv_out = NULL;
    /*
     * One pass over the period: per partner, kind and contract, the points
     * and the member accounts' net movement; partner-less bookings (expiry,
     * the alliance's own events) come with no price.
     */
    al_db_status st = al_period_rows(db, tenant, start, end, &rows, &nrows);
    int added = st == AL_DB_OK ? al_period_sums_add(&s, rows, nrows) : 0;
    if (added != 0)
        st = added == AL_SUMS_RANGE ? AL_DB_RANGE : AL_DB_ERROR;
    free(rows);
    /* Provenance: points issued by P and redeemed at Q, valued at Q's redemption price. */
    if (st == AL_DB_OK)
        st = al_provenance_rows(db, tenant, start, end, &prov, &nprov);
    int64_t opening = 0, closing_check = 0;
    if (st == AL_DB_OK)
        st = opening_outstanding(db, tenant, start, &opening);
    if (st == AL_DB_OK)
        st = al_outstanding_from_balances(db, tenant, end, &closing_check);
    if (st == AL_DB_OK && !totals_fit(&s, opening))
        st = AL_DB_RANGE;
    FILE *out = st == AL_DB_OK ? open_memstream(&csv, &csv_len) : NULL;
    if (out == NULL) {
        free(prov);
        al_period_sums_free(&s);
        return st != AL_DB_OK ? st : AL_DB_ERROR;
    }

    json_t *partners = json_array(), *totals = json_object(), *matrix = json_array();
    fputs(CSV_HEADER, out);
    int64_t reversed = 0, redeemed = 0;
    for (size_t i = 0; i < s.n; i++) {
        const al_statement_line *l = &s.lines[i];
        int64_t fee = al_line_fee(l), reimb = al_line_reimbursement(l);
        json_array_append_new(
            partners,
            json_pack("{s:s,s:s,s:I,s:I,s:I,s:I,s:I,s:I}", "partner", l->partner, "currency",
                      l->currency, "points_issued", (json_int_t)l->issued, "points_reversed",
                      (json_int_t)l->reversed, "points_redeemed", (json_int_t)l->redeemed,
                      "fee_minor", (json_int_t)fee, "reimbursement_minor", (json_int_t)reimb,
                      "net_minor", (json_int_t)(fee - reimb)));
        csv_partner(out, l->partner, l->currency, l->issued, l->reversed, l->redeemed, fee, reimb);
        add_money(totals, l->currency, fee, reimb);
        reversed += l->reversed;
        redeemed += l->redeemed;
    }
    for (size_t i = 0; i < nprov; i++) {
        const al_provenance_row *r = &prov[i];
        int64_t value = al_per_mille((__int128)r->value_num);
        json_array_append_new(matrix,
                              json_pack("{s:s,s:s,s:s,s:I,s:I}", "issuer", r->issuer, "redeemer",
                                        r->redeemer, "currency", r->currency, "points",
                                        (json_int_t)r->points, "value_minor", (json_int_t)value));
        csv_provenance(out, r->redeemer, r->issuer, r->currency, r->points, value);
    }
    free(prov);
    int64_t closing = opening + s.member_delta;
    *balanced =
        al_reconciles(opening, s.issued_all, reversed, redeemed, s.expired, closing, closing_check);
    /* As the JSON totals: imported points and the alliance's events are issued too. */
    fprintf(out, "totals,,,,%lld,%lld,%lld,,,\r\n", (long long)s.issued_all, (long long)reversed,
            (long long)redeemed);
    fprintf(out,
            "reconciliation,opening %lld + issued %lld - reversed %lld - redeemed "
            "%lld - expired %lld = closing %lld,,,,,,,,\r\n",
            (long long)opening, (long long)s.issued_all, (long long)reversed, (long long)redeemed,
            (long long)s.expired, (long long)closing);
    bool written = fclose(out) == 0;
    char start_at[AL_RFC3339_MAX], end_at[AL_RFC3339_MAX];
    al_sql_to_rfc3339(start, start_at);
    al_sql_to_rfc3339(end, end_at);
    *doc_out = json_pack(
        "{s:s,s:s,s:o,s:o,s:{s:I,s:I,s:I,s:I,s:o},s:{s:I,s:I,s:I,s:I,s:I,s:I,s:b}}", "period_start",
        start_at, "period_end", end_at, "partners", partners, "provenance", matrix, "totals",
        "points_issued", (json_int_t)s.issued_all, "points_reversed", (json_int_t)reversed,
        "points_redeemed", (json_int_t)redeemed, "points_expired", (json_int_t)s.expired, "money",
        totals, "reconciliation", "opening_outstanding", (json_int_t)opening, "issued",
        (json_int_t)s.issued_all, "reversed", (json_int_t)reversed, "redeemed",
        (json_int_t)redeemed, "expired", (json_int_t)s.expired, "closing_outstanding",
        (json_int_t)closing, "balanced", *balanced);
    al_period_sums_free(&s);
    if (!written || *doc_out == NULL) {
        free(csv);
        json_decref(*doc_out);
        *doc_out = NULL;
        return AL_DB_ERROR;
    }
    *csv_out = csv;
    return AL_DB_OK;
}

/* The statement as stored: the document with its identity and status first. */
static char *statement_text(int64_t id, const char *status, int64_t number, json_t *doc)
{
    json_t *head = json_pack("{s:I,s:s}", "id", (json_int_t)id, "status", status);
    if (number > 0)
        json_object_set_new(head, "number", json_integer(number));
    json_object_update(head, doc);
    char *text = json_dumps(head, JSON_COMPACT | JSON_PRESERVE_ORDER);
    json_decref(head);
    return text;
}

/* Refuses (conflict) a period [start, end) that overlaps a closed statement (other than except). */
static bool overlaps_closed(al_db *db, const char *tenant, const char *start, const char *end,
                            int64_t except, al_outcome *o)
{
    int64_t n = 0;
    al_db_status st = al_closed_overlapping(db, tenant, start, end, except, &n);
    if (st != AL_DB_OK) {
        al_db_failed(o, st);
        return true;
    }
    if (n > 0) {
        al_refuse(o, AL_CONFLICT, "period_overlaps_closed",
                  "the period overlaps a closed statement; nothing is billed twice");
        return true;
    }
    return false;
}

/* Refuses (conflict) closing a period that starts after the last closed one ends: no gaps. */
static bool leaves_gap(al_db *db, const char *tenant, const char *start, al_outcome *o)
{
    char last[AL_SQL_TIME];
    bool found = false;
    al_db_status st = al_last_closed_end(db, tenant, last, &found);
    if (st != AL_DB_OK) {
        al_db_failed(o, st);
        return true;
    }
    bool gap = found && strcmp(last, start) < 0;
    char last_at[AL_RFC3339_MAX];
    al_sql_to_rfc3339(last, last_at);
    if (gap)
        al_refuse(o, AL_CONFLICT, "period_gap",
                  "the last closed period ends at %s; the next one must start there", last_at);
    return gap;
}

bool al_settlement_draft(al_db *db, void *ctx, al_outcome *o)
{
    const al_draft_query *q = ctx;
    json_t *doc = NULL;
    char *csv = NULL, *text = NULL;
    bool balanced = false;
    int64_t id = 0;
    if (overlaps_closed(db, q->tenant, q->start, q->end, 0, o))
        return false;
    al_db_status st = compute(db, q->tenant, q->start, q->end, &doc, &csv, &balanced);
    /* One draft a period: computing it again replaces it. */
    if (st == AL_DB_OK)
        st = al_db_exec(db, "START TRANSACTION", NULL, 0, NULL);
    if (st == AL_DB_OK)
        st = al_draft_replace(db, q->tenant, q->start, q->end, csv, &id);
    text = st == AL_DB_OK ? statement_text(id, "draft", 0, doc) : NULL;
    if (st == AL_DB_OK)
        st = al_statement_set_document(db, id, text ? text : "{}");
    if (st == AL_DB_OK)
        st = al_db_exec(db, "COMMIT", NULL, 0, NULL);
    free(csv);
    json_decref(doc);
    if (st != AL_DB_OK) {
        free(text);
        al_db_exec(db, "ROLLBACK", NULL, 0, NULL);
        return al_db_failed(o, st);
    }
    o->result = AL_CREATED;
    o->reply_text = text;
    return true;
}

bool al_settlement_close(al_db *db, void *ctx, al_outcome *o)
{
    const al_close_query *q = ctx;
    json_t *doc = NULL;
    char *csv = NULL, *text = NULL, *signed_text = NULL, sig[129] = "";
    bool balanced = false, ok = false;
    int64_t number = 0;
    /* The tenant row serialises closes: one numbering, no overlaps. */
    al_db_status st = al_db_exec(db, "START TRANSACTION", NULL, 0, NULL);
    if (st == AL_DB_OK)
        st = al_settlement_lock(db, q->tenant);
    if (st == AL_DB_OK && (overlaps_closed(db, q->tenant, q->start, q->end, q->id, o) ||
                           leaves_gap(db, q->tenant, q->start, o))) {
        al_db_exec(db, "ROLLBACK", NULL, 0, NULL);
        return false;
    }
    if (st == AL_DB_OK)
        st = compute(db, q->tenant, q->start, q->end, &doc, &csv, &balanced);
    if (st == AL_DB_OK && !balanced) {
        al_db_exec(db, "ROLLBACK", NULL, 0, NULL);
        char *why = json_dumps(json_object_get(doc, "reconciliation"), JSON_COMPACT);
        al_refuse(o, AL_REFUSED, "reconciliation_failed",
                  "the statement does not reconcile with the ledger: %.180s", why ? why : "");
        free(why);
        goto done;
    }
    if (st == AL_DB_OK)
        st = al_next_number(db, q->tenant, &number);
    if (st == AL_DB_OK) {
        /* The signature covers "document" and "csv" as "<document>\n<csv>". */
        text = statement_text(q->id, "closed", number, doc);
        if (text == NULL || asprintf(&signed_text, "%s\n%s", text, csv) < 0 ||
            al_ed25519_sign_hex(q->key, signed_text, strlen(signed_text), sig) != 0)
            st = AL_DB_ERROR;
    }
    if (st == AL_DB_OK)
        st = al_statement_mark_closed(db, q->id, number, text, csv, sig);
    if (st == AL_DB_OK) { /* the audit row commits with the close */
        char target[24], start[AL_RFC3339_MAX], end[AL_RFC3339_MAX];
        snprintf(target, sizeof(target), "%lld", (long long)q->id);
        al_sql_to_rfc3339(q->start, start);
        al_sql_to_rfc3339(q->end, end);
        json_t *after = json_pack("{s:I,s:s,s:s,s:s}", "number", (json_int_t)number, "period_start",
                                  start, "period_end", end, "signature", sig);
        al_audit_entry e = {.tenant = q->tenant,
                            .actor = q->actor,
                            .request_id = q->request_id,
                            .action = "settlement.close",
                            .target = target,
                            .after = after};
        st = al_audit_append_in(db, &e);
        json_decref(after);
        if (st == AL_DB_OK) /* partners read their part: GET /v1/settlements/{id} */
            st = al_outbox_add(db, q->tenant, AL_EVENT_SETTLEMENT_CLOSED, NULL,
                               json_pack("{s:I,s:I,s:s,s:s,s:s}", "id", (json_int_t)q->id, "number",
                                         (json_int_t)number, "period_start", start, "period_end",
                                         end, "signature", sig));
    }
    if (st == AL_DB_OK)
        st = al_db_exec(db, "COMMIT", NULL, 0, NULL);
    if (st != AL_DB_OK) {
        al_db_exec(db, "ROLLBACK", NULL, 0, NULL);
        al_db_failed(o, st);
        goto done;
    }
    o->result = AL_DONE;
    o->reply_text = text;
    text = NULL;
    snprintf(o->signature, sizeof(o->signature), "%s", sig);
    ok = true;
done:
    free(signed_text);
    free(text);
    free(csv);
    json_decref(doc);
    return ok;
}

void al_close_query_wipe(void *ctx)
{
    al_close_query *q = ctx;
    OPENSSL_cleanse(q->key, sizeof(q->key));
}

/* The extract's CSV: the whole statement's columns, the partner's rows only. */
static char *extract_csv(const json_t *line, const json_t *provenance)
{
    char *csv = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&csv, &len);
    if (out == NULL)
        return NULL;
    fputs(CSV_HEADER, out);
#define I(o, k) ((int64_t)json_integer_value(json_object_get(o, k)))
#define S(o, k) json_string_value(json_object_get(o, k))
    if (line != NULL)
        csv_partner(out, S(line, "partner"), S(line, "currency"), I(line, "points_issued"),
                    I(line, "points_reversed"), I(line, "points_redeemed"), I(line, "fee_minor"),
                    I(line, "reimbursement_minor"));
    size_t i;
    const json_t *r;
    json_array_foreach (provenance, i, r) {
        csv_provenance(out, S(r, "redeemer"), S(r, "issuer"), S(r, "currency"), I(r, "points"),
                       I(r, "value_minor"));
    }
#undef I
#undef S
    if (fclose(out) != 0) {
        free(csv);
        return NULL;
    }
    return csv;
}

/* Whether obj's field key is the string id. */
static bool names(const json_t *obj, const char *key, const char *id)
{
    const char *v = json_string_value(json_object_get(obj, key));
    return v != NULL && strcmp(v, id) == 0;
}

int al_partner_extract(const char *document, const char *partner, const uint8_t key[32], char **doc,
                       char **csv, char sig[129])
{
    *doc = *csv = NULL;
    json_t *whole = json_loads(document, 0, NULL);
    if (whole == NULL)
        return -1;
    json_t *line = NULL, *provenance = json_array(), *p;
    size_t i;
    json_array_foreach (json_object_get(whole, "partners"), i, p) {
        if (names(p, "partner", partner))
            line = p;
    }
    json_array_foreach (json_object_get(whole, "provenance"), i, p) {
        if (names(p, "issuer", partner) || names(p, "redeemer", partner))
            json_array_append(provenance, p);
    }
    json_t *part = json_pack("{s:O,s:O,s:s,s:O,s:O,s:o,s:O}", "id", json_object_get(whole, "id"),
                             "number", json_object_get(whole, "number"), "partner", partner,
                             "period_start", json_object_get(whole, "period_start"), "period_end",
                             json_object_get(whole, "period_end"), "line",
                             line ? json_incref(line) : json_null(), "provenance", provenance);
    char *signed_text = NULL;
    int rc = -1;
    if (part != NULL && (*doc = json_dumps(part, JSON_COMPACT | JSON_PRESERVE_ORDER)) != NULL &&
        (*csv = extract_csv(line, provenance)) != NULL &&
        asprintf(&signed_text, "%s\n%s", *doc, *csv) >= 0 &&
        al_ed25519_sign_hex(key, signed_text, strlen(signed_text), sig) == 0)
        rc = 0;
    free(signed_text);
    json_decref(part);
    json_decref(provenance);
    json_decref(whole);
    if (rc != 0) {
        free(*doc);
        free(*csv);
        *doc = *csv = NULL;
    }
    return rc;
}
