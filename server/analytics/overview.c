/*
 * The overview; see overview.h. Its SQL is here: a few aggregates over the
 * tenant's bookings (the months' bounds are computed in the tenant's zone and
 * given to one GROUP BY), its members and its partners' contracts.
 */
#include "analytics/overview.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "analytics/reports.h"
#include "core/rounding.h"
#include "core/tz.h"
#include "ledger/trial_balance.h"

/* What each booking kind counts as. */
#define ISSUED "kind IN ('earn', 'import', 'event', 'referral')"
#define SUMS                                                                                       \
    "SUM(IF(" ISSUED ", points, 0)), SUM(IF(kind = 'redeem', points, 0)), "                        \
    "SUM(IF(kind = 'expire', points, 0)), SUM(IF(kind IN ('reversal', 'referral_back'), points, "  \
    "0))"

typedef struct flows {
    int64_t issued, redeemed, expired, reversed;
} flows;

static void flows_of(MYSQL_ROW row, flows *f)
{
    al_db_i64(row[0], &f->issued);
    al_db_i64(row[1], &f->redeemed);
    al_db_i64(row[2], &f->expired);
    al_db_i64(row[3], &f->reversed);
}

static json_t *flows_json(const flows *f)
{
    return json_pack("{s:I,s:I,s:I,s:I}", "issued", (json_int_t)f->issued, "redeemed",
                     (json_int_t)f->redeemed, "expired", (json_int_t)f->expired, "reversed",
                     (json_int_t)f->reversed);
}

static void sql_time(int64_t t, char out[20])
{
    time_t tt = (time_t)t;
    struct tm tm;
    gmtime_r(&tt, &tm);
    strftime(out, 20, "%Y-%m-%d %H:%M:%S", &tm);
}

/* Points issued, redeemed, expired and reversed in each of n months to this one, in zone tz. */
static al_db_status months_of(al_db *db, const char *tenant, const al_tz *tz, int n, json_t *months)
{
    char bound[AL_OVERVIEW_MONTHS_MAX + 1][20], label[AL_OVERVIEW_MONTHS_MAX][24];
    time_t local = (time_t)al_tz_local(tz, (int64_t)time(NULL));
    struct tm tm;
    gmtime_r(&local, &tm);
    for (int i = 0; i <= n; i++) { /* the first day of each month, local, then in UTC */
        struct tm start = {.tm_year = tm.tm_year, .tm_mon = tm.tm_mon - (n - 1) + i, .tm_mday = 1};
        time_t s = timegm(&start);
        gmtime_r(&s, &start);
        if (i < n)
            snprintf(label[i], sizeof(label[i]), "%04d-%02d", start.tm_year + 1900,
                     start.tm_mon + 1);
        sql_time(al_tz_utc(tz, (int64_t)s), bound[i]);
    }
    char sql[4096];
    int len = snprintf(sql, sizeof(sql), "SELECT CASE");
    for (int i = 1; i < n; i++)
        len += snprintf(sql + len, sizeof(sql) - (size_t)len, " WHEN booked_at < ? THEN %d", i - 1);
    snprintf(sql + len, sizeof(sql) - (size_t)len,
             " ELSE %d END AS m, " SUMS " FROM bookings WHERE tenant_id = ? AND booked_at >= ? "
             "AND booked_at < ? GROUP BY m",
             n - 1);
    al_db_param p[AL_OVERVIEW_MONTHS_MAX + 3];
    int np = 0;
    for (int i = 1; i < n; i++)
        p[np++] = AL_STR(bound[i]);
    p[np++] = AL_STR(tenant);
    p[np++] = AL_STR(bound[0]);
    p[np++] = AL_STR(bound[n]);
    MYSQL_RES *res = NULL;
    al_db_status st = al_db_exec(db, sql, p, (size_t)np, &res);
    flows f[AL_OVERVIEW_MONTHS_MAX] = {0};
    MYSQL_ROW row;
    while (st == AL_DB_OK && (row = mysql_fetch_row(res)) != NULL) {
        int m = atoi(row[0]);
        if (m >= 0 && m < n)
            flows_of(row + 1, &f[m]);
    }
    al_db_free_result(res);
    for (int i = 0; st == AL_DB_OK && i < n; i++) {
        json_t *month = flows_json(&f[i]);
        json_object_set_new(month, "month", json_string(label[i]));
        json_array_append_new(months, month);
    }
    return st;
}

typedef struct partner_flows {
    char id[AL_ID_MAX + 1];
    flows f;
} partner_flows;

static int partner_flows_of(MYSQL_ROW row, void *element)
{
    partner_flows *p = element;
    snprintf(p->id, sizeof(p->id), "%s", row[0] ? row[0] : "");
    flows_of(row + 1, &p->f);
    return 0;
}

