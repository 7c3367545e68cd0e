/* Caller authentication over HTTP; see credentials.h. */
#include "api/credentials.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <event2/buffer.h>

#include "api/context.h"
#include "api/statuses.h"
#include "auth/admin_keys.h"
#include "auth/auth.h"
#include "auth/member_tokens.h"
#include "auth/sessions.h"
#include "core/ids.h"
#include "tenants/directory.h"

/* 429 with Retry-After when key has sent more than its rate; 0 when it may go on. */
static int within_rate(al_exchange *x, const char *kind, const char *key, al_rate rate)
{
    char bucket[64];
    int64_t retry_s = 0;
    snprintf(bucket, sizeof(bucket), "%s:%s", kind, key);
    if (al_rate_take(bucket, rate, al_monotonic_ms() * 1000, &retry_s))
        return 0;
    char after[24];
    snprintf(after, sizeof(after), "%lld", (long long)(retry_s > 0 ? retry_s : 1));
    evhttp_add_header(evhttp_request_get_output_headers(x->req), "Retry-After", after);
    al_reply_error(x, 429, "rate_limited",
                   "this key may send %d requests a second (burst %d); try again in %s s",
                   rate.per_second, rate.burst > 0 ? rate.burst : rate.per_second, after);
    return -1;
}

/* The token of "Authorization: Bearer <token>", or NULL. */
static const char *bearer(const al_exchange *x)
{
    const char *h = al_header(x, "Authorization");
    if (h == NULL || strncasecmp(h, "Bearer ", 7) != 0)
        return NULL;
    h += 7;
    while (*h == ' ')
        h++;
    return *h ? h : NULL;
}

/* A credential looked up on one cluster: its status and whether it was there. */
typedef al_db_status (*cluster_find)(al_db *db, void *ctx, bool *found);

/*
 * Asks each cluster in turn (the credential lives with its tenant, whose
 * cluster is not known yet): 1 and *cluster where it was found, 0 when no
 * cluster has it, -1 after replying 503 when a cluster that failed may have.
 */
static int find_on_clusters(al_exchange *x, cluster_find find, void *ctx, int *cluster)
{
    al_db_set *dbs = &al_ctx_of(x)->dbs;
    al_db_status failed = AL_DB_OK;
    for (int k = 0; k < dbs->n; k++) {
        bool found = false;
        al_db_status st = find(&dbs->db[k], ctx, &found);
        if (st != AL_DB_OK)
            failed = st;
        else if (found) {
            *cluster = k;
            return 1;
        }
    }
    if (failed != AL_DB_OK) {
        al_reply_db_failure(x, failed);
        return -1;
    }
    return 0;
}

static int partner_signature(al_exchange *x, const char *key_id)
{
    const char *ts = al_header(x, "X-Alliance-Timestamp");
    const char *sig = al_header(x, "X-Alliance-Signature");
    if (ts == NULL || sig == NULL) {
        al_reply_error(x, 401, "missing_signature",
                       "X-Alliance-Key, X-Alliance-Timestamp and X-Alliance-Signature go together");
        return -1;
    }
    if (!al_timestamp_fresh(ts, time(NULL))) {
        al_reply_error(
            x, 401, "stale_timestamp",
            "X-Alliance-Timestamp must be Unix seconds within %d s of the server's clock",
            AL_MAX_CLOCK_SKEW_S);
        return -1;
    }
    al_ctx *ctx = al_ctx_of(x);
    const al_keys *keys = ctx->keys;
    al_partner_key key;
    al_key_state state = AL_KEY_UNKNOWN;
    al_db_status failed = AL_DB_OK;
    int found_in = 0;
    /* The key's cluster is not known before it is found: each is asked in turn. */
    for (int k = 0; k < ctx->dbs.n && state == AL_KEY_UNKNOWN; k++) {
        al_db_status st = al_partner_key_cached(&ctx->key_cache, &ctx->dbs.db[k],
                                                keys->has_master_key ? keys->master_key : NULL,
                                                key_id, &key, &state);
        if (st != AL_DB_OK) {
            failed = st;
            state = AL_KEY_UNKNOWN;
        }
        found_in = k;
    }
    if (state == AL_KEY_UNKNOWN && failed != AL_DB_OK) { /* it may be on the cluster that failed */
        al_reply_db_failure(x, failed);
        return -1;
    }
    if (state == AL_KEY_UNKNOWN) {
        al_reply_error(x, 401, "unknown_key", "no such partner key, or it has expired");
        return -1;
    }
    if (state == AL_KEY_UNREADABLE) {
        al_reply_error(x, 500, "internal_error", "the partner's secret cannot be read");
        return -1;
    }
    struct evbuffer *in = evhttp_request_get_input_buffer(x->req);
    size_t len = evbuffer_get_length(in);
    char expected[65];
    int rc = al_request_signature(key.secret, x->method, evhttp_request_get_uri(x->req), ts,
                                  len ? evbuffer_pullup(in, -1) : NULL, len, expected);
    al_partner_key_wipe(&key);
    if (rc != 0) {
        al_reply_error(x, 500, "internal_error", "out of memory");
        return -1;
    }
    if (!al_signature_matches(sig, expected)) {
        al_reply_error(x, 401, "invalid_signature", "the signature does not match the request");
        return -1;
    }
    /* Told only to the partner itself, once its signature holds. */
    if (key.suspended) {
        al_reply_error(x, 403, "partner_suspended",
                       "partner %s is suspended; its members' points are untouched", key.partner);
        return -1;
    }
    if (within_rate(x, "partner", key_id, key.rate) != 0)
        return -1;
    x->role = AL_ROLE_PARTNER;
    snprintf(x->tenant, sizeof(x->tenant), "%s", key.tenant);
    /* A key kept in memory was found on the first cluster asked: the directory says which. */
    if (al_directory_lookup(al_db_main(x), x->tenant, &x->cluster) != AL_DB_OK)
        x->cluster = found_in;
    snprintf(x->partner, sizeof(x->partner), "%s", key.partner);
    x->setup_version = key.setup_version;
    x->setup_read_us = al_realtime_us();
    return 0;
}

