/*
 * The member's own app. A partner (at its till, in its app) or an admin mints
 * a short-lived token for one member: POST /v1/members/{id}/tokens
 * {"ttl_seconds"?}; DELETE /v1/member-tokens/{id} revokes one. With the token
 * (Authorization: Bearer mt_...), the app reads that member's balance, tier
 * and the points missing for the next one, the points expiring soon
 * and its referral code (GET /v1/me), and the history with each booking's breakdown
 * (GET /v1/me/history). A token reaches its member only: the member comes
 * from the token, never from the request.
 */
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "api/audit.h"
#include "api/context.h"
#include "api/lookups.h"
#include "api/members.h"
#include "api/routes.h"
#include "api/statuses.h"
#include "auth/member_tokens.h"
#include "ledger/members.h"
#include "ledger/referrals.h"

/* Who minted: "partner:<id>" or the admin's "admin:<key id>". */
static void minted_by(const al_exchange *x, char out[80])
{
    if (x->role == AL_ROLE_PARTNER)
        snprintf(out, 80, "partner:%s", x->partner);
    else
        snprintf(out, 80, "admin:%s", x->key_ref);
}

void al_api_member_token_create(al_exchange *x)
{
    static const char *const fields[] = {"ttl_seconds", NULL};
    const char *member = x->params[0];
    json_t *body = NULL;
    if (al_body_object(x, &body) != 0)
        return;
    json_t *ttl = json_object_get(body, "ttl_seconds");
    if (al_body_only(x, body, fields) != 0)
        goto done;
    if (ttl != NULL && (!json_is_integer(ttl) || json_integer_value(ttl) < 60 ||
                        json_integer_value(ttl) > AL_MEMBER_TOKEN_TTL_MAX)) {
        al_reply_error(x, 400, "invalid_field", "ttl_seconds must be an integer from 60 to %d",
                       AL_MEMBER_TOKEN_TTL_MAX);
        goto done;
    }
    const al_keys *keys = al_ctx_of(x)->keys;
    if (!keys->has_master_key) {
        al_reply_error(x, 503, "master_key_missing",
                       "the server has no master_key (ALLIANCE_MASTER_KEY) to sign tokens with");
        goto done;
    }
    int64_t available = 0, held = 0;
    bool found = false;
    al_db_status st = al_member_balance(al_db_of(x), x->tenant, member, &available, &held, &found);
    if (!al_member_found(x, st, found))
        goto done;
    char token[AL_MEMBER_TOKEN_LEN + 1], by[80], expires[AL_RFC3339_MAX];
    al_member_token t;
    minted_by(x, by);
    st = al_member_token_new(al_db_of(x), keys->master_key, x->tenant, member,
                             ttl ? json_integer_value(ttl) : AL_MEMBER_TOKEN_TTL_DEFAULT, by, token,
                             &t);
    if (st != AL_DB_OK) {
        al_reply_db_failure(x, st);
        goto done;
    }
    al_unix_to_rfc3339(t.expires_at, expires);
    if (al_role_is_admin(x->role))
        al_api_audit(x, x->tenant, "member.token.create", member, NULL,
                     json_pack("{s:s,s:s}", "token_id", t.id, "expires_at", expires));
    al_reply_json(x, 201,
                  json_pack("{s:s,s:s,s:s,s:s}", "token", token, "token_id", t.id, "member", member,
                            "expires_at", expires));
done:
    json_decref(body);
}

void al_api_member_token_revoke(al_exchange *x)
{
    bool found = false;
    al_db_status st = al_member_token_revoke(al_db_of(x), x->tenant, x->params[0], &found);
    if (st != AL_DB_OK)
        al_reply_db_failure(x, st);
    else if (!found)
        al_reply_error(x, 404, "not_found", "no member token %s", x->params[0]);
    else
        al_reply_json(x, 200, json_pack("{s:s,s:b}", "token_id", x->params[0], "revoked", 1));
}

/* The next tier above the member's: its name, threshold and the points still missing. */
static json_t *next_tier_json(const al_rules *r, const char *tier, int64_t qualifying)
{
    size_t at = al_rules_tier_index(r, tier);
    if (at + 1 >= r->ntiers)
        return json_null(); /* the top already */
    const al_tier *next = &r->tiers[at + 1];
    int64_t missing = next->threshold > qualifying ? next->threshold - qualifying : 0;
    return json_pack("{s:s,s:I,s:I}", "tier", next->name, "threshold", (json_int_t)next->threshold,
                     "points_missing", (json_int_t)missing);
}

void al_api_me(al_exchange *x)
{
    al_member m;
    bool found = false;
    al_db_status st = al_member_get(al_db_of(x), x->tenant, x->member, &m, &found);
    if (!al_member_found(x, st, found)) {
        al_member_clear(&m);
        return;
    }
    al_rules *rules = al_tenant_rules(x, NULL);
    if (rules == NULL) {
        al_member_clear(&m);
        return;
    }
    int64_t qualifying = 0;
    al_expiry exp[AL_NEXT_EXPIRIES];
    size_t nexp = 0;
    st = al_member_qualifying_points(al_db_of(x), x->tenant, x->member, rules->window_months,
                                     &qualifying);
    if (st == AL_DB_OK)
        st = al_member_next_expiries(al_db_of(x), x->tenant, x->member, exp, &nexp);
    char code[AL_REFERRAL_CODE_LEN + 1] = "";
    bool found_code = false;
    if (st == AL_DB_OK)
        st = al_referral_code(al_db_of(x), x->tenant, x->member, code, &found_code);
    if (st != AL_DB_OK) {
        al_rules_drop(rules);
        al_member_clear(&m);
        al_reply_db_failure(x, st);
        return;
    }
    json_t *expiring = json_array();
    for (size_t i = 0; i < nexp; i++)
        json_array_append_new(expiring, json_pack("{s:I,s:s}", "points", (json_int_t)exp[i].points,
                                                  "expires_at", exp[i].expires_at));
    json_t *me = json_pack("{s:s,s:s,s:{s:I,s:I,s:I},s:s,s:I,s:o,s:o}", "member", x->member,
                           "status", m.status, "balance", "available", (json_int_t)m.available,
                           "held", (json_int_t)m.held, "debt", (json_int_t)m.debt, "tier", m.tier,
                           "qualifying_points", (json_int_t)qualifying, "next_tier",
                           next_tier_json(rules, m.tier, qualifying), "expiring", expiring);
    json_object_set_new(me, "referral_code", json_string(code));
    al_rules_drop(rules);
    al_member_clear(&m);
    al_reply_json(x, 200, me);
}

void al_api_me_history(al_exchange *x)
{
    al_reply_member_history(x, x->member);
}
