/*
 * Partner transactions: earning (the partner's plugin turns its native data
 * into points, booked from the partner's issued account to the member),
 * reversals of refunds, and the dry run that books nothing.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <jansson.h>

#include "api/booking.h"
#include "api/context.h"
#include "api/lookups.h"
#include "api/routes.h"
#include "api/statuses.h"
#include "core/limits.h"
#include "core/metrics.h"
#include "core/tz.h"
#include "http/server.h"
#include "partners/partners.h"
#include "plugins/translate.h"
#include "rules/rules.h"

/* Replies when a setup's read failed or found no partner; 0 when it did find one. */
static int setup_found(al_exchange *x, al_db_status st, bool found, const char *partner)
{
    if (st != AL_DB_OK) {
        al_reply_db_failure(x, st);
        return -1;
    }
    if (!found) {
        if (x->role == AL_ROLE_PARTNER)
            al_reply_error(x, 500, "internal_error", "the partner of this key is missing");
        else
            al_reply_error(x, 422, "unknown_partner", "no partner %.64s", partner);
        return -1;
    }
    return 0;
}

static int load_setup(al_exchange *x, const char *partner, al_partner_setup *ps)
{
    bool found = false;
    al_db_status st = al_partner_setup_load(al_db_of(x), x->tenant, partner, ps, &found);
    return setup_found(x, st, found, partner);
}

/* The partner's setup from the worker's cache (its config loaded in the plugin once). */
static al_setup_entry *cached_setup(al_exchange *x)
{
    bool found = false;
    al_setup_entry *e = NULL;
    al_db_status st = al_partner_setup_cached(&al_ctx_of(x)->setup_cache, al_db_of(x), x->tenant,
                                              x->partner, &e, &found);
    if (setup_found(x, st, found, x->partner) != 0)
        return NULL;
    if (e->setup.setup_version < x->setup_version || x->setup_version == 0)
        x->setup_version = e->setup.setup_version; /* the older: a booking checks it at commit */
    return e;
}

/*
 * Translates data with the partner's plugin (entry's loaded config, or ps's
 * loaded now); replies and returns false when it cannot.
 */
static bool translate(al_exchange *x, const al_partner_setup *ps, al_setup_entry *entry,
                      json_t *data, al_translation *t)
{
    alliance_error err;
    al_plugin_set *set = al_plugins_acquire(&al_ctx_of(x)->plugins);
    al_tr_status st = entry != NULL ? al_partner_translate(entry, set, data, t, &err)
                                    : al_translate(set, ps->plugin, ps->config, data, t, &err);
    al_plugins_release(set);
    if (st == AL_TR_NO_PLUGIN)
        al_reply_error(x, 503, "plugin_unavailable", "the partner's plugin %s is not loaded",
                       ps->plugin);
    else if (st != AL_TR_OK) /* refused, or a result it cannot use: the partner sees why */
        al_reply_error(x, 422, err.code, "%s", err.message);
    if (st == AL_TR_REFUSED)
        al_metrics_plugin_refusal(ps->plugin);
    return st == AL_TR_OK;
}

/* Checks {"data": object} and the other allowed fields; replies 400 when not. */
static json_t *data_of(al_exchange *x, json_t *body, const char *const *fields)
{
    json_t *data = json_object_get(body, "data");
    if (al_body_only(x, body, fields) != 0)
        return NULL;
    if (!json_is_object(data)) {
        al_reply_error(x, 400, data ? "invalid_field" : "missing_field",
                       "data must be an object: the partner's native transaction");
        return NULL;
    }
    return data;
}

/* An earning, translated on the worker, booked by a committer. */
typedef struct {
    const char *tenant, *partner, *id, *member; /* alive with the request */
    char occurred_at[27];
    char currency[4];
    int64_t points, qualifying_points, base_amount_minor;
    json_t *translation; /* owned */
    al_translation t;    /* the plugin's lines */
    int64_t when;        /* occurred_at, Unix seconds */
    int32_t utc_offset;  /* the tenant's zone at when */
    al_rules *rules;     /* a reference */
    bool auto_enrol;
    int expiry_months;
} earn_job;