al_role al_role_named(const char *name)
{
    static const struct {
        const char *name;
        al_role role;
    } roles[] = {{"owner", AL_ROLE_OWNER},
                 {"finance", AL_ROLE_FINANCE},
                 {"program", AL_ROLE_PROGRAM},
                 {"viewer", AL_ROLE_VIEWER}};
    for (size_t i = 0; i < sizeof(roles) / sizeof(roles[0]); i++)
        if (strcmp(name, roles[i].name) == 0)
            return roles[i].role;
    return AL_ROLE_NONE;
}

void al_act_as_admin(al_exchange *x, const al_admin *a, int cluster)
{
    snprintf(x->tenant, sizeof(x->tenant), "%s", a->tenant);
    snprintf(x->key_ref, sizeof(x->key_ref), "%s", a->key_ref);
    x->cluster = cluster;
    x->role = al_role_named(a->role);
}

/* x is the admin a (al_act_as_admin) within its rate; 0, or -1 after a 429. */
static int become_admin(al_exchange *x, const al_admin *a, int cluster)
{
    if (within_rate(x, "admin", a->key_ref, a->rate) != 0)
        return -1;
    al_act_as_admin(x, a, cluster);
    return 0;
}

typedef struct admin_lookup {
    const char *token;
    al_admin *out;
} admin_lookup;

static al_db_status admin_on(al_db *db, void *ctx, bool *found)
{
    admin_lookup *l = ctx;
    return al_admin_key_find(db, l->token, l->out, found);
}

int al_admin_find(al_exchange *x, const char *token, al_admin *out, int *cluster)
{
    admin_lookup l = {.token = token, .out = out};
    return find_on_clusters(x, admin_on, &l, cluster);
}

bool al_session_token(const al_exchange *x, char token[AL_SESSION_TOKEN_LEN + 1])
{
    static const char name[] = AL_SESSION_COOKIE "=";
    const char *h = al_header(x, "Cookie");
    while (h != NULL && *h != '\0') {
        while (*h == ' ' || *h == ';')
            h++;
        if (strncmp(h, name, sizeof(name) - 1) == 0) {
            h += sizeof(name) - 1;
            size_t len = strcspn(h, "; ");
            if (len != AL_SESSION_TOKEN_LEN)
                return false;
            memcpy(token, h, len);
            token[len] = '\0';
            return true;
        }
        h = strchr(h, ';');
    }
    return false;
}

/*
 * The console's session cookie: the admin who signed in, while the session
 * lives. A change (any method but GET) must repeat the session's CSRF token
 * in X-CSRF-Token. 0 (x is that admin), 1 (no session), or -1 after replying.
 */
typedef struct session_lookup {
    const char *token;
    int64_t lifetime_s;
    al_session *out;
} session_lookup;