static int by_issued(const void *a, const void *b)
{
    const partner_flows *x = a, *y = b;
    if (x->f.issued != y->f.issued)
        return x->f.issued < y->f.issued ? 1 : -1;
    return strcmp(x->id, y->id);
}

/* Every partner's current contract priced at the outstanding points. */
static al_db_status liability_of(al_db *db, const char *tenant, int64_t outstanding, json_t *out)
{
    al_db_param p[] = {AL_STR(tenant)};
    MYSQL_RES *res = NULL;
    al_db_status st =
        al_db_exec(db,
                   "SELECT c.partner_id, c.currency, c.redeem_minor_per_1000 "
                   "FROM partner_contracts c WHERE c.tenant_id = ? AND c.effective_from = "
                   "(SELECT MAX(d.effective_from) FROM partner_contracts d WHERE d.tenant_id = "
                   "c.tenant_id AND d.partner_id = c.partner_id AND d.effective_from <= NOW(6)) "
                   "ORDER BY c.partner_id",
                   p, 1, &res);
    MYSQL_ROW row;
    while (st == AL_DB_OK && (row = mysql_fetch_row(res)) != NULL) {
        int64_t price = strtoll(row[2], NULL, 10);
        __int128 num = (__int128)outstanding * price;
        json_array_append_new(
            out, json_pack("{s:s,s:s,s:I,s:o}", "partner", row[0], "currency", row[1],
                           "redeem_minor_per_1000", (json_int_t)price, "value_minor",
                           al_per_mille_fits(num) ? json_integer(al_per_mille(num)) : json_null()));
    }
    al_db_free_result(res);
    return st;
}

bool al_overview_report(al_db *db, void *ctx, al_outcome *o)
{
    const al_analytics_query *q = ctx;
    al_db_param p[] = {AL_STR(q->tenant)};
    int64_t members = 0, outstanding = 0;
    bool found = false;
    al_db_status st =
        al_db_int(db, "SELECT COUNT(*) FROM members WHERE tenant_id = ?", p, 1, &members, &found);
    al_class_balance *classes = NULL;
    size_t nclasses = 0;
    __int128 total = 0;
    if (st == AL_DB_OK)
        st = al_trial_balance(db, q->tenant, &classes, &nclasses, &total);
    for (size_t i = 0; i < nclasses; i++)
        if (strcmp(classes[i].class_name, "member") == 0)
            outstanding = classes[i].balance;
    free(classes);
    partner_flows *pf = NULL;
    size_t npf = 0;
    if (st == AL_DB_OK)
        st = al_db_list(db,
                        "SELECT partner_id, " SUMS " FROM bookings WHERE tenant_id = ? "
                        "GROUP BY partner_id",
                        p, 1, sizeof(*pf), partner_flows_of, (void **)&pf, &npf);
    json_t *liability = json_array(), *months = json_array(), *top = json_array();
    if (st == AL_DB_OK)
        st = liability_of(db, q->tenant, outstanding, liability);
    if (st == AL_DB_OK)
        st = months_of(db, q->tenant, al_tz_get(q->time_zone), (int)q->window, months);
    if (st != AL_DB_OK) {
        free(pf);
        json_decref(liability);
        json_decref(months);
        json_decref(top);
        return al_db_failed(o, st);
    }
    flows all = {0};
    for (size_t i = 0; i < npf; i++) {
        all.issued += pf[i].f.issued;
        all.redeemed += pf[i].f.redeemed;
        all.expired += pf[i].f.expired;
        all.reversed += pf[i].f.reversed;
    }
    qsort(pf, npf, sizeof(*pf), by_issued);
    for (size_t i = 0, shown = 0; i < npf && shown < 10; i++)
        if (pf[i].id[0] != '\0' && (pf[i].f.issued > 0 || pf[i].f.redeemed > 0)) {
            json_t *one = flows_json(&pf[i].f);
            json_object_set_new(one, "partner", json_string(pf[i].id));
            json_array_append_new(top, one);
            shown++;
        }
    free(pf);
    /* Breakage: points that expired for every 10,000 issued (basis points). */
    int64_t breakage_bp =
        all.issued > 0 ? (int64_t)((__int128)all.expired * 10000 / all.issued) : 0;
    o->reply = json_pack("{s:s,s:I,s:I,s:o,s:o,s:I,s:o,s:o}", "time_zone", q->time_zone, "members",
                         (json_int_t)members, "points_outstanding", (json_int_t)outstanding,
                         "liability", liability, "totals", flows_json(&all), "breakage_bp",
                         (json_int_t)breakage_bp, "months", months, "top_partners", top);
    o->result = AL_DONE;
    return true;
}