static void earning_of(earn_job *c, al_earn *out)
{
    al_earn e = {.tenant = c->tenant,
                 .partner = c->partner,
                 .transaction_id = c->id,
                 .member = c->member,
                 .occurred_at = c->occurred_at,
                 .points = c->points,
                 .qualifying_points = c->qualifying_points,
                 .base_amount_minor = c->base_amount_minor,
                 .currency = c->currency,
                 .translation = c->translation,
                 .lines = c->t.lines,
                 .nlines = c->t.nlines,
                 .when = c->when,
                 .utc_offset = c->utc_offset,
                 .rules = c->rules,
                 .auto_enrol = c->auto_enrol,
                 .expiry_months = c->expiry_months};
    *out = e;
}

static bool earn(al_db *db, void *arg, al_outcome *o)
{
    al_earn e;
    earning_of(arg, &e);
    return al_ledger_earn(db, &e, o);
}

static void describe_earn(void *arg, al_job_op *op)
{
    op->kind = AL_OP_EARN;
    earning_of(arg, &op->earn);
}

static void earn_free(void *arg)
{
    earn_job *c = arg;
    json_decref(c->translation);
    al_rules_drop(c->rules);
}

/* "occurred_at" as a database time; now when absent. */
static int occurred_at(al_exchange *x, json_t *body, char out[27])
{
    json_t *v = json_object_get(body, "occurred_at");
    if (v == NULL) {
        al_sql_now(out);
        return 0;
    }
    if (!json_is_string(v) || al_rfc3339_to_sql(json_string_value(v), out) != 0) {
        al_reply_error(x, 400, "invalid_field",
                       "occurred_at must be an RFC 3339 time with Z or an offset, like "
                       "2026-11-23T18:50:00Z or 2026-11-24T02:50:00+08:00");
        return -1;
    }
    return 0;
}

/*
 * One earning: body checked, translated by the partner's plugin here on the
 * worker, then booked by a committer; the reply comes after its COMMIT.
 * Replies on x in every case.
 */
static void earn_body(al_exchange *x, json_t *body, const al_partner_setup *ps,
                      al_setup_entry *entry, al_rules *rules)
{
    static const char *const fields[] = {"id", "member", "occurred_at", "data", NULL};
    json_t *data;
    earn_job c = {.tenant = x->tenant, .partner = x->partner};
    if ((data = data_of(x, body, fields)) == NULL || al_body_id(x, body, "id", &c.id) != 0 ||
        al_body_id(x, body, "member", &c.member) != 0 || occurred_at(x, body, c.occurred_at) != 0)
        return;
    al_translation t;
    if (!translate(x, ps, entry, data, &t))
        return;
    c.rules = al_rules_hold(rules);
    c.translation = al_translation_json(&t);
    c.t = t;
    c.when = al_sql_time_to_unix(c.occurred_at);
    c.utc_offset = al_tz_offset(al_tz_get(ps->time_zone), c.when);
    json_object_set_new(c.translation, "plugin", json_string(ps->plugin));
    memcpy(c.currency, t.currency, 4);
    c.points = t.points;
    c.qualifying_points = t.qualifying_points;
    c.base_amount_minor = t.base_amount_minor;
    c.auto_enrol = ps->auto_enrol;
    c.expiry_months = ps->expiry_months;
    al_run_set_booking(x, "transaction", c.id, body, al_id_hash(c.member), earn, describe_earn, &c,
                       sizeof(c), earn_free);
}

void al_api_transaction_create(al_exchange *x)
{
    json_t *body = NULL;
    al_setup_entry *e = NULL;
    al_rules *rules = NULL;
    if (al_body_object(x, &body) != 0)
        return;
    if ((e = cached_setup(x)) != NULL && (rules = al_rules_for(x, e->setup.rules_version)) != NULL)
        earn_body(x, body, &e->setup, e, rules);
    al_rules_drop(rules);
    json_decref(body);
}

typedef struct {
    const char *tenant, *partner, *transaction_id, *id;
    int64_t amount_minor; /* < 0: the whole rest */
} reversal_job;

static bool reverse(al_db *db, void *arg, al_outcome *o)
{
    reversal_job *c = arg;
    return al_ledger_reverse(db, c->tenant, c->partner, c->transaction_id, c->id, c->amount_minor,
                             o);
}

