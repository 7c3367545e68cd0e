/*
 * The ledger as a whole: the trial balance (tenant admin) and the sweep now
 * (operator, for every tenant or the one named): lapsed holds released, tiers
 * reviewed, expired points booked to breakage. The background sweeper does the
 * same for all every expiry_sweep_s.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/buffer.h>
#include <jansson.h>

#include "api/routes.h"
#include "core/log.h"
#include "http/server.h"
#include "ledger/ledger.h"

/* Passes of at most 1000 members each; a pass that lapses nothing ends it. */
#define EXPIRE_PASSES 1000

void al_api_trial_balance(al_exchange *x)
{
    al_db_param p[] = {AL_STR(x->tenant)};
    MYSQL_RES *res = NULL;
    al_db_status st = al_db_exec(&x->worker->db,
                                 "SELECT account, SUM(balance) FROM account_balances "
                                 "WHERE tenant_id = ? GROUP BY account ORDER BY account",
                                 p, 1, &res);
    if (st != AL_DB_OK) {
        al_reply_db_failure(x, st);
        return;
    }
    json_t *accounts = json_array();
    __int128 total = 0; /* balances are int64; their sum is exact here */
    MYSQL_ROW row;
    while ((row = mysql_fetch_row(res)) != NULL) {
        long long balance = strtoll(row[1], NULL, 10);
        total += balance;
        json_array_append_new(
            accounts, json_pack("{s:s,s:I}", "account", row[0], "balance", (json_int_t)balance));
    }
    mysql_free_result(res);
    if (total != 0)
        al_log(AL_LOG_ERROR, "tenant %s: the trial balance is off by %lld", x->tenant,
               (long long)total);
    al_reply_json(x, 200, json_pack("{s:o,s:I}", "accounts", accounts, "total", (json_int_t)total));
}

int al_expire_now(al_db *db, const char *tenant, const char *as_of, int *holds, int *members,
                  int64_t *points, int *tiers)
{
    *members = 0;
    *points = 0;
    if (al_ledger_lapse_holds(db, tenant, holds) != AL_DB_OK ||
        al_ledger_tier_review(db, tenant, tiers) != AL_DB_OK)
        return -1;
    for (int pass = 0; pass < EXPIRE_PASSES; pass++) {
        int m = 0;
        int64_t p = 0;
        if (al_ledger_expire(db, tenant, as_of, &m, &p) != AL_DB_OK)
            return -1;
        *members += m;
        *points += p;
        if (m == 0)
            break;
    }
    return 0;
}

void al_api_ledger_expire(al_exchange *x)
{
    static const char *const fields[] = {"as_of", "tenant", NULL};
    json_t *body = NULL;
    char as_of[27];
    struct evbuffer *in = evhttp_request_get_input_buffer(x->req);
    if (evbuffer_get_length(in) > 0) {
        if (al_body_object(x, &body) != 0)
            return;
        if (al_body_only(x, body, fields) != 0)
            goto done;
    }
    json_t *v = json_object_get(body, "as_of");
    if (v != NULL && (!json_is_string(v) || al_rfc3339_to_sql(json_string_value(v), as_of) != 0)) {
        al_reply_error(x, 400, "invalid_field", "as_of must be an RFC 3339 UTC time");
        goto done;
    }
    json_t *t = json_object_get(body, "tenant");
    if (t != NULL && !al_id_valid(json_string_value(t))) {
        al_reply_error(x, 400, "invalid_field", "tenant must be a tenant id");
        goto done;
    }
    const char *tenant = json_string_value(t);
    if (v == NULL)
        al_sql_now(as_of);
    int holds = 0, members = 0, tiers = 0;
    int64_t points = 0;
    if (al_expire_now(&x->worker->db, tenant, as_of, &holds, &members, &points, &tiers) != 0) {
        al_reply_db_failure(x, AL_DB_DOWN);
        goto done;
    }
    al_log(AL_LOG_INFO, "expiry as of %s for %s: %d members, %lld points; %d holds released", as_of,
           tenant ? tenant : "all tenants", members, (long long)points, holds);
    al_reply_json(x, 200,
                  json_pack("{s:s,s:i,s:I,s:i,s:i}", "as_of", as_of, "members", members, "points",
                            (json_int_t)points, "holds_released", holds, "tiers_changed", tiers));
done:
    json_decref(body);
}
