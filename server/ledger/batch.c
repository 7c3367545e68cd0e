/* Set-based batches; see batch.h. */
#include "ledger/batch.h"

#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/ids.h"
#include "core/log.h"
#include "ledger/events.h"
#include "ledger/member_row.h"
#include "tenants/versions.h"
#include "webhooks/outbox.h"

#define RUN_MAX 256 /* jobs a run takes at most; the rest wait for the next */

/* ---- A statement built as it goes: SQL text and its parameters. ---- */

typedef struct {
    char *sql;
    size_t len, cap;
    al_db_param *p;
    size_t np, pcap;
    bool oom;
    size_t rows; /* tuples added by row() */
} stmt;

static void text(stmt *s, const char *t)
{
    size_t n = strlen(t);
    if (s->oom)
        return;
    if (s->len + n + 1 > s->cap) {
        size_t cap = (s->cap ? s->cap * 2 : 1024) + n;
        char *p = realloc(s->sql, cap);
        if (p == NULL) {
            s->oom = true;
            return;
        }
        s->sql = p;
        s->cap = cap;
    }
    memcpy(s->sql + s->len, t, n + 1);
    s->len += n;
}

static void param(stmt *s, al_db_param p)
{
    if (s->oom)
        return;
    if (s->np == s->pcap) {
        size_t cap = s->pcap ? s->pcap * 2 : 64;
        al_db_param *q = realloc(s->p, cap * sizeof(*q));
        if (q == NULL) {
            s->oom = true;
            return;
        }
        s->p = q;
        s->pcap = cap;
    }
    s->p[s->np++] = p;
}

/* A tuple: the text (", " before all but the first) and its parameters. */
static void row(stmt *s, const char *tuple, size_t n, ...)
{
    va_list ap;
    text(s, s->rows++ ? ", " : "");
    text(s, tuple);
    va_start(ap, n);
    for (size_t i = 0; i < n; i++)
        param(s, va_arg(ap, al_db_param));
    va_end(ap);
}

static void reset(stmt *s)
{
    s->len = 0;
    s->np = 0;
    s->rows = 0;
    if (s->sql != NULL)
        s->sql[0] = '\0';
}

static al_db_status run(al_db *db, stmt *s, MYSQL_RES **res)
{
    al_db_status st = s->oom ? AL_DB_ERROR : al_db_exec(db, s->sql, s->p, s->np, res);
    reset(s);
    return st;
}

/* ---- What a run holds. ---- */

typedef enum { IT_PENDING, IT_REPLAY, IT_CONFLICT, IT_REFUSED, IT_DONE, IT_STALE } item_state;

typedef struct {
    al_job *job;
    al_job_op op;
    const char *member, *partner, *id;
    int m; /* its member */
    item_state state;
    char *replay; /* a stored answer (malloc'd) */
    char *detail; /* an earning's booking detail (malloc'd) */
    json_t *reply;
    const char *booked_tier; /* an earning's: the tier whose bonus it got */
    int booking, lot;        /* indexes into the run's bookings and new lots; -1 for none */
    int64_t points;
} item;

typedef struct {
    const char *id;
    al_member_row row;                  /* as locked, then as the run's operations leave it */
    bool earns, redeems;                /* has an earning, a captured redemption, in the run */
    bool touched, earned, tier_changed; /* changed; earned in this run already; tier moved */
    int64_t d_available, d_held, d_debt, d_earned, d_redeemed;
    int64_t qualifying; /* in the tier window, with the run's earnings */
    size_t lot0, nlots; /* its lots in the run's lots (redemptions only) */
} member_state;

typedef struct {
    int64_t id, remaining, take;
    char issuer[AL_ID_MAX + 1];
} lot;

typedef struct {
    int item;       /* whose booking */
    int64_t lot_id; /* 0: none (no lot covered it) */
    const char *issuer;
    int64_t points;
} consumption;

typedef struct {
    int item;
    const char *kind;
    char from[AL_ACCOUNT_MAX], to[AL_ACCOUNT_MAX];
} booking;

typedef struct {
    int item;
    int64_t points, remaining;
} new_lot;

typedef struct {
    char account[AL_ACCOUNT_MAX];
    int64_t shard, delta;
} balance_row;

typedef struct {
    const char *promo;
    int m;
    char period[16];
    int64_t used, add;
} usage;

typedef struct {
    int m;
    char partner[AL_ID_MAX + 1];
    int64_t count;
} partner_count;

typedef struct {
    int m;
    int item; /* whose earning moved it */
    const char *from, *to, *reason;
    int version;
} tier_change;

typedef struct {
    const char *tenant;
    item items[RUN_MAX];
    size_t n;
    member_state members[RUN_MAX];
    size_t nmembers;
    lot *lots;
    size_t nlots;
    consumption *cons;
    size_t ncons, capcons;
    booking bookings[RUN_MAX];
    size_t nbookings;
    new_lot new_lots[RUN_MAX];
    size_t nnew_lots;
    balance_row balances[RUN_MAX * 2];
    size_t nbalances;
    usage *usages;
    size_t nusages, capusages;
    partner_count *counts;
    size_t ncounts, capcounts;
    tier_change changes[RUN_MAX * 2];
    size_t nchanges;
    char *events[RUN_MAX * 2]; /* the outbox rows' data (JSON text) until the writes ran */
    size_t nevents;
    bool wants[3];  /* an active webhook takes: earned, tier changed, captured (subscribed_read) */
    char since[32]; /* the start of the tier window, a DATETIME(6) */
    int window_months;
    bool cross_partner;
    unsigned flags;
    stmt s;
} set;

/* The server's auto-increment: consecutive ids in a multi-row INSERT (lock mode < 2). */
static atomic_int autoinc_mode = -1, autoinc_step = 1;

static al_db_status learn_autoinc(al_db *db)
{
    if (atomic_load(&autoinc_mode) >= 0)
        return AL_DB_OK;
    MYSQL_RES *res = NULL;
    MYSQL_ROW r;
    al_db_status st = al_db_row(db, "SELECT @@innodb_autoinc_lock_mode, @@auto_increment_increment",
                                NULL, 0, &res, &r);
    if (st != AL_DB_OK)
        return st;
    if (r != NULL) {
        atomic_store(&autoinc_step, atoi(r[1]) > 0 ? atoi(r[1]) : 1);
        atomic_store(&autoinc_mode, atoi(r[0]));
        if (atoi(r[0]) >= 2)
            al_log(AL_LOG_INFO, "auto-increment lock mode 2: bookings are inserted one by one");
    }
    al_db_free_result(res);
    return AL_DB_OK;
}

static int find_member(set *s, const char *id)
{
    for (size_t i = 0; i < s->nmembers; i++)
        if (strcmp(s->members[i].id, id) == 0)
            return (int)i;
    return -1;
}

/* 2026-11-29 10:00:00[.ffffff] against another: by time, a missing fraction as 0. */
static int time_cmp(const char *a, const char *b)
{
    int c = strncmp(a, b, 19);
    if (c != 0)
        return c;
    a += 19 + (a[19] == '.');
    b += 19 + (b[19] == '.');
    for (int i = 0; i < 6; i++) {
        char x = *a ? *a++ : '0', y = *b ? *b++ : '0';
        if (x != y)
            return x < y ? -1 : 1;
    }
    return 0;
}

