/* Member histories from the ledger; see history.h. */
#include "analytics/history.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef struct {
    int (*each)(const al_history *h, void *ctx);
    void *ctx;
    const al_partner_list *partners;
    const al_tz *tz; /* the tenant's: a purchase's day is its local day */
    char member[AL_ID_MAX + 1];
    al_purchase *p;
    size_t n, cap;
    int stop;
    bool failed;
} stream;

static int flush(stream *s)
{
    if (s->n == 0)
        return 0;
    al_history h = {s->member, s->p, s->n};
    s->stop = s->each(&h, s->ctx);
    s->n = 0;
    return s->stop;
}

/* Row: member_id, time (Unix seconds), spend, points, partner_id. */
static int on_row(MYSQL_ROW row, unsigned long *len, void *ctx)
{
    stream *s = ctx;
    if (len[0] > AL_ID_MAX)
        return 0;
    if (s->n > 0 && strcmp(row[0], s->member) != 0 && flush(s) != 0)
        return s->stop;
    if (s->n == 0)
        memcpy(s->member, row[0], len[0] + 1);
    if (s->n == s->cap) {
        size_t cap = s->cap ? 2 * s->cap : 64;
        al_purchase *p = realloc(s->p, cap * sizeof(*p));
        if (p == NULL) {
            s->failed = true;
            return 1;
        }
        s->p = p;
        s->cap = cap;
    }
    long partner = s->partners ? al_partner_list_find(s->partners, row[4]) : 0;
    s->p[s->n++] = (al_purchase){.day = al_tz_day(s->tz, strtoll(row[1], NULL, 10)),
                                 .partner = partner >= 0 ? (uint32_t)partner : UINT32_MAX,
                                 .spend = strtoll(row[2], NULL, 10),
                                 .points = strtoll(row[3], NULL, 10)};
    return 0;
}

al_db_status al_partner_list_load(al_db *db, const char *tenant, al_partner_list *out)
{
    MYSQL_RES *res = NULL;
    al_db_param p[] = {AL_STR(tenant)};
    out->p = NULL;
    out->n = 0;
    al_db_status st = al_db_exec(
        db, "SELECT partner_id, currency FROM partners WHERE tenant_id = ? ORDER BY partner_id", p,
        1, &res);
    if (st != AL_DB_OK)
        return st;
    size_t n = (size_t)mysql_num_rows(res);
    out->p = calloc(n ? n : 1, sizeof(*out->p));
    MYSQL_ROW row;
    for (; out->p != NULL && (row = mysql_fetch_row(res)) != NULL; out->n++) {
        snprintf(out->p[out->n].id, sizeof(out->p[out->n].id), "%s", row[0]);
        snprintf(out->p[out->n].currency, sizeof(out->p[out->n].currency), "%s", row[1]);
    }
    mysql_free_result(res);
    return out->p ? AL_DB_OK : AL_DB_ERROR;
}

static int partner_cmp(const void *key, const void *elem)
{
    return strcmp(key, ((const al_partner_entry *)elem)->id);
}

long al_partner_list_find(const al_partner_list *list, const char *id)
{
    const al_partner_entry *found = bsearch(id, list->p, list->n, sizeof(*list->p), partner_cmp);
    return found ? (long)(found - list->p) : -1;
}

void al_partner_list_free(al_partner_list *list)
{
    free(list->p);
    list->p = NULL;
    list->n = 0;
}

al_db_status al_history_each(al_db *db, const char *tenant, const char *member, int32_t through,
                             const al_tz *tz, int (*each)(const al_history *h, void *ctx),
                             void *ctx, const al_partner_list *partners)
{
    al_db_status st;
    stream s = {.each = each, .ctx = ctx, .partners = partners, .tz = tz};
    /* The end of day through in the zone, as a UTC time. */
    char end[32];
    time_t end_t = (time_t)al_tz_utc(tz, ((int64_t)through + 1) * 86400);
    struct tm tm;
    gmtime_r(&end_t, &tm);
    strftime(end, sizeof(end), "%Y-%m-%d %H:%M:%S", &tm);
    al_db_param all[] = {AL_STR(tenant), AL_STR(end)};
    al_db_param one[] = {AL_STR(tenant), AL_STR(member ? member : ""), AL_STR(end)};
    st = member
             ? al_db_stream(db,
                            "SELECT member_id, TIMESTAMPDIFF(SECOND, '1970-01-01', occurred_at), "
                            "base_amount_minor - reversed_minor, points, partner_id "
                            "FROM transactions WHERE tenant_id = ? AND member_id = ? "
                            "AND occurred_at < ? ORDER BY occurred_at",
                            one, 3, on_row, &s)
             : al_db_stream(db,
                            "SELECT member_id, TIMESTAMPDIFF(SECOND, '1970-01-01', occurred_at), "
                            "base_amount_minor - reversed_minor, points, partner_id "
                            "FROM transactions FORCE INDEX (transactions_member) "
                            "WHERE tenant_id = ? AND occurred_at < ? "
                            "ORDER BY member_id, occurred_at",
                            all, 2, on_row, &s);
    if (st == AL_DB_OK && !s.failed && s.stop == 0)
        flush(&s);
    free(s.p);
    if (st == AL_DB_OK && s.failed)
        st = AL_DB_ERROR;
    return st;
}

typedef struct {
    int32_t as_of;
    al_facts facts;
} one_member;

static int member_facts(const al_history *h, void *ctx)
{
    one_member *m = ctx;
    al_facts_of(h, m->as_of, AL_PRIOR_DAYS, &m->facts);
    return 0;
}

al_db_status al_member_stage(al_db *db, const char *tenant, const char *member, int32_t as_of,
                             const al_tz *tz, al_stage *out)
{
    one_member m = {.as_of = as_of, .facts = {.first_day = -1, .last_day = -1}};
    al_db_status st = al_history_each(db, tenant, member, as_of, tz, member_facts, &m, NULL);
    *out = al_lifecycle_stage(&m.facts, as_of);
    return st == AL_DB_OK && m.facts.overflow ? AL_DB_RANGE : st;
}

typedef struct {
    int (*each)(int64_t points, void *ctx);
    void *ctx;
} held_each;

static int held_row(MYSQL_ROW row, unsigned long *len, void *arg)
{
    (void)len;
    held_each *h = arg;
    return h->each(strtoll(row[0], NULL, 10), h->ctx);
}

al_db_status al_points_held_each(al_db *db, const char *tenant,
                                 int (*each)(int64_t points, void *ctx), void *ctx)
{
    al_db_param p[] = {AL_STR(tenant)};
    held_each h = {each, ctx};
    return al_db_stream(db, "SELECT available + held FROM members WHERE tenant_id = ?", p, 1,
                        held_row, &h);
}

al_db_status al_members_enrolled(al_db *db, const char *tenant, int64_t *out)
{
    al_db_param p[] = {AL_STR(tenant)};
    bool found = false;
    return al_db_int(db, "SELECT COUNT(*) FROM members WHERE tenant_id = ?", p, 1, out, &found);
}
