/*
 * The console's sign-in (api/credentials.c reads the cookie on every call):
 * POST /v1/console/session {"key"} trades an admin key for a session in an
 * HttpOnly, SameSite=Strict cookie and answers the session's CSRF token;
 * GET /v1/console/session answers who is signed in (and the token again,
 * for a reloaded page); DELETE signs out. The key itself never stays in the
 * browser.
 */
#include <stdio.h>
#include <string.h>

#include <event2/http.h>
#include <jansson.h>

#include "api/audit.h"
#include "api/context.h"
#include "api/credentials.h"
#include "api/routes.h"
#include "api/statuses.h"
#include "auth/sessions.h"

/* Sets (or, with token NULL, clears) the session cookie. */
static void set_cookie(al_exchange *x, const char *token, int64_t max_age)
{
    char cookie[160];
    bool tls = al_ctx_of(x)->cfg->tls_cert != NULL && al_ctx_of(x)->cfg->tls_cert[0] != '\0';
    snprintf(cookie, sizeof(cookie), "%s=%s; Path=/; Max-Age=%lld; HttpOnly; SameSite=Strict%s",
             AL_SESSION_COOKIE, token ? token : "", (long long)max_age, tls ? "; Secure" : "");
    evhttp_add_header(evhttp_request_get_output_headers(x->req), "Set-Cookie", cookie);
}

static json_t *session_json(const al_session *s)
{
    return json_pack("{s:s,s:s,s:s,s:s,s:I}", "tenant", s->admin.tenant, "role", s->admin.role,
                     "key_id", s->admin.key_ref, "csrf_token", s->csrf, "expires_in",
                     (json_int_t)s->expires_in);
}

void al_api_session_create(al_exchange *x)
{
    static const char *const fields[] = {"key", NULL};
    json_t *body = NULL;
    const char *key;
    if (al_body_object(x, &body) != 0)
        return;
    if (al_body_only(x, body, fields) != 0 || al_body_string(x, body, "key", 128, &key) != 0)
        goto done;
    al_admin a;
    int k = 0, found = al_admin_key_shaped(key) ? al_admin_find(x, key, &a, &k) : 0;
    if (found < 0)
        goto done;
    if (found == 0) {
        al_reply_error(x, 401, "unauthorized", "no such admin key");
        goto done;
    }
    al_act_as_admin(x, &a, k);
    char token[AL_SESSION_TOKEN_LEN + 1];
    al_session s;
    int64_t lifetime = al_ctx_of(x)->cfg->console_session_s;
    al_db_status st = al_session_start(al_db_of(x), &a, lifetime, token, &s);
    if (st != AL_DB_OK) {
        al_reply_db_failure(x, st);
        goto done;
    }
    al_api_audit(x, x->tenant, "console.sign_in", a.key_ref, NULL,
                 json_pack("{s:s}", "role", a.role));
    set_cookie(x, token, lifetime);
    al_reply_json(x, 201, session_json(&s));
done:
    json_decref(body);
}

/* The session of the request's cookie; -1 after replying when there is none. */
static int cookie_session(al_exchange *x, char token[AL_SESSION_TOKEN_LEN + 1], al_session *s)
{
    bool found = false;
    if (al_session_token(x, token)) {
        al_db_status st =
            al_session_find(al_db_of(x), token, al_ctx_of(x)->cfg->console_session_s, s, &found);
        if (st != AL_DB_OK) {
            al_reply_db_failure(x, st);
            return -1;
        }
    }
    if (!found) {
        al_reply_error(x, 401, "session_expired", "no console session; sign in");
        return -1;
    }
    return 0;
}

void al_api_session_get(al_exchange *x)
{
    char token[AL_SESSION_TOKEN_LEN + 1];
    al_session s;
    if (cookie_session(x, token, &s) == 0)
        al_reply_json(x, 200, session_json(&s));
}

void al_api_session_delete(al_exchange *x)
{
    char token[AL_SESSION_TOKEN_LEN + 1];
    al_session s;
    if (cookie_session(x, token, &s) != 0)
        return;
    al_db_status st = al_session_end(al_db_of(x), token);
    if (st != AL_DB_OK) {
        al_reply_db_failure(x, st);
        return;
    }
    al_api_audit(x, x->tenant, "console.sign_out", x->key_ref, NULL, NULL);
    set_cookie(x, NULL, 0);
    al_reply_json(x, 200, json_pack("{s:b}", "signed_out", 1));
}
