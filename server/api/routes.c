/* The route table; see routes.h. Read this file to see the whole API. */
#include "api/routes.h"

/*
 * Who may call. MEMBER is a member's app with a member token (its own data
 * only). A tenant's admin keys have roles: READ is any of them (a
 * viewer reads only), FINANCE adds settlement and imports, PROGRAM rules and
 * members, OWNER everything (partners, webhooks, keys, settings).
 */
#define OP AL_ROLE_OPERATOR
#define PARTNER AL_ROLE_PARTNER
#define MEMBER AL_ROLE_MEMBER
#define READ AL_ROLE_ADMIN
#define OWNER AL_ROLE_OWNER
#define FINANCE (AL_ROLE_OWNER | AL_ROLE_FINANCE)
#define PROGRAM (AL_ROLE_OWNER | AL_ROLE_PROGRAM)

const al_route al_routes[] = {
    {"GET", "/healthz", 0, al_api_healthz},
    {"GET", "/readyz", 0, al_api_readyz},
    {"GET", "/metrics", OP, al_api_metrics},
    {"GET", "/v1/openapi.json", 0, al_api_openapi},
    {"GET", "/console", 0, al_api_console_file},
    {"GET", "/console/", 0, al_api_console_file},
    {"GET", "/console/{file}", 0, al_api_console_file},
    {"POST", "/v1/console/session", 0, al_api_session_create},
    {"GET", "/v1/console/session", READ, al_api_session_get},
    {"DELETE", "/v1/console/session", READ, al_api_session_delete},
    {"POST", "/v1/admin-keys", OWNER, al_api_admin_key_create},
    {"GET", "/v1/admin-keys", OWNER, al_api_admin_key_list},
    {"DELETE", "/v1/admin-keys/{id}", OWNER, al_api_admin_key_revoke},
    {"POST", "/v1/tenants", OP, al_api_tenant_create},
    {"GET", "/v1/tenants", OP, al_api_tenant_list},
    {"GET", "/v1/tenants/{id}", OP | READ, al_api_tenant_get},
    {"PATCH", "/v1/tenants/{id}", OP | OWNER, al_api_tenant_patch},
    {"POST", "/v1/tenants/{id}/admin-key", OP | OWNER, al_api_tenant_admin_key},
    {"GET", "/v1/audit", OP | READ, al_api_audit_list},
    {"GET", "/v1/audit/verify", OP | READ, al_api_audit_verify},
    {"GET", "/v1/plugins", OP | READ, al_api_plugins_list},
    {"POST", "/v1/admin/plugins/reload", OP, al_api_plugins_reload},
    {"POST", "/v1/partners", OWNER, al_api_partner_create},
    {"GET", "/v1/partners", READ, al_api_partner_list},
    {"GET", "/v1/partners/{id}", READ, al_api_partner_get},
    {"PATCH", "/v1/partners/{id}", OWNER, al_api_partner_patch},
    {"POST", "/v1/partners/{id}/keys", OWNER, al_api_partner_rotate_key},
    {"GET", "/v1/partners/{id}/keys", READ, al_api_partner_keys},
    {"GET", "/v1/partners/{id}/contracts", READ, al_api_partner_contracts},
    {"DELETE", "/v1/partners/{id}/keys/{key_id}", OWNER, al_api_partner_key_revoke},
    {"POST", "/v1/partners/{id}/suspend", OWNER, al_api_partner_suspend},
    {"POST", "/v1/partners/{id}/resume", OWNER, al_api_partner_resume},
    {"POST", "/v1/members", PROGRAM, al_api_member_create},
    {"GET", "/v1/members", READ, al_api_member_list},
    {"GET", "/v1/members/{id}", READ, al_api_member_get},
    {"GET", "/v1/members/{id}/history", READ, al_api_member_history},
    {"GET", "/v1/members/{id}/balance", PARTNER, al_api_member_balance},
    {"POST", "/v1/members/{id}/tokens", PARTNER | PROGRAM, al_api_member_token_create},
    {"DELETE", "/v1/member-tokens/{id}", PARTNER | PROGRAM, al_api_member_token_revoke},
    {"GET", "/v1/me", MEMBER, al_api_me},
    {"GET", "/v1/me/history", MEMBER, al_api_me_history},
    {"PUT", "/v1/members/{id}/tier", PROGRAM, al_api_member_tier_floor},
    {"POST", "/v1/members/{id}/block", PROGRAM, al_api_member_block},
    {"POST", "/v1/members/{id}/unblock", PROGRAM, al_api_member_unblock},
    {"GET", "/v1/ledger/trial-balance", READ, al_api_trial_balance},
    {"POST", "/v1/import/transactions", FINANCE, al_api_import_transactions},
    {"GET", "/v1/analytics/overview", READ, al_api_analytics_overview},
    {"GET", "/v1/analytics/rfm", READ, al_api_analytics_rfm},
    {"GET", "/v1/analytics/pareto", READ, al_api_analytics_pareto},
    {"GET", "/v1/analytics/clv", READ, al_api_analytics_clv},
    {"GET", "/v1/analytics/churn", READ, al_api_analytics_churn},
    {"GET", "/v1/analytics/lifecycle", READ, al_api_analytics_lifecycle},
    {"GET", "/v1/analytics/affinity", READ, al_api_analytics_affinity},
    {"POST", "/v1/settlements", FINANCE, al_api_settlement_create},
    {"GET", "/v1/settlements/public-key", OP | READ | PARTNER, al_api_settlement_public_key},
    {"GET", "/v1/settlements", READ | PARTNER, al_api_settlement_list},
    {"GET", "/v1/settlements/{id}", READ | PARTNER, al_api_settlement_get},
    {"GET", "/v1/settlements/{id}/statement.csv", READ | PARTNER, al_api_settlement_csv},
    {"POST", "/v1/settlements/{id}/close", FINANCE, al_api_settlement_close},
    {"POST", "/v1/webhooks", OWNER, al_api_webhook_create},
    {"GET", "/v1/webhooks", READ, al_api_webhook_list},
    {"GET", "/v1/webhooks/{id}", READ, al_api_webhook_get},
    {"PATCH", "/v1/webhooks/{id}", OWNER, al_api_webhook_patch},
    {"DELETE", "/v1/webhooks/{id}", OWNER, al_api_webhook_delete},
    {"GET", "/v1/webhooks/{id}/deliveries", READ, al_api_webhook_deliveries},
    {"GET", "/v1/webhooks/{id}/deliveries/{delivery}", READ, al_api_webhook_delivery},
    {"POST", "/v1/webhooks/{id}/deliveries/{delivery}/resend", OWNER, al_api_webhook_resend},
    {"PUT", "/v1/rules", PROGRAM, al_api_rules_put},
    {"POST", "/v1/rules:simulate", READ, al_api_rules_simulate},
    {"GET", "/v1/rules", READ, al_api_rules_get},
    {"GET", "/v1/rules/versions", READ, al_api_rules_versions},
    {"GET", "/v1/rules/versions/{n}", READ, al_api_rules_version},
    {"POST", "/v1/ledger/expire", OP, al_api_ledger_expire},
    {"POST", "/v1/transactions", PARTNER, al_api_transaction_create},
    {"GET", "/v1/transactions", PARTNER, al_api_transaction_list},
    {"GET", "/v1/transactions/{id}", PARTNER, al_api_transaction_get},
    {"GET", "/v1/redemptions", PARTNER, al_api_redemption_list},
    {"GET", "/v1/redemptions/{id}", PARTNER, al_api_redemption_get},
    {"POST", "/v1/transactions:simulate", PARTNER, al_api_transaction_simulate},
    {"POST", "/v1/transactions:batch", PARTNER, al_api_transaction_batch},
    {"POST", "/v1/transactions/{id}/reversal", PARTNER, al_api_transaction_reverse},
    {"POST", "/v1/redemptions", PARTNER, al_api_redemption_create},
    {"POST", "/v1/events", PARTNER | PROGRAM, al_api_event_create},
    {"POST", "/v1/redemptions/{id}/capture", PARTNER, al_api_redemption_capture},
    {"POST", "/v1/redemptions/{id}/void", PARTNER, al_api_redemption_void},
};

const size_t al_nroutes = sizeof(al_routes) / sizeof(al_routes[0]);
