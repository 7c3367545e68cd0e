/*
 * The ledger as a whole: the trial balance (tenant admin) and the sweep now
 * (operator, for every tenant or the one named): lapsed holds released, tiers
 * reviewed, expired points booked to breakage, on a report thread. The
 * application's sweeper does the same for all every expiry_sweep_s.
 */
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <jansson.h>

#include "api/booking.h"
#include "api/context.h"
#include "api/credentials.h"
#include "api/routes.h"
#include "api/statuses.h"
#include "core/ids.h"
#include "core/log.h"
#include "ledger/expiry.h"
#include "ledger/report_threads.h"
#include "ledger/trial_balance.h"
#include "tenants/directory.h"

/* ?cursor= of the account detail: an account name as next_cursor gave it; 0, or -1 after a 400. */
static int account_cursor(al_exchange *x, char out[AL_ACCOUNT_MAX])
{
    out[0] = '\0';
    if (!al_query_value(x, "cursor", out, AL_ACCOUNT_MAX))
        return 0;
    bool ok = out[0] != '\0';
    for (const char *c = out; *c; c++)
        ok = ok && *c > ' ' && *c < 127;
    if (!ok)
        al_reply_error(x, 400, "invalid_cursor", "cursor must be a next_cursor of this list");
    return ok ? 0 : -1;
}

/*
 * GET /v1/ledger/trial-balance?class=&cursor=&limit=: every class of account
 * with its count and sum, the total (0 when the books balance), and a page of
 * the accounts themselves (of one class when asked).
 */
void al_api_trial_balance(al_exchange *x)
{
    char after[AL_ACCOUNT_MAX], class_name[AL_ACCOUNT_CLASS_MAX];
    long long limit;
    bool one_class = al_query_value(x, "class", class_name, sizeof(class_name));
    if (account_cursor(x, after) != 0 || al_query_limit(x, &limit) != 0)
        return;
    al_class_balance *classes = NULL;
    al_account_balance *rows = NULL;
    size_t nc = 0, n = 0;
    __int128 total = 0; /* balances are int64; their sum is exact here */
    al_db_status st = al_trial_balance(al_db_of(x), x->tenant, &classes, &nc, &total);
    if (st == AL_DB_OK)
        st = al_trial_balance_accounts(al_db_of(x), x->tenant, one_class ? class_name : NULL, after,
                                       limit, &rows, &n);
    if (st != AL_DB_OK) {
        free(classes);
        free(rows);
        al_reply_db_failure(x, st);
        return;
    }
    json_t *by_class = json_array();
    for (size_t i = 0; i < nc; i++)
        json_array_append_new(by_class, json_pack("{s:s,s:I,s:I}", "class", classes[i].class_name,
                                                  "accounts", (json_int_t)classes[i].accounts,
                                                  "balance", (json_int_t)classes[i].balance));
    json_t *accounts = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(accounts, json_pack("{s:s,s:I}", "account", rows[i].account,
                                                  "balance", (json_int_t)rows[i].balance));
    json_t *next = al_page_next(n, limit, n ? rows[n - 1].account : NULL);
    free(classes);
    free(rows);
    if (total != 0)
        al_log(AL_LOG_ERROR, "tenant %s: the trial balance is off by %lld", x->tenant,
               (long long)total);
    al_reply_json(x, 200,
                  json_pack("{s:o,s:I,s:o,s:o}", "classes", by_class, "total", (json_int_t)total,
                            "accounts", accounts, "next_cursor", next));
}

typedef struct {
    char tenant[AL_ID_MAX + 1]; /* "" for all */
    char as_of[27];
} expire_job;

static bool expire(al_db *db, void *arg, al_outcome *o)
{
    expire_job *c = arg;
    const char *tenant = c->tenant[0] ? c->tenant : NULL;
    al_sweep s;
    al_db_status st = al_expire_now(db, tenant, c->as_of, al_reports_cancelled, &s);
    if (st != AL_DB_OK)
        return al_db_failed(o, st == AL_DB_ERROR ? AL_DB_DOWN : st);
    if (s.stopped)
        return al_refuse(o, AL_STOPPING, "shutting_down",
                         "the server is stopping; ask again later");
    al_log(AL_LOG_INFO, "expiry as of %s for %s: %d members, %lld points; %d holds released",
           c->as_of, tenant ? tenant : "all tenants", s.members, (long long)s.points, s.holds);
    char as_of[AL_RFC3339_MAX];
    al_sql_to_rfc3339(c->as_of, as_of);
    o->reply = json_pack("{s:s,s:i,s:I,s:i,s:i,s:{s:i,s:i,s:i}}", "as_of", as_of, "members",
                         s.members, "points", (json_int_t)s.points, "holds_released", s.holds,
                         "tiers_changed", s.tiers, "referrals", "rewarded", s.referrals_rewarded,
                         "taken_back", s.referrals_taken_back, "lapsed", s.referrals_lapsed);
    o->result = AL_DONE;
    return true;
}

void al_api_ledger_expire(al_exchange *x)
{
    static const char *const fields[] = {"as_of", "tenant", NULL};
    json_t *body = NULL;
    expire_job c = {0};
    struct evbuffer *in = evhttp_request_get_input_buffer(x->req);
    if (evbuffer_get_length(in) > 0) {
        if (al_body_object(x, &body) != 0)
            return;
        if (al_body_only(x, body, fields) != 0)
            goto done;
    }
    json_t *v = json_object_get(body, "as_of");
    if (v != NULL &&
        (!json_is_string(v) || al_rfc3339_to_sql(json_string_value(v), c.as_of) != 0)) {
        al_reply_error(x, 400, "invalid_field", "as_of must be an RFC 3339 time (Z or an offset)");
        goto done;
    }
    json_t *t = json_object_get(body, "tenant");
    if (t != NULL && !al_id_valid(json_string_value(t))) {
        al_reply_error(x, 400, "invalid_field", "tenant must be a tenant id");
        goto done;
    }
    if (t != NULL) {
        snprintf(c.tenant, sizeof(c.tenant), "%s", json_string_value(t));
        if (al_route_tenant(x, c.tenant) != 0)
            goto done;
    } else if (al_directory_clusters()->n > 1) {
        al_reply_error(x, 400, "tenant_required",
                       "with several database clusters, name the tenant (the sweeper expires "
                       "every tenant of every cluster by itself)");
        goto done;
    }
    if (v == NULL)
        al_sql_now(c.as_of);
    al_run_report(x, expire, &c, sizeof(c), NULL);
done:
    json_decref(body);
}