static al_db_status session_on(al_db *db, void *ctx, bool *found)
{
    session_lookup *l = ctx;
    return al_session_find(db, l->token, l->lifetime_s, l->out, found);
}

static int console_session(al_exchange *x, const char *token)
{
    al_session s = {0};
    session_lookup l = {
        .token = token, .lifetime_s = al_ctx_of(x)->cfg->console_session_s, .out = &s};
    int k = 0, rc = find_on_clusters(x, session_on, &l, &k);
    if (rc <= 0)
        return rc < 0 ? -1 : 1;
    if (strcmp(x->method, "GET") != 0) {
        const char *csrf = al_header(x, "X-CSRF-Token");
        if (csrf == NULL || !al_secret_equal(csrf, s.csrf)) {
            al_reply_error(x, 403, "csrf_token_mismatch",
                           "a change made in a console session must carry its X-CSRF-Token");
            return -1;
        }
    }
    return become_admin(x, &s.admin, k);
}

/* A member's token: x is that member's app; 0, or -1 after replying (a 503, a 429). */
typedef struct member_lookup {
    const uint8_t *master_key;
    const char *token;
    al_member_token *out;
} member_lookup;

static al_db_status member_on(al_db *db, void *ctx, bool *found)
{
    member_lookup *l = ctx;
    return al_member_token_find(db, l->master_key, l->token, l->out, found);
}

static int member_token(al_exchange *x, const char *token)
{
    const al_keys *keys = al_ctx_of(x)->keys;
    if (!keys->has_master_key)
        return 0; /* no token was ever minted: it is not valid */
    al_member_token t = {0};
    member_lookup l = {.master_key = keys->master_key, .token = token, .out = &t};
    int rc = find_on_clusters(x, member_on, &l, &x->cluster);
    if (rc <= 0)
        return rc;
    if (within_rate(x, "member", t.id, t.rate) != 0)
        return -1;
    x->role = AL_ROLE_MEMBER;
    snprintf(x->tenant, sizeof(x->tenant), "%s", t.tenant);
    snprintf(x->member, sizeof(x->member), "%s", t.member);
    return 0;
}

int al_authenticate(al_exchange *x, unsigned roles)
{
    const char *key_id = al_header(x, "X-Alliance-Key");
    if (key_id != NULL) {
        if (partner_signature(x, key_id) != 0)
            return -1;
        if ((roles & AL_ROLE_PARTNER) == 0) {
            al_reply_error(x, 403, "forbidden", "partner keys may not do this");
            return -1;
        }
        return 0;
    }
    const char *token = bearer(x);
    char cookie[AL_SESSION_TOKEN_LEN + 1];
    bool has_cookie = token == NULL && al_session_token(x, cookie);
    if (token == NULL && !has_cookie) {
        al_reply_error(x, 401, "unauthorized", "credentials are required");
        return -1;
    }
    const char *op = al_ctx_of(x)->cfg->operator_token;
    if (has_cookie) {
        int rc = console_session(x, cookie);
        if (rc < 0)
            return -1;
        if (rc > 0) {
            al_reply_error(x, 401, "session_expired",
                           "the console session has ended; sign in again");
            return -1;
        }
    } else if (op[0] != '\0' && al_secret_equal(token, op)) {
        x->role = AL_ROLE_OPERATOR;
    } else if (al_member_token_shaped(token)) {
        if (member_token(x, token) != 0)
            return -1;
    } else if (al_admin_key_shaped(token)) {
        al_admin a;
        int k = 0, rc = al_admin_find(x, token, &a, &k);
        if (rc < 0 || (rc > 0 && become_admin(x, &a, k) != 0))
            return -1;
    }
    if (x->role == AL_ROLE_NONE) {
        al_reply_error(x, 401, "unauthorized", "the credentials are not valid");
        return -1;
    }
    if ((x->role & roles) == 0) {
        al_reply_error(x, 403, "forbidden", "these credentials may not do this");
        return -1;
    }
    return 0;
}

int al_route_tenant(al_exchange *x, const char *tenant)
{
    if (x->role != AL_ROLE_OPERATOR)
        return 0; /* a tenant's own credentials found its cluster */
    al_db_status st = al_directory_lookup(al_db_main(x), tenant, &x->cluster);
    if (st != AL_DB_OK) {
        al_reply_db_failure(x, st);
        return -1;
    }
    return 0;
}