static void refuse(item *it, al_result result, const char *code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void refuse(item *it, al_result result, const char *code, const char *fmt, ...)
{
    va_list ap;
    it->state = IT_REFUSED;
    it->job->result = result;
    snprintf(it->job->code, sizeof(it->job->code), "%s", code);
    va_start(ap, fmt);
    vsnprintf(it->job->message, sizeof(it->job->message), fmt, ap);
    va_end(ap);
}

static void add_balance(set *s, const char *account, const char *member, int lane, int64_t delta)
{
    int64_t shard = al_shard_of(account, member, lane);
    for (size_t i = 0; i < s->nbalances; i++)
        if (s->balances[i].shard == shard && strcmp(s->balances[i].account, account) == 0) {
            s->balances[i].delta += delta;
            return;
        }
    balance_row *b = &s->balances[s->nbalances++];
    snprintf(b->account, sizeof(b->account), "%s", account);
    b->shard = shard;
    b->delta = delta;
}

/* A booking of the run, its balances moved (member accounts keep shard 0). */
static void book(set *s, int lane, item *it, const char *kind, const char *from, const char *to)
{
    booking *b = &s->bookings[s->nbookings];
    it->booking = (int)s->nbookings++;
    b->item = (int)(it - s->items);
    b->kind = kind;
    snprintf(b->from, sizeof(b->from), "%s", from);
    snprintf(b->to, sizeof(b->to), "%s", to);
    if (it->points != 0) {
        add_balance(s, from, it->member, lane, -it->points);
        add_balance(s, to, it->member, lane, it->points);
    }
}

static bool grow(void **p, size_t *cap, size_t n, size_t size)
{
    if (n < *cap)
        return true;
    size_t c = *cap ? *cap * 2 : 64;
    void *q = realloc(*p, c * size);
    if (q == NULL)
        return false;
    *p = q;
    *cap = c;
    return true;
}

/* ---- Reading what the run decides on. ---- */

/*
 * The reads of a run go in one round trip (al_db_script): the idempotency
 * keys, the members (locked), the earners' tier windows and partners, the
 * redeemers' lots (locked), in that order (members before lots, as every
 * path locks them). Each part below adds its statement and reads its result.
 */

/* Ends the statement being built: the next one follows in the same script. */
static void next_statement(stmt *q)
{
    if (q->len > 0)
        text(q, "; ");
    q->rows = 0;
}

/*
 * The tenant's setup version, read with a shared lock (a change waits for
 * this commit): a job made with what a worker kept that had changed before
 * the worker read it is stale (the rule of committer.c's check_setups).
 */
static size_t setup_sql(set *s)
{
    bool kept = false;
    for (size_t i = 0; i < s->n; i++)
        kept = kept || s->items[i].job->setup_version > 0;
    if (!kept)
        return 0;
    next_statement(&s->s);
    /* Causal on Galera, as committer.c's check_setups. */
    text(&s->s, "SET STATEMENT wsrep_sync_wait = 1 FOR "
                "SELECT setup_version, TIMESTAMPDIFF(MICROSECOND, '1970-01-01', setup_changed_at) "
                "FROM tenants WHERE tenant_id = ? LOCK IN SHARE MODE");
    param(&s->s, AL_STR(s->tenant));
    return 1;
}

static void setup_read(set *s, MYSQL_RES *res)
{
    MYSQL_ROW r = mysql_fetch_row(res);
    if (r == NULL)
        return;
    int64_t version = strtoll(r[0], NULL, 10), changed_us = strtoll(r[1], NULL, 10);
    al_setup_seen(s->tenant, version);
    for (size_t i = 0; i < s->n; i++)
        if (al_job_check_setup(s->items[i].job, version, changed_us))
            s->items[i].state = IT_STALE;
}

/*
 * Every idempotency key of the run: keys already answered make their items
 * replays or conflicts. The others are written with their answers at the end
 * (write_answers); a key another transaction answers meanwhile makes that
 * INSERT fail as a duplicate, and the batch then runs one by one, where the
 * claim sees it. A row at status 0 is a claim of this transaction's own
 * one-by-one path (another kind of key): never one of the run's.
 */
static void keys_sql(set *s)
{
    stmt *q = &s->s;
    next_statement(q);
    text(q, "SELECT partner_id, kind, request_id, request_hash, status, response FROM "
            "idempotency WHERE tenant_id = ? AND (partner_id, kind, request_id) IN (");
    param(q, AL_STR(s->tenant));
    for (size_t i = 0; i < s->n; i++) {
        al_idem_key *k = &s->items[i].job->key;
        row(q, "(?, ?, ?)", 3, AL_STR(k->partner), AL_STR(k->kind), AL_STR(k->id));
    }
    text(q, ")");
}

static al_db_status keys_read(set *s, MYSQL_RES *res)
{
    MYSQL_ROW r;
    while ((r = mysql_fetch_row(res)) != NULL) {
        if (strcmp(r[4], "0") == 0)
            continue;
        for (size_t i = 0; i < s->n; i++) {
            item *it = &s->items[i];
            al_idem_key *k = &it->job->key;
            if (strcmp(r[0], k->partner) != 0 || strcmp(r[1], k->kind) != 0 ||
                strcmp(r[2], k->id) != 0)
                continue;
            if (strcmp(r[3], k->hash) == 0) {
                it->state = IT_REPLAY;
                if ((it->replay = strdup(r[5])) == NULL)
                    return AL_DB_ERROR;
            } else {
                it->state = IT_CONFLICT;
            }
        }
    }
    return AL_DB_OK;
}

/* Locks members ids (primary-key order). */
static void members_sql(set *s, const char **ids, size_t n)
{
    stmt *q = &s->s;
    next_statement(q);
    text(q, "SELECT member_id, " AL_SQL_MEMBER_LOCKED
            " FROM members WHERE tenant_id = ? AND member_id IN (");
    param(q, AL_STR(s->tenant));
    for (size_t i = 0; i < n; i++)
        row(q, "?", 1, AL_STR(ids[i]));
    text(q, ") ORDER BY member_id FOR UPDATE");
}

static void members_read(set *s, MYSQL_RES *res)
{
    MYSQL_ROW r;
    while ((r = mysql_fetch_row(res)) != NULL) {
        int i = find_member(s, r[0]);
        if (i >= 0)
            al_member_row_read(r + 1, &s->members[i].row);
    }
}

/* The earning members' qualifying points in the tier window (and their partners): statements. */
/*
 * Which of the run's event types (earned, tier changed, captured) an active
 * webhook of the tenant takes: the others are not even built (write_events).
 */
static void subscribed_sql(set *s)
{
    stmt *q = &s->s;
    next_statement(q);
    text(
        q,
        "SELECT IFNULL(MAX(" AL_SQL_TAKES(
            "'" AL_EVENT_TRANSACTION_EARNED
            "'") "), 0), "
                 "IFNULL(MAX(" AL_SQL_TAKES(
                     "'" AL_EVENT_TIER_CHANGED
                     "'") "), 0), "
                          "IFNULL(MAX(" AL_SQL_TAKES(
                              "'" AL_EVENT_REDEMPTION_CAPTURED
                              "'") "), 0) "
                                   "FROM webhooks w WHERE w.tenant_id = ? AND w.status = 'active'");
    param(q, AL_STR(s->tenant));
}

static void subscribed_read(set *s, MYSQL_RES *res)
{
    MYSQL_ROW r = res ? mysql_fetch_row(res) : NULL;
    for (int i = 0; i < 3; i++)
        s->wants[i] = r != NULL && r[i] != NULL && strcmp(r[i], "0") != 0;
}

static size_t earners_sql(set *s)
{
    stmt *q = &s->s;
    size_t n = 0;
    for (size_t i = 0; i < s->nmembers; i++)
        n += s->members[i].earns;
    if (n == 0)
        return 0;
    next_statement(q);
    text(q, "SELECT " AL_SQL_DATETIME("b.since") ", t.member_id, "
                                                 "IFNULL(SUM(t.qualifying_points), 0) FROM (SELECT "
                                                 "NOW(6) - INTERVAL ? MONTH AS since) "
                                                 "b LEFT JOIN transactions t ON t.tenant_id = ? "
                                                 "AND t.occurred_at >= b.since AND "
                                                 "t.member_id IN (");
    param(q, AL_INT(s->window_months));
    param(q, AL_STR(s->tenant));
    for (size_t i = 0; i < s->nmembers; i++)
        if (s->members[i].earns)
            row(q, "?", 1, AL_STR(s->members[i].id));
    text(q, ") GROUP BY t.member_id");
    if (!s->cross_partner)
        return 1;
    next_statement(q);
    text(q, "SELECT member_id, partner_id, COUNT(*) FROM transactions WHERE tenant_id = ? AND "
            "member_id IN (");
    param(q, AL_STR(s->tenant));
    for (size_t i = 0; i < s->nmembers; i++)
        if (s->members[i].earns)
            row(q, "?", 1, AL_STR(s->members[i].id));
    text(q, ") GROUP BY member_id, partner_id");
    return 2;
}

static al_db_status window_read(set *s, MYSQL_RES *res)
{
    MYSQL_ROW r;
    while ((r = mysql_fetch_row(res)) != NULL) {
        snprintf(s->since, sizeof(s->since), "%s", r[0]);
        int m = r[1] ? find_member(s, r[1]) : -1;
        if (m >= 0 && !al_db_i64(r[2], &s->members[m].qualifying))
            return AL_DB_RANGE; /* a sum past 2^63: refused, not clamped */
    }
    return AL_DB_OK;
}

static al_db_status partners_read(set *s, MYSQL_RES *res)
{
    MYSQL_ROW r;
    while ((r = mysql_fetch_row(res)) != NULL) {
        if (!grow((void **)&s->counts, &s->capcounts, s->ncounts, sizeof(partner_count)))
            return AL_DB_ERROR;
        partner_count *c = &s->counts[s->ncounts++];
        c->m = find_member(s, r[0]);
        snprintf(c->partner, sizeof(c->partner), "%s", r[1]);
        c->count = strtoll(r[2], NULL, 10);
    }
    return AL_DB_OK;
}

/* The lots of members who redeem, in the order they are spent (locked): a statement or none. */
static size_t lots_sql(set *s)
{
    stmt *q = &s->s;
    size_t n = 0;
    for (size_t i = 0; i < s->nmembers; i++) {
        if (!s->members[i].redeems)
            continue;
        if (n++ == 0) {
            next_statement(q);
            text(q, "SELECT member_id, lot_id, partner_id, remaining FROM lots WHERE tenant_id = ? "
                    "AND remaining > 0 AND member_id IN (");
            param(q, AL_STR(s->tenant));
        }
        row(q, "?", 1, AL_STR(s->members[i].id));
    }
    if (n == 0)
        return 0;
    text(q, ") ORDER BY member_id, expires_at, lot_id FOR UPDATE");
    return 1;
}

static al_db_status lots_read(set *s, MYSQL_RES *res)
{
    size_t rows = (size_t)mysql_num_rows(res);
    if ((s->lots = calloc(rows ? rows : 1, sizeof(lot))) == NULL)
        return AL_DB_ERROR;
    MYSQL_ROW r;
    int last = -1;
    while ((r = mysql_fetch_row(res)) != NULL) {
        int m = find_member(s, r[0]);
        if (m < 0)
            continue;
        if (m != last)
            s->members[m].lot0 = s->nlots;
        last = m;
        s->members[m].nlots++;
        lot *l = &s->lots[s->nlots++];
        l->id = strtoll(r[1], NULL, 10);
        snprintf(l->issuer, sizeof(l->issuer), "%s", r[2]);
        l->remaining = strtoll(r[3], NULL, 10);
    }
    return AL_DB_OK;
}

/* Runs the statements built, freeing q; results as al_db_script gives them. */
static al_db_status script(al_db *db, stmt *q, MYSQL_RES **res, size_t nres)
{
    size_t got = 0;
    al_db_status st = q->oom ? AL_DB_ERROR : al_db_script(db, q->sql, q->p, q->np, res, nres, &got);
    reset(q);
    if (st == AL_DB_OK && got != nres) {
        for (size_t i = 0; i < got; i++)
            al_db_free_result(res[i]);
        st = AL_DB_ERROR;
    }
    return st;
}

/* Every read of the run, in one round trip; then the enrolments, if any. */
static al_db_status reads(al_db *db, set *s)
{
    const char *ids[RUN_MAX], *enrol[RUN_MAX];
    for (size_t i = 0; i < s->nmembers; i++)
        ids[i] = s->members[i].id;
    if (s->flags & AL_BATCH_BEGIN)
        text(&s->s, "START TRANSACTION");
    size_t setup = setup_sql(s);
    keys_sql(s);
    members_sql(s, ids, s->nmembers);
    subscribed_sql(s);
    size_t earners = earners_sql(s), lots = lots_sql(s);
    MYSQL_RES *res[8] = {0};
    size_t n = setup + 3 + earners + lots, k = setup + 3;
    al_db_status st = script(db, &s->s, res, n);
    if (st != AL_DB_OK)
        return st;
    if (setup > 0)
        setup_read(s, res[0]);
    st = keys_read(s, res[setup]);
    members_read(s, res[setup + 1]);
    subscribed_read(s, res[setup + 2]);
    if (earners > 0 && st == AL_DB_OK)
        st = window_read(s, res[k++]);
    if (earners > 1 && st == AL_DB_OK)
        st = partners_read(s, res[k++]);
    if (lots > 0 && st == AL_DB_OK)
        st = lots_read(s, res[k]);
    for (size_t i = 0; i < n; i++)
        al_db_free_result(res[i]);
    /* Unknown members an earning may enrol: enrolled, then locked. */
    size_t nenrol = 0;
    for (size_t i = 0; i < s->n && st == AL_DB_OK; i++) {
        item *it = &s->items[i];
        member_state *m = &s->members[it->m];
        if (it->state != IT_PENDING || m->row.found || it->op.kind != AL_OP_EARN ||
            !it->op.earn.auto_enrol)
            continue;
        bool listed = false;
        for (size_t j = 0; j < nenrol; j++)
            listed = listed || enrol[j] == m->id;
        if (!listed)
            enrol[nenrol++] = m->id;
    }
    if (st != AL_DB_OK || nenrol == 0)
        return st;
    stmt *q = &s->s;
    text(q, "INSERT IGNORE INTO members (tenant_id, member_id, profile) VALUES ");
    for (size_t i = 0; i < nenrol; i++)
        row(q, "(?, ?, '{}')", 2, AL_STR(s->tenant), AL_STR(enrol[i]));
    members_sql(s, enrol, nenrol);
    if ((st = script(db, q, res, 1)) != AL_DB_OK)
        return st;
    members_read(s, res[0]);
    al_db_free_result(res[0]);
    for (size_t i = 0; i < nenrol; i++)
        if (!s->members[find_member(s, enrol[i])].row.found)
            return AL_DB_ERROR; /* enrolled, yet not there */
    return AL_DB_OK;
}

/* The capped promotions' counts the run's earnings may take (the members' locks guard them). */
static al_db_status usages(al_db *db, set *s)
{
    for (size_t i = 0; i < s->n; i++) {
        item *it = &s->items[i];
        member_state *m = &s->members[it->m];
        if (it->state != IT_PENDING || it->op.kind != AL_OP_EARN || !m->row.found || m->row.blocked)
            continue;
        const al_earn *e = &it->op.earn;
        al_award awards[AL_PROMOS_MAX];
        size_t tier = al_rules_tier_index(e->rules, m->row.tier);
        size_t n = al_rules_promotions(e->rules, e->partner, e->lines, e->nlines, tier, e->when,
                                       e->utc_offset, awards, AL_PROMOS_MAX);
        for (size_t a = 0; a < n; a++) {
            const al_promo *p = awards[a].promo;
            if (p->cap_points == 0)
                continue;
            char period[16];
            al_period_key(p->cap_period, e->when + e->utc_offset, period);
            bool known = false;
            for (size_t u = 0; u < s->nusages && !known; u++)
                known = s->usages[u].m == it->m && strcmp(s->usages[u].promo, p->id) == 0 &&
                        strcmp(s->usages[u].period, period) == 0;
            if (known)
                continue;
            if (!grow((void **)&s->usages, &s->capusages, s->nusages, sizeof(usage)))
                return AL_DB_ERROR;
            usage *u = &s->usages[s->nusages++];
            memset(u, 0, sizeof(*u));
            u->promo = p->id;
            u->m = it->m;
            memcpy(u->period, period, sizeof(period));
        }
    }
    if (s->nusages == 0)
        return AL_DB_OK;
    stmt *q = &s->s;
    text(q, "SELECT promotion_id, member_id, period_key, points FROM promotion_usage "
            "WHERE tenant_id = ? AND (promotion_id, member_id, period_key) IN (");
    param(q, AL_STR(s->tenant));
    for (size_t u = 0; u < s->nusages; u++)
        row(q, "(?, ?, ?)", 3, AL_STR(s->usages[u].promo), AL_STR(s->members[s->usages[u].m].id),
            AL_STR(s->usages[u].period));
    text(q, ") FOR UPDATE");
    MYSQL_RES *res = NULL;
    al_db_status st = run(db, q, &res);
    if (st != AL_DB_OK)
        return st;
    MYSQL_ROW r;
    while ((r = mysql_fetch_row(res)) != NULL)
        for (size_t u = 0; u < s->nusages; u++)
            if (strcmp(s->usages[u].promo, r[0]) == 0 &&
                strcmp(s->members[s->usages[u].m].id, r[1]) == 0 &&
                strcmp(s->usages[u].period, r[2]) == 0)
                s->usages[u].used = strtoll(r[3], NULL, 10);
    al_db_free_result(res);
    return AL_DB_OK;
}

/* ---- Deciding, in memory, in order. ---- */

/* The tier after an earning (al_rules_decide_tier); a change is recorded. */
static void review_tier(set *s, int mi, const al_rules *r)
{
    member_state *m = &s->members[mi];
    size_t held = al_rules_tier_index(r, m->row.tier);
    al_tier_state ts = {.held = held,
                        .qualifies = al_rules_tier_for(r, m->qualifying),
                        .now = (int64_t)time(NULL),
                        .tier_since = m->row.tier_since,
                        .below_since = m->row.below_since,
                        .floor = m->row.floor[0] ? al_rules_tier_index(r, m->row.floor) : 0,
                        .floor_until = m->row.floor_until};
    al_tier_decision d = al_rules_decide_tier(r, &ts);
    if (d.reason == NULL) {
        m->row.below_since = d.below_since;
        return;
    }
    tier_change *c = &s->changes[s->nchanges++];
    c->m = mi;
    c->from = r->tiers[held].name;
    c->to = r->tiers[d.tier].name;
    c->reason = d.reason;
    c->version = r->version;
    snprintf(m->row.tier, sizeof(m->row.tier), "%s", r->tiers[d.tier].name);
    m->row.tier_since = ts.now;
    m->row.below_since = 0;
    m->tier_changed = true;
}

static usage *usage_of(set *s, int m, const char *promo, const char *period)
{
    for (size_t u = 0; u < s->nusages; u++)
        if (s->usages[u].m == m && strcmp(s->usages[u].promo, promo) == 0 &&
            strcmp(s->usages[u].period, period) == 0)
            return &s->usages[u];
    return NULL;
}

static partner_count *count_of(set *s, int m, const char *partner, int64_t *elsewhere)
{
    partner_count *here = NULL;
    *elsewhere = 0;
    for (size_t i = 0; i < s->ncounts; i++)
        if (s->counts[i].m == m) {
            if (strcmp(s->counts[i].partner, partner) == 0)
                here = &s->counts[i];
            else
                *elsewhere += s->counts[i].count;
        }
    return here;
}

typedef enum { DECIDED, CUT, FALLBACK } decision;

static decision earn(set *s, int lane, item *it)
{
    const al_earn *e = &it->op.earn;
    const al_rules *r = e->rules;
    member_state *m = &s->members[it->m];
    if (!m->row.found) {
        refuse(it, AL_REFUSED, "unknown_member", "member %s is not enrolled", e->member);
        return DECIDED;
    }
    if (m->row.blocked) {
        refuse(it, AL_REFUSED, "member_blocked", "member %s is blocked", e->member);
        return DECIDED;
    }
    size_t tier = al_rules_tier_index(r, m->row.tier);
    json_t *detail = json_deep_copy(e->translation);
    int64_t points = e->points;
    bool ok =
        detail != NULL && al_earn_line(detail, "tier:", r->tiers[tier].name,
                                       al_rules_tier_bonus(&r->tiers[tier], e->points), &points);
    al_award awards[AL_PROMOS_MAX];
    usage *taken[AL_PROMOS_MAX] = {0};
    size_t n = al_rules_promotions(r, e->partner, e->lines, e->nlines, tier, e->when, e->utc_offset,
                                   awards, AL_PROMOS_MAX);
    for (size_t a = 0; a < n && ok; a++) {
        const al_promo *p = awards[a].promo;
        taken[a] = NULL;
        if (p->cap_points) {
            char period[16];
            al_period_key(p->cap_period, e->when + e->utc_offset, period);
            if ((taken[a] = usage_of(s, it->m, p->id, period)) == NULL) {
                json_decref(detail); /* the tier moved within the run: the next run reads it */
                return CUT;
            }
            int64_t left = p->cap_points > taken[a]->used ? p->cap_points - taken[a]->used : 0;
            if (awards[a].points > left)
                awards[a].points = left;
        }
        ok = al_earn_line(detail, "promo:", p->id, awards[a].points, &points);
    }
    int64_t elsewhere = 0;
    partner_count *here = NULL;
    if (ok && r->cross_partner_points > 0) {
        here = count_of(s, it->m, e->partner, &elsewhere);
        if (elsewhere > 0 && (here == NULL || here->count == 0))
            ok = al_earn_line(detail, "cross_partner:", e->partner, r->cross_partner_points,
                              &points);
    }
    if (!ok) { /* an overflow, or out of memory: the one-by-one path answers it */
        json_decref(detail);
        return FALLBACK;
    }
    int64_t balance;
    if (__builtin_add_overflow(m->row.available, points, &balance) ||
        __builtin_add_overflow(balance, m->row.held, &balance)) {
        json_decref(detail);
        refuse(it, AL_REFUSED, "balance_overflow", "the balance would pass 2^63-1 points");
        return DECIDED;
    }
    balance -= m->row.held;
    if (r->cross_partner_points > 0 && here == NULL) {
        if (!grow((void **)&s->counts, &s->capcounts, s->ncounts, sizeof(partner_count))) {
            json_decref(detail);
            return FALLBACK;
        }
        here = &s->counts[s->ncounts++];
        here->m = it->m;
        snprintf(here->partner, sizeof(here->partner), "%s", e->partner);
        here->count = 0;
    }
    /* Decided: from here on the run's state moves. */
    if (here != NULL)
        here->count++;
    for (size_t a = 0; a < n; a++)
        if (taken[a] != NULL) {
            taken[a]->used += awards[a].points;
            taken[a]->add += awards[a].points;
        }
    json_object_set_new(detail, "points", json_integer(points));
    json_object_set_new(detail, "tier", json_string(r->tiers[tier].name));
    json_object_set_new(detail, "rules_version", json_integer(r->version));
    it->detail = json_dumps(detail, JSON_COMPACT | JSON_PRESERVE_ORDER);
    if (it->detail == NULL) {
        json_decref(detail);
        return FALLBACK;
    }
    it->points = points;
    char from[AL_ACCOUNT_MAX], to[AL_ACCOUNT_MAX];
    al_partner_account(from, e->partner, "issued");
    al_member_account(to, e->member);
    book(s, lane, it, "earn", from, to);
    int64_t repay = points < m->row.debt ? points : m->row.debt;
    if (points > 0) {
        new_lot *l = &s->new_lots[s->nnew_lots];
        it->lot = (int)s->nnew_lots++;
        l->item = (int)(it - s->items);
        l->points = points;
        l->remaining = points - repay;
    }
    m->row.available += points;
    m->d_available += points;
    m->row.debt -= repay;
    m->d_debt -= repay;
    m->d_earned += points;
    m->earned = true;
    m->touched = true;
    if (time_cmp(e->occurred_at, s->since) >= 0)
        m->qualifying += e->qualifying_points;
    it->booked_tier = r->tiers[tier].name;
    size_t changes = s->nchanges;
    review_tier(s, it->m, r);
    if (s->nchanges > changes)
        s->changes[changes].item = (int)(it - s->items);
    it->reply = json_pack("{s:s,s:s,s:I,s:I,s:s}", "id", e->transaction_id, "member", e->member,
                          "points", (json_int_t)points, "balance", (json_int_t)balance, "tier",
                          r->tiers[al_rules_tier_index(r, m->row.tier)].name);
    if (it->reply != NULL && e->explain)
        json_object_set_new(it->reply, "breakdown", json_incref(detail));
    json_decref(detail);
    if (it->reply == NULL)
        return FALLBACK;
    it->state = IT_DONE;
    return DECIDED;
}

static decision redeem(set *s, int lane, item *it)
{
    const al_redeem *r = &it->op.redeem;
    member_state *m = &s->members[it->m];
    if (!m->row.found) {
        refuse(it, AL_NOT_FOUND, "member_not_found", "no member %s", r->member);
        return DECIDED;
    }
    if (m->row.blocked) {
        refuse(it, AL_REFUSED, "member_blocked", "member %s is blocked", r->member);
        return DECIDED;
    }
    if (m->row.available < 0) {
        refuse(it, AL_REFUSED, "negative_balance",
               "the balance is negative (%lld) after a refund; it must be paid back first",
               (long long)m->row.available);
        return DECIDED;
    }
    if (m->row.available < r->points) {
        refuse(it, AL_REFUSED, "insufficient_points", "%lld points available, %lld asked",
               (long long)m->row.available, (long long)r->points);
        return DECIDED;
    }
    if (r->capture && m->earned)
        return CUT; /* it may spend a lot this run made, whose id the next run knows */
    it->points = r->points;
    m->row.available -= r->points;
    m->d_available -= r->points;
    m->touched = true;
    if (r->capture) {
        char from[AL_ACCOUNT_MAX], to[AL_ACCOUNT_MAX];
        al_member_account(from, r->member);
        al_partner_account(to, r->partner, "redeemed");
        book(s, lane, it, "redeem", from, to);
        m->d_redeemed += r->points;
        int64_t uncovered = r->points;
        for (size_t i = m->lot0; i < m->lot0 + m->nlots && uncovered > 0; i++) {
            lot *l = &s->lots[i];
            int64_t left = l->remaining - l->take;
            int64_t take = left < uncovered ? left : uncovered;
            if (take <= 0)
                continue;
            if (!grow((void **)&s->cons, &s->capcons, s->ncons, sizeof(consumption)))
                return FALLBACK;
            s->cons[s->ncons++] = (consumption){(int)(it - s->items), l->id, l->issuer, take};
            l->take += take;
            uncovered -= take;
        }
        if (uncovered > 0) { /* only after a reversal ate the lots behind a hold */
            if (!grow((void **)&s->cons, &s->capcons, s->ncons, sizeof(consumption)))
                return FALLBACK;
            s->cons[s->ncons++] = (consumption){(int)(it - s->items), 0, NULL, uncovered};
            m->row.debt += uncovered;
            m->d_debt += uncovered;
        }
    } else {
        m->row.held += r->points;
        m->d_held += r->points;
    }
    it->reply = json_pack("{s:s,s:s,s:I,s:I}", "id", r->redemption_id, "status",
                          r->capture ? "captured" : "held", "points", (json_int_t)r->points,
                          "balance", (json_int_t)m->row.available);
    if (it->reply == NULL)
        return FALLBACK;
    it->state = IT_DONE;
    return DECIDED;
}

/* ---- Writing what was decided. ---- */

static int by_account(const void *a, const void *b)
{
    const balance_row *x = a, *y = b;
    int c = strcmp(x->account, y->account);
    return c ? c : (x->shard > y->shard) - (x->shard < y->shard);
}

/*
 * The writes of a run go in one round trip: a script whose bookings' and
 * lots' ids the database keeps in session variables as it inserts them
 * (@b, @l: the first id of a multi-row INSERT, the others consecutive under
 * innodb_autoinc_lock_mode 0 or 1; under 2, one INSERT and one variable each).
 */

/* The SQL that names booking (var 'b') or new lot ('l') k of the run. */
static void id_of(char out[32], char var, size_t k)
{
    if (atomic_load(&autoinc_mode) < 2)
        snprintf(out, 32, "(@%c + %lld)", var, (long long)k * atomic_load(&autoinc_step));
    else
        snprintf(out, 32, "@%c%zu", var, k);
}

/*
 * A multi-row INSERT (head, then n rows from row_of) whose first id the
 * database keeps in @var; under lock mode 2 one INSERT a row, each id in @var<k>.
 */
static void insert_keeping_ids(set *s, size_t n, const char *head, char var,
                               void (*row_of)(set *s, size_t k))
{
    stmt *q = &s->s;
    bool together = atomic_load(&autoinc_mode) < 2;
    for (size_t i = 0; i < n;) {
        size_t end = together ? n : i + 1;
        char keep[48];
        if (together)
            snprintf(keep, sizeof(keep), "; SET @%c = LAST_INSERT_ID()", var);
        else
            snprintf(keep, sizeof(keep), "; SET @%c%zu = LAST_INSERT_ID()", var, i);
        next_statement(q);
        text(q, head);
        for (; i < end; i++)
            row_of(s, i);
        text(q, keep);
    }
}

static void booking_row(set *s, size_t k)
{
    booking *b = &s->bookings[k];
    item *it = &s->items[b->item];
    row(&s->s, "(?, ?, ?, ?, ?, ?, ?, ?, ?)", 9, AL_STR(s->tenant), AL_STR(b->kind),
        AL_STR(b->from), AL_STR(b->to), AL_INT(it->points), AL_STR(it->member), AL_STR(it->partner),
        AL_STR(it->id), AL_STR_OR_NULL(it->detail));
}

static void lot_row(set *s, size_t k)
{
    new_lot *l = &s->new_lots[k];
    item *it = &s->items[l->item];
    char b[32], tuple[192];
    id_of(b, 'b', (size_t)it->booking);
    snprintf(tuple, sizeof(tuple), "(?, ?, ?, %s, ?, ?, NOW(6), " AL_SQL_EXPIRES_AT("NOW(6)") ")",
             b);
    row(&s->s, tuple, 6, AL_STR(s->tenant), AL_STR(it->member), AL_STR(it->partner),
        AL_INT(l->points), AL_INT(l->remaining), AL_INT(it->op.earn.expiry_months));
}

/* Bookings, each id in a variable; the balance deltas. */
static void write_bookings(set *s)
{
    stmt *q = &s->s;
    insert_keeping_ids(s, s->nbookings,
                       "INSERT INTO bookings (tenant_id, kind, from_account, to_account, points, "
                       "member_id, partner_id, ref_id, detail) VALUES ",
                       'b', booking_row);
    if (s->nbalances == 0)
        return;
    qsort(s->balances, s->nbalances, sizeof(balance_row), by_account); /* one lock order */
    next_statement(q);
    text(q, "INSERT INTO account_balances (tenant_id, account, shard, balance) VALUES ");
    for (size_t i = 0; i < s->nbalances; i++)
        row(q, "(?, ?, ?, ?)", 4, AL_STR(s->tenant), AL_STR(s->balances[i].account),
            AL_INT(s->balances[i].shard), AL_INT(s->balances[i].delta));
    text(q, " ON DUPLICATE KEY UPDATE balance = balance + VALUES(balance)");
}

/* New lots (ids in variables), spent lots, and where each take came from. */
static void write_lots(set *s)
{
    stmt *q = &s->s;
    insert_keeping_ids(s, s->nnew_lots,
                       "INSERT INTO lots (tenant_id, member_id, partner_id, booking_id, points, "
                       "remaining, earned_at, expires_at) VALUES ",
                       'l', lot_row);
    size_t taken = 0;
    for (size_t i = 0; i < s->nlots; i++)
        if (s->lots[i].take > 0) {
            if (taken++ == 0) {
                next_statement(q);
                text(q, "UPDATE lots SET remaining = remaining - CASE lot_id");
            }
            text(q, " WHEN ? THEN ?");
            param(q, AL_INT(s->lots[i].id));
            param(q, AL_INT(s->lots[i].take));
        }
    if (taken > 0) {
        text(q, " END WHERE lot_id IN (");
        for (size_t i = 0; i < s->nlots; i++)
            if (s->lots[i].take > 0)
                row(q, "?", 1, AL_INT(s->lots[i].id));
        text(q, ")");
    }
    if (s->ncons == 0)
        return;
    next_statement(q);
    text(q, "INSERT INTO lot_consumptions (tenant_id, booking_id, lot_id, issuer_partner, "
            "redeemer_partner, points) VALUES ");
    for (size_t i = 0; i < s->ncons; i++) {
        consumption *c = &s->cons[i];
        item *it = &s->items[c->item];
        char b[32], tuple[80];
        id_of(b, 'b', (size_t)it->booking);
        snprintf(tuple, sizeof(tuple), "(?, %s, ?, ?, ?, ?)", b);
        row(q, tuple, 5, AL_STR(s->tenant), c->lot_id ? AL_INT(c->lot_id) : AL_NULL,
            AL_STR_OR_NULL(c->issuer), AL_STR(it->partner), AL_INT(c->points));
    }
}

/* Earnings' transactions, redemptions, promotion counts. */
static void write_records(set *s)
{
    stmt *q = &s->s;
    size_t t = 0, r = 0;
    for (size_t i = 0; i < s->n; i++) {
        item *it = &s->items[i];
        if (it->state != IT_DONE || it->op.kind != AL_OP_EARN)
            continue;
        const al_earn *e = &it->op.earn;
        if (t++ == 0) {
            next_statement(q);
            text(q, "INSERT INTO transactions (tenant_id, partner_id, transaction_id, member_id, "
                    "booking_id, lot_id, points, base_amount_minor, currency, occurred_at, "
                    "qualifying_points) VALUES ");
        }
        char b[32], l[32] = "NULL", tuple[128];
        id_of(b, 'b', (size_t)it->booking);
        if (it->lot >= 0)
            id_of(l, 'l', (size_t)it->lot);
        snprintf(tuple, sizeof(tuple), "(?, ?, ?, ?, %s, %s, ?, ?, ?, ?, ?)", b, l);
        row(q, tuple, 9, AL_STR(s->tenant), AL_STR(e->partner), AL_STR(e->transaction_id),
            AL_STR(e->member), AL_INT(it->points), AL_INT(e->base_amount_minor),
            AL_STR(e->currency), AL_STR(e->occurred_at), AL_INT(e->qualifying_points));
    }
    for (size_t i = 0; i < s->n; i++) {
        item *it = &s->items[i];
        if (it->state != IT_DONE || it->op.kind != AL_OP_REDEEM)
            continue;
        const al_redeem *d = &it->op.redeem;
        if (r++ == 0) {
            next_statement(q);
            text(q, "INSERT INTO redemptions (tenant_id, partner_id, redemption_id, member_id, "
                    "points, captured_points, status, hold_expires_at, booking_id) VALUES ");
        }
        char b[32] = "NULL", tuple[160];
        if (it->booking >= 0)
            id_of(b, 'b', (size_t)it->booking);
        snprintf(tuple, sizeof(tuple),
                 "(?, ?, ?, ?, ?, ?, ?, IF(? > 0, NOW(6) + INTERVAL ? SECOND, NULL), %s)", b);
        row(q, tuple, 9, AL_STR(s->tenant), AL_STR(d->partner), AL_STR(d->redemption_id),
            AL_STR(d->member), AL_INT(d->points), AL_INT(d->capture ? d->points : 0),
            AL_STR(d->capture ? "captured" : "held"), AL_INT(d->capture ? 0 : d->hold_seconds),
            AL_INT(d->capture ? 0 : d->hold_seconds));
    }
    size_t u = 0;
    for (size_t i = 0; i < s->nusages; i++) {
        if (s->usages[i].add == 0)
            continue;
        if (u++ == 0) {
            next_statement(q);
            text(q, "INSERT INTO promotion_usage (tenant_id, promotion_id, member_id, period_key, "
                    "points) VALUES ");
        }
        row(q, "(?, ?, ?, ?, ?)", 5, AL_STR(s->tenant), AL_STR(s->usages[i].promo),
            AL_STR(s->members[s->usages[i].m].id), AL_STR(s->usages[i].period),
            AL_INT(s->usages[i].add));
    }
    if (u > 0)
        text(q, " ON DUPLICATE KEY UPDATE points = points + VALUES(points)");
}

/* Member rows (deltas, and the tier as decided) and the tier changes. */
static void write_members(set *s)
{
    stmt *q = &s->s;
    size_t n = 0;
    for (size_t i = 0; i < s->nmembers; i++) {
        member_state *m = &s->members[i];
        if (!m->touched)
            continue;
        if (n++ == 0) {
            next_statement(q);
            text(q, "INSERT INTO members (tenant_id, member_id, profile, available, held, debt, "
                    "lifetime_earned, lifetime_redeemed, last_activity_at, tier, tier_since, "
                    "below_since) VALUES ");
        }
        row(q,
            "(?, ?, '{}', ?, ?, ?, ?, ?, NOW(6), ?, IF(?, NOW(6), NULL), "
            "IF(? = 0, NULL, '1970-01-01' + INTERVAL ? SECOND))",
            11, AL_STR(s->tenant), AL_STR(m->id), AL_INT(m->d_available), AL_INT(m->d_held),
            AL_INT(m->d_debt), AL_INT(m->d_earned), AL_INT(m->d_redeemed), AL_STR(m->row.tier),
            AL_INT(m->tier_changed), AL_INT(m->row.below_since), AL_INT(m->row.below_since));
    }
    if (n == 0)
        return;
    /* Left to right: tier_since reads VALUES before tier changes. */
    text(q, " ON DUPLICATE KEY UPDATE available = available + VALUES(available), "
            "held = held + VALUES(held), debt = debt + VALUES(debt), "
            "lifetime_earned = lifetime_earned + VALUES(lifetime_earned), "
            "lifetime_redeemed = lifetime_redeemed + VALUES(lifetime_redeemed), "
            "last_activity_at = VALUES(last_activity_at), "
            "tier_since = IFNULL(VALUES(tier_since), tier_since), tier = VALUES(tier), "
            "below_since = VALUES(below_since)");
    if (s->nchanges == 0)
        return;
    next_statement(q);
    text(q, "INSERT INTO tier_history (tenant_id, member_id, from_tier, to_tier, reason, "
            "rules_version) VALUES ");
    for (size_t i = 0; i < s->nchanges; i++) {
        tier_change *c = &s->changes[i];
        row(q, "(?, ?, ?, ?, ?, ?)", 6, AL_STR(s->tenant), AL_STR(s->members[c->m].id),
            AL_STR(c->from), AL_STR(c->to), AL_STR(c->reason), AL_INT(c->version));
    }
}

/* One event of the run for the outbox (data taken); false when it cannot be written. */
static bool event_row(set *s, const char *type, const char *member, json_t *data)
{
    char *json = data ? json_dumps(data, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
    json_decref(data);
    if (json == NULL || s->nevents == sizeof(s->events) / sizeof(s->events[0])) {
        free(json);
        return false;
    }
    s->events[s->nevents++] = json;
    stmt *q = &s->s;
    if (q->rows == 0) {
        next_statement(q);
        text(q, "INSERT INTO outbox (tenant_id, type, member_id, data) "
                "SELECT v.t, v.y, v.m, v.d FROM (");
    }
    /* A derived table of the rows, numbered: the INSERT keeps their order. */
    text(q, q->rows ? " UNION ALL SELECT ?, ?, ?, ?, ?" : "SELECT ? t, ? y, ? m, ? d, ? n");
    param(q, AL_STR(s->tenant));
    param(q, AL_STR(type));
    param(q, AL_STR(member));
    param(q, AL_STR(json));
    param(q, AL_INT((int64_t)q->rows++));
    return true;
}

/*
 * The run's events, in the order they happened (a member's in its order):
 * each earning, then the tier change it made; each captured redemption. Only
 * those a webhook of the tenant subscribes to are kept (outbox.h).
 */
static al_db_status write_events(set *s)
{
    stmt *q = &s->s;
    size_t before = q->len;
    q->rows = 0;
    bool ok = true;
    for (size_t i = 0; i < s->n && ok; i++) {
        item *it = &s->items[i];
        if (it->state != IT_DONE)
            continue;
        const member_state *m = &s->members[it->m];
        if (it->op.kind == AL_OP_EARN) {
            const al_earn *e = &it->op.earn;
            json_t *r = it->reply;
            ok = !s->wants[0] ||
                 event_row(s, AL_EVENT_TRANSACTION_EARNED, e->member,
                           al_event_earned(e, it->points,
                                           json_integer_value(json_object_get(r, "balance")),
                                           it->booked_tier));
            for (size_t c = 0; c < s->nchanges && ok && s->wants[1]; c++)
                if (s->changes[c].item == (int)i)
                    ok = event_row(s, AL_EVENT_TIER_CHANGED, m->id,
                                   al_event_tier(m->id, s->changes[c].from, s->changes[c].to,
                                                 s->changes[c].reason));
        } else if (it->op.kind == AL_OP_REDEEM && it->op.redeem.capture && s->wants[2]) {
            const al_redeem *d = &it->op.redeem;
            ok = event_row(
                s, AL_EVENT_REDEMPTION_CAPTURED, d->member,
                al_event_redemption(d->partner, d->redemption_id, d->member, d->points,
                                    json_integer_value(json_object_get(it->reply, "balance"))));
        }
    }
    if (!ok)
        return AL_DB_ERROR;
    if (q->len > before)
        text(q, ") v WHERE " AL_SQL_SUBSCRIBED("v.t", "v.y") " ORDER BY v.n");
    return AL_DB_OK;
}

/* Every answer stored with its key (a refusal is not stored: sent again, it runs again). */
static al_db_status write_answers(set *s)
{
    stmt *q = &s->s;
    size_t done = 0;
    for (size_t i = 0; i < s->n; i++) {
        item *it = &s->items[i];
        if (it->state != IT_DONE)
            continue;
        it->job->reply =
            json_dumps(it->reply, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(12));
        it->job->result = AL_CREATED;
        if (it->job->reply == NULL)
            return AL_DB_ERROR;
        al_idem_key *k = &it->job->key;
        if (done++ == 0) {
            next_statement(q);
            text(q, "INSERT INTO idempotency (tenant_id, partner_id, kind, request_id, "
                    "request_hash, status, response) VALUES ");
        }
        row(q, "(?, ?, ?, ?, ?, ?, ?)", 7, AL_STR(k->tenant), AL_STR(k->partner), AL_STR(k->kind),
            AL_STR(k->id), AL_STR(k->hash), AL_INT((int64_t)AL_CREATED), AL_STR(it->job->reply));
    }
    return AL_DB_OK;
}

/* Every write of the run, in one round trip; with the COMMIT when commit. */
static al_db_status writes(al_db *db, set *s, bool commit)
{
    write_bookings(s);
    write_lots(s);
    write_records(s);
    write_members(s);
    al_db_status st = write_events(s);
    if (st == AL_DB_OK)
        st = write_answers(s);
    if (st == AL_DB_OK && commit) {
        next_statement(&s->s);
        text(&s->s, "COMMIT");
    }
    if (st != AL_DB_OK || s->s.len == 0) {
        reset(&s->s);
        return st;
    }
    return script(db, &s->s, NULL, 0);
}

/* ---- A run. ---- */

/*
 * A committer's set, kept from run to run: a few hundred kilobytes that a
 * fresh allocation would have the kernel map and zero each time. Only what a
 * run used is cleared; the arrays and the statement buffer are reused.
 */
static _Thread_local set *mine;

static void set_clear(set *s)
{
    for (size_t i = 0; i < s->n; i++) {
        free(s->items[i].replay);
        free(s->items[i].detail);
        json_decref(s->items[i].reply);
    }
    for (size_t i = 0; i < s->nevents; i++)
        free(s->events[i]);
    s->nevents = 0;
    memset(s->items, 0, s->n * sizeof(item));
    memset(s->members, 0, s->nmembers * sizeof(member_state));
    free(s->lots);
    s->lots = NULL;
    s->n = s->nmembers = s->nlots = s->ncons = s->nbookings = s->nnew_lots = 0;
    s->nbalances = s->nusages = s->ncounts = s->nchanges = 0;
    s->since[0] = '\0';
    memset(s->wants, 0, sizeof(s->wants));
    s->window_months = 12;
    s->cross_partner = false;
    s->flags = 0;
    reset(&s->s);
}

void al_batch_thread_end(void)
{
    if (mine == NULL)
        return;
    set_clear(mine);
    free(mine->cons);
    free(mine->usages);
    free(mine->counts);
    free(mine->s.sql);
    free(mine->s.p);
    free(mine);
    mine = NULL;
}

/* Whether job's idempotency key is one of the first n items'. */
static bool key_taken(const set *s, size_t n, const al_job *job)
{
    for (size_t i = 0; i < n; i++) {
        const al_idem_key *k = &s->items[i].job->key;
        if (strcmp(k->id, job->key.id) == 0 && strcmp(k->kind, job->key.kind) == 0 &&
            strcmp(k->partner, job->key.partner) == 0)
            return true;
    }
    return false;
}

/* Takes the jobs of one run into the set: at most RUN_MAX, no key twice, one tier window. */
static void take(set *s, al_job **jobs, size_t n)
{
    int window = -1;
    for (size_t i = 0; i < n && i < RUN_MAX; i++) {
        item *it = &s->items[i];
        jobs[i]->describe(jobs[i]->ctx, &it->op);
        bool earning = it->op.kind == AL_OP_EARN;
        if (key_taken(s, i, jobs[i]) ||
            (earning && window >= 0 && it->op.earn.rules->window_months != window))
            break;
        s->n = i + 1;
        it->job = jobs[i];
        it->booking = it->lot = -1;
        it->member = earning ? it->op.earn.member : it->op.redeem.member;
        it->partner = earning ? it->op.earn.partner : it->op.redeem.partner;
        it->id = earning ? it->op.earn.transaction_id : it->op.redeem.redemption_id;
        if ((it->m = find_member(s, it->member)) < 0) {
            it->m = (int)s->nmembers++;
            s->members[it->m].id = it->member;
        }
        member_state *m = &s->members[it->m];
        if (earning) {
            window = s->window_months = it->op.earn.rules->window_months;
            s->cross_partner = s->cross_partner || it->op.earn.rules->cross_partner_points > 0;
            m->earns = true;
        } else if (it->op.redeem.capture) {
            m->redeems = true;
        }
    }
}

al_db_status al_batch_run(al_db *db, al_job **jobs, size_t n, unsigned flags, size_t *done,
                          bool *committed)
{
    *done = 0;
    *committed = false;
    if (mine == NULL && (mine = calloc(1, sizeof(*mine))) == NULL)
        return AL_DB_ERROR;
    set *s = mine;
    al_db_status st = learn_autoinc(db);
    s->tenant = jobs[0]->key.tenant;
    s->flags = flags;
    take(s, jobs, n);
    if (st == AL_DB_OK)
        st = reads(db, s);
    if (st == AL_DB_OK)
        st = usages(db, s);

    size_t end = s->n;
    for (size_t i = 0; i < s->n && st == AL_DB_OK; i++) {
        item *it = &s->items[i];
        if (it->state == IT_REPLAY) {
            it->job->result = AL_DONE;
            it->job->reply = it->replay;
            it->replay = NULL;
            continue;
        }
        if (it->state == IT_STALE)
            continue;
        if (it->state == IT_CONFLICT) {
            refuse(it, AL_CONFLICT, "id_reused", "id %s was used with another body", it->id);
            it->state = IT_CONFLICT;
            continue;
        }
        decision d = it->op.kind == AL_OP_EARN ? earn(s, db->lane, it) : redeem(s, db->lane, it);
        if (d == FALLBACK)
            st = AL_DB_RETRY;
        if (d == CUT) {
            end = i;
            break;
        }
    }
    if (end == 0 && st == AL_DB_OK)
        st = AL_DB_RETRY; /* nothing decided: cannot happen, but never loop */
    /* Items past end stay pending, for the next run. */
    bool commit = (flags & AL_BATCH_COMMIT_LAST) && end == n;
    if (st == AL_DB_OK)
        st = writes(db, s, commit);
    if (st == AL_DB_OK) {
        *done = end;
        *committed = commit;
    }
    set_clear(s);
    return st;
}
