/* The route table of HTTP API v1: every endpoint, its roles and handler. */
#ifndef AL_ROUTES_H
#define AL_ROUTES_H

#include <stdbool.h>
#include <stddef.h>

#include "db/db.h"
#include "http/router.h"

extern const al_route al_routes[];
extern const size_t al_nroutes;

/* Handlers, one file a resource. */
void al_api_healthz(al_exchange *x);
void al_api_readyz(al_exchange *x);
void al_api_tenant_create(al_exchange *x);
void al_api_tenant_get(al_exchange *x);
void al_api_tenant_patch(al_exchange *x);
void al_api_plugins_list(al_exchange *x);
void al_api_plugins_reload(al_exchange *x);
void al_api_partner_create(al_exchange *x);
void al_api_partner_list(al_exchange *x);
void al_api_partner_get(al_exchange *x);
void al_api_partner_patch(al_exchange *x);
void al_api_partner_rotate_key(al_exchange *x);
void al_api_transaction_simulate(al_exchange *x);
void al_api_transaction_create(al_exchange *x);
void al_api_transaction_batch(al_exchange *x);
void al_api_transaction_reverse(al_exchange *x);
void al_api_redemption_create(al_exchange *x);
void al_api_redemption_capture(al_exchange *x);
void al_api_redemption_void(al_exchange *x);
void al_api_member_create(al_exchange *x);
void al_api_member_get(al_exchange *x);
void al_api_member_history(al_exchange *x);
void al_api_member_balance(al_exchange *x);
void al_api_member_tier_floor(al_exchange *x);
void al_api_trial_balance(al_exchange *x);
void al_api_ledger_expire(al_exchange *x);
void al_api_event_create(al_exchange *x);
void al_api_rules_put(al_exchange *x);
void al_api_import_transactions(al_exchange *x);
void al_api_analytics_rfm(al_exchange *x);
void al_api_analytics_pareto(al_exchange *x);
void al_api_analytics_clv(al_exchange *x);
void al_api_analytics_churn(al_exchange *x);
void al_api_analytics_lifecycle(al_exchange *x);
void al_api_analytics_affinity(al_exchange *x);
void al_api_settlement_create(al_exchange *x);
void al_api_settlement_get(al_exchange *x);
void al_api_settlement_csv(al_exchange *x);
void al_api_settlement_close(al_exchange *x);
void al_api_settlement_public_key(al_exchange *x);
void al_api_rules_simulate(al_exchange *x);
void al_api_rules_get(al_exchange *x);
void al_api_rules_versions(al_exchange *x);
void al_api_rules_version(al_exchange *x);

/*
 * The tenant's compiled rules of version (0: the defaults), from the worker's
 * cache, with a reference for the caller (al_rules_drop); NULL after replying.
 */
struct al_rules;
struct al_rules *al_rules_for(al_exchange *x, int version);

/* A tenant's ledger settings (tenants row). */
typedef struct al_tenant_settings {
    bool auto_enrol;
    int expiry_months;
    int rules_version;
} al_tenant_settings;

/* Reads the caller's tenant's settings; 0, or -1 after replying. */
int al_tenant_settings_load(al_exchange *x, al_tenant_settings *out);

/* The caller's tenant's live rules (a reference) and, if asked, settings; NULL after replying. */
struct al_rules *al_tenant_rules(al_exchange *x, al_tenant_settings *settings);
struct al_rules_cache;
void al_rules_cache_free(struct al_rules_cache *cache);

/*
 * Releases lapsed holds and books what expires at as_of (a DATETIME), for one
 * tenant or all (NULL); 0 or -1.
 */
int al_expire_now(al_db *db, const char *tenant, const char *as_of, int *holds, int *members,
                  int64_t *points, int *tiers);

#endif