void al_api_transaction_reverse(al_exchange *x)
{
    static const char *const fields[] = {"id", "amount_minor", NULL};
    json_t *body = NULL;
    reversal_job c = {.tenant = x->tenant,
                      .partner = x->partner,
                      .transaction_id = x->params[0],
                      .amount_minor = -1};
    if (al_body_object(x, &body) != 0)
        return;
    if (al_body_only(x, body, fields) != 0 || al_body_id(x, body, "id", &c.id) != 0)
        goto done;
    json_t *amount = json_object_get(body, "amount_minor");
    if (amount != NULL && (!json_is_integer(amount) || json_integer_value(amount) < 1 ||
                           json_integer_value(amount) > AL_MAX_AMOUNT_MINOR)) {
        al_reply_error(x, 400, "invalid_field", "amount_minor must be an integer from 1 to %lld",
                       AL_MAX_AMOUNT_MINOR);
        goto done;
    }
    if (amount != NULL)
        c.amount_minor = json_integer_value(amount);
    if (!al_id_valid(c.transaction_id)) {
        al_reply_error(x, 404, "transaction_not_found", "no such transaction");
        goto done;
    }
    al_run_booking(x, "reversal", c.id, body, al_id_hash(c.transaction_id), reverse, &c, sizeof(c),
                   NULL);
done:
    json_decref(body);
}

/* Lines of one batch at most; a larger file is sent in several batches. */
#define BATCH_MAX_LINES 10000

/* Lines a worker parses and translates in one turn of its loop, between its other work. */
#define BATCH_SLICE 64

/* A batch in flight: each line's answer, kept until the last one is in. */
typedef struct {
    al_task next_slice; /* the lines still to send, at the worker's next turn */
    al_exchange *x;
    const char *data; /* the body (the request's, alive until the reply) */
    size_t len, pos;
    int line_no;
    size_t sent;        /* lines sent so far */
    al_setup_entry own; /* the partner's setup, read once for the batch; its config loaded once */
    al_rules *rules;    /* a reference */
    size_t n;           /* lines */
    size_t pending;     /* lines not yet answered, plus one while lines are still being sent */
    int *line;          /* each line's number in the body */
    int *status;
    char **reply; /* malloc'd */
} batch;

/* One line as a request of its own. */
typedef struct {
    al_exchange x;
    batch *b;
    size_t index;
} batch_line;

static void batch_free(batch *b)
{
    for (size_t i = 0; b->reply != NULL && i < b->n; i++)
        free(b->reply[i]);
    free(b->line);
    free(b->status);
    free(b->reply);
    al_rules_drop(b->rules);
    al_setup_entry_clear(&b->own);
    free(b);
}

/* All lines answered: the NDJSON reply, in the body's order. */
static void batch_finish(batch *b)
{
    size_t n = b->n;
    struct evbuffer *out = evbuffer_new();
    for (size_t i = 0; out != NULL && i < n; i++)
        evbuffer_add_printf(out, "{\"line\":%d,\"status\":%d,\"body\":%s}\n", b->line[i],
                            b->status[i], b->reply[i] ? b->reply[i] : "null");
    if (out == NULL) {
        al_reply_error(b->x, 500, "internal_error", "out of memory");
    } else {
        size_t len = evbuffer_get_length(out);
        al_reply_text(b->x, 200, "application/x-ndjson",
                      len ? (const char *)evbuffer_pullup(out, -1) : "", len);
        evbuffer_free(out);
    }
    batch_free(b);
}

static void batch_release(batch *b)
{
    if (--b->pending == 0)
        batch_finish(b);
}

/* A line's answer (the exchange's sub_done): kept in its place. */
static void line_done(al_exchange *sub, int status, char *reply)
{
    batch_line *l = (batch_line *)sub;
    batch *b = l->b;
    b->status[l->index] = status;
    b->reply[l->index] = reply;
    free(l);
    batch_release(b);
}

