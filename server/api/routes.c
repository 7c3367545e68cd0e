/* The route table; see routes.h. Read this file to see the whole API. */
#include "api/routes.h"

#define OP AL_ROLE_OPERATOR
#define ADMIN AL_ROLE_ADMIN
#define PARTNER AL_ROLE_PARTNER

const al_route al_routes[] = {
    {"GET", "/healthz", 0, al_api_healthz},
    {"GET", "/readyz", 0, al_api_readyz},
    {"POST", "/v1/tenants", OP, al_api_tenant_create},
    {"GET", "/v1/tenants/{id}", OP | ADMIN, al_api_tenant_get},
    {"PATCH", "/v1/tenants/{id}", OP | ADMIN, al_api_tenant_patch},
    {"GET", "/v1/plugins", OP | ADMIN, al_api_plugins_list},
    {"POST", "/v1/admin/plugins/reload", OP, al_api_plugins_reload},
    {"POST", "/v1/partners", ADMIN, al_api_partner_create},
    {"GET", "/v1/partners", ADMIN, al_api_partner_list},
    {"GET", "/v1/partners/{id}", ADMIN, al_api_partner_get},
    {"PATCH", "/v1/partners/{id}", ADMIN, al_api_partner_patch},
    {"POST", "/v1/partners/{id}/keys", ADMIN, al_api_partner_rotate_key},
    {"POST", "/v1/members", ADMIN, al_api_member_create},
    {"GET", "/v1/members/{id}", ADMIN, al_api_member_get},
    {"GET", "/v1/members/{id}/history", ADMIN, al_api_member_history},
    {"GET", "/v1/members/{id}/balance", PARTNER, al_api_member_balance},
    {"PUT", "/v1/members/{id}/tier", ADMIN, al_api_member_tier_floor},
    {"GET", "/v1/ledger/trial-balance", ADMIN, al_api_trial_balance},
    {"POST", "/v1/import/transactions", ADMIN, al_api_import_transactions},
    {"GET", "/v1/analytics/rfm", ADMIN, al_api_analytics_rfm},
    {"GET", "/v1/analytics/pareto", ADMIN, al_api_analytics_pareto},
    {"GET", "/v1/analytics/clv", ADMIN, al_api_analytics_clv},
    {"GET", "/v1/analytics/churn", ADMIN, al_api_analytics_churn},
    {"GET", "/v1/analytics/lifecycle", ADMIN, al_api_analytics_lifecycle},
    {"GET", "/v1/analytics/affinity", ADMIN, al_api_analytics_affinity},
    {"POST", "/v1/settlements", ADMIN, al_api_settlement_create},
    {"GET", "/v1/settlements/public-key", OP | ADMIN | PARTNER, al_api_settlement_public_key},
    {"GET", "/v1/settlements/{id}", ADMIN, al_api_settlement_get},
    {"GET", "/v1/settlements/{id}/statement.csv", ADMIN, al_api_settlement_csv},
    {"POST", "/v1/settlements/{id}/close", ADMIN, al_api_settlement_close},
    {"PUT", "/v1/rules", ADMIN, al_api_rules_put},
    {"POST", "/v1/rules:simulate", ADMIN, al_api_rules_simulate},
    {"GET", "/v1/rules", ADMIN, al_api_rules_get},
    {"GET", "/v1/rules/versions", ADMIN, al_api_rules_versions},
    {"GET", "/v1/rules/versions/{n}", ADMIN, al_api_rules_version},
    {"POST", "/v1/ledger/expire", OP, al_api_ledger_expire},
    {"POST", "/v1/transactions", PARTNER, al_api_transaction_create},
    {"POST", "/v1/transactions:simulate", PARTNER, al_api_transaction_simulate},
    {"POST", "/v1/transactions:batch", PARTNER, al_api_transaction_batch},
    {"POST", "/v1/transactions/{id}/reversal", PARTNER, al_api_transaction_reverse},
    {"POST", "/v1/redemptions", PARTNER, al_api_redemption_create},
    {"POST", "/v1/events", PARTNER | ADMIN, al_api_event_create},
    {"POST", "/v1/redemptions/{id}/capture", PARTNER, al_api_redemption_capture},
    {"POST", "/v1/redemptions/{id}/void", PARTNER, al_api_redemption_void},
};

const size_t al_nroutes = sizeof(al_routes) / sizeof(al_routes[0]);