/* The next slice of lines: each parsed, translated and handed to the committers. */
static void send_slice(al_task *task)
{
    batch *b = (batch *)task;
    al_exchange *x = b->x;
    bool stopping = al_http_worker_stopping(al_http_worker_of(x));
    const char *start;
    size_t k;
    for (int i = 0; i < BATCH_SLICE && b->sent < b->n; i++) {
        if (!al_ndjson_next(b->data, b->len, &b->pos, &b->line_no, &start, &k))
            break;
        size_t at = b->sent++;
        b->line[at] = b->line_no;
        b->status[at] = stopping ? 503 : 500;
        batch_line *l = stopping ? NULL : malloc(sizeof(*l));
        if (l == NULL) {
            json_t *e = stopping ? al_error_envelope("shutting_down", "the server is stopping")
                                 : al_error_envelope("internal_error", "out of memory");
            b->reply[at] = json_dumps(e, JSON_COMPACT | JSON_PRESERVE_ORDER);
            json_decref(e);
            b->pending--;
            continue;
        }
        memcpy(&l->x, x, sizeof(l->x));
        l->b = b;
        l->index = at;
        snprintf(l->x.path, sizeof(l->x.path), "/v1/transactions");
        l->x.sub = true;
        l->x.sub_body = start;
        l->x.sub_len = k;
        l->x.sub_done = line_done;
        json_t *body = NULL;
        if (al_body_object(&l->x, &body) == 0)
            earn_body(&l->x, body, &b->own.setup, &b->own, b->rules); /* now, or after COMMIT */
        json_decref(body);
    }
    if (b->sent < b->n) {
        al_http_next_turn(al_http_worker_of(x), &b->next_slice);
        return;
    }
    /* The last answer frees b: this one when every line answered at once. */
    batch_release(b);
}

/*
 * POST /v1/transactions:batch: NDJSON in, one transactions body a line;
 * NDJSON out, one line a result in the same order:
 * {"line":N,"status":S,"body":<the single call's answer or error>}.
 * Each line runs exactly as POST /v1/transactions would (the same idempotency
 * record, through the committers, group-committed with everything else), so
 * one bad line refuses only itself and a batch sent twice books nothing
 * twice. Blank lines are skipped. The worker parses and translates the lines
 * a slice a turn, answering its other connections in between; the reply goes
 * out when the last line's COMMIT is done.
 */
void al_api_transaction_batch(al_exchange *x)
{
    struct evbuffer *in = evhttp_request_get_input_buffer(x->req);
    size_t len = evbuffer_get_length(in);
    const char *data = len ? (const char *)evbuffer_pullup(in, -1) : "";
    int line = 0;
    size_t pos = 0, n = 0, k;
    const char *start;
    while (al_ndjson_next(data, len, &pos, &line, &start, &k))
        if (++n > BATCH_MAX_LINES) {
            al_reply_error(x, 413, "batch_too_large", "at most %d lines a batch", BATCH_MAX_LINES);
            return;
        }
    batch *b = calloc(1, sizeof(*b));
    if (b == NULL) {
        al_reply_error(x, 500, "internal_error", "out of memory");
        return;
    }
    if (load_setup(x, x->partner, &b->own.setup) != 0 ||
        (b->rules = al_rules_for(x, b->own.setup.rules_version)) == NULL) {
        al_setup_entry_clear(&b->own);
        free(b);
        return;
    }
    b->line = calloc(n ? n : 1, sizeof(*b->line));
    b->status = calloc(n ? n : 1, sizeof(*b->status));
    b->reply = calloc(n ? n : 1, sizeof(*b->reply));
    b->x = x;
    b->n = n;
    if (b->line == NULL || b->status == NULL || b->reply == NULL) {
        batch_free(b);
        al_reply_error(x, 500, "internal_error", "out of memory");
        return;
    }
    b->data = data;
    b->len = len;
    b->pending = n + 1;
    b->next_slice.handler = send_slice;
    send_slice(&b->next_slice);
} // NOLINT(clang-analyzer-unix.Malloc): b is freed by batch_finish, after its last line

/*
 * A dry run of earning: the whole booking (tier, promotions and their caps,
 * the cross-partner bonus) in a transaction on the worker's connection that
 * is rolled back, so the breakdown is exactly what booking would give and
 * nothing stays. Without a member, a new member is assumed.
 */
static void simulate(al_exchange *x, const char *partner, json_t *tx, al_rules *rules, bool draft)
{
    static const char *const fields[] = {"id", "member", "occurred_at", "data", "partner", NULL};
    al_partner_setup ps = {0};
    char id[40] = "simulate:", member_buf[48] = "simulate:", occurred[27];
    json_t *data = data_of(x, tx, fields);
    const char *member = json_string_value(json_object_get(tx, "member"));
    if (data == NULL || occurred_at(x, tx, occurred) != 0)
        goto done;
    if (member != NULL && !al_id_valid(member)) {
        al_reply_error(x, 400, "invalid_field", "member must match [A-Za-z0-9._:-]{1,64}");
        goto done;
    }
    if (load_setup(x, partner, &ps) != 0)
        goto done;
    al_translation t;
    if (!translate(x, &ps, NULL, data, &t))
        goto done;
    if (rules == NULL && (rules = al_rules_for(x, ps.rules_version)) == NULL)
        goto done;
    al_random_hex(id + 9, 12);
    if (member == NULL) {
        al_random_hex(member_buf + 9, 12);
        member = member_buf;
    }
    json_t *translation = al_translation_json(&t);
    json_object_set_new(translation, "plugin", json_string(ps.plugin));
    al_earn e = {.tenant = x->tenant,
                 .partner = partner,
                 .transaction_id = id,
                 .member = member,
                 .occurred_at = occurred,
                 .points = t.points,
                 .qualifying_points = t.qualifying_points,
                 .base_amount_minor = t.base_amount_minor,
                 .currency = t.currency,
                 .translation = translation,
                 .lines = t.lines,
                 .nlines = t.nlines,
                 .when = al_sql_time_to_unix(occurred),
                 .utc_offset = al_tz_offset(al_tz_get(ps.time_zone), al_sql_time_to_unix(occurred)),
                 .rules = rules,
                 .auto_enrol = true,
                 .expiry_months = ps.expiry_months,
                 .explain = true};
    al_outcome o = {0};
    bool ok = al_ledger_dry_run(al_db_of(x), &e, &o);
    json_decref(translation);
    if (ok) {
        json_t *breakdown = json_object_get(o.reply, "breakdown");
        json_t *reply = json_pack(
            "{s:O,s:O,s:O,s:O,s:O,s:o,s:b,s:O}", "points", json_object_get(breakdown, "points"),
            "lines", json_object_get(breakdown, "lines"), "base_amount_minor",
            json_object_get(breakdown, "base_amount_minor"), "currency",
            json_object_get(breakdown, "currency"), "tier", json_object_get(breakdown, "tier"),
            /* A number as in every booking's detail (0: the defaults); a draft has none. */
            "rules_version", draft ? json_null() : json_integer(rules->version), "draft", draft,
            "balance_after", json_object_get(o.reply, "balance"));
        json_object_set_new(reply, "plugin", json_pack("{s:s}", "name", ps.plugin));
        json_decref(o.reply);
        al_reply_json(x, 200, reply);
    } else if (o.db != AL_DB_OK) {
        al_reply_db_failure(x, o.db);
    } else {
        al_reply_error(x, al_status_of(o.result), o.code, "%s", o.message);
    }
done:
    al_rules_drop(rules);
    free(ps.config);
}

void al_api_transaction_simulate(al_exchange *x)
{
    json_t *body = NULL;
    if (al_body_object(x, &body) != 0)
        return;
    if (json_object_get(body, "partner") != NULL)
        al_reply_error(x, 400, "unknown_field", "unknown field: partner (it is the caller)");
    else
        simulate(x, x->partner, body, NULL, false);
    json_decref(body);
}

/*
 * POST /v1/rules:simulate (admin): {"rules": a draft document, "transaction":
 * {"partner","member","occurred_at","data"}}: the breakdown that transaction
 * would get under the draft, booked nowhere.
 */
void al_api_rules_simulate(al_exchange *x)
{
    static const char *const fields[] = {"rules", "transaction", NULL};
    json_t *body = NULL;
    char path[128], msg[256];
    al_rules *draft = NULL;
    if (al_body_object(x, &body) != 0)
        return;
    json_t *tx = json_object_get(body, "transaction");
    const char *partner = json_string_value(json_object_get(tx, "partner"));
    if (al_body_only(x, body, fields) != 0)
        goto done;
    if (!json_is_object(tx) || partner == NULL || !al_id_valid(partner)) {
        al_reply_error(x, 400, "invalid_field",
                       "transaction must be {\"partner\",\"member\",\"data\"}");
        goto done;
    }
    if (al_rules_compile(json_object_get(body, "rules"), &draft, path, msg) != 0) {
        al_reply_error(x, 400, "invalid_rules", "%s %s", path, msg);
        goto done;
    }
    simulate(x, partner, tx, draft, true); /* takes the reference */
done:
    json_decref(body);
}
