/* The route table of HTTP API v1: every endpoint, its roles and handler. */
#ifndef AL_ROUTES_H
#define AL_ROUTES_H

#include <stddef.h>

#include "http/router.h"

extern const al_route al_routes[];
extern const size_t al_nroutes;

/* Handlers, one file a resource. */
void al_api_healthz(al_exchange *x);
void al_api_openapi(al_exchange *x);
void al_api_readyz(al_exchange *x);
void al_api_console_file(al_exchange *x);
void al_api_session_create(al_exchange *x);
void al_api_session_get(al_exchange *x);
void al_api_session_delete(al_exchange *x);
void al_api_admin_key_create(al_exchange *x);
void al_api_admin_key_list(al_exchange *x);
void al_api_admin_key_revoke(al_exchange *x);
void al_api_analytics_overview(al_exchange *x);
void al_api_metrics(al_exchange *x);
void al_api_tenant_create(al_exchange *x);
void al_api_tenant_get(al_exchange *x);
void al_api_tenant_list(al_exchange *x);
void al_api_tenant_patch(al_exchange *x);
void al_api_audit_list(al_exchange *x);
void al_api_audit_verify(al_exchange *x);
void al_api_tenant_admin_key(al_exchange *x);
void al_api_plugins_list(al_exchange *x);
void al_api_plugins_reload(al_exchange *x);
void al_api_partner_create(al_exchange *x);
void al_api_partner_list(al_exchange *x);
void al_api_partner_get(al_exchange *x);
void al_api_partner_patch(al_exchange *x);
void al_api_partner_rotate_key(al_exchange *x);
void al_api_partner_keys(al_exchange *x);
void al_api_partner_contracts(al_exchange *x);
void al_api_partner_key_revoke(al_exchange *x);
void al_api_partner_suspend(al_exchange *x);
void al_api_partner_resume(al_exchange *x);
void al_api_transaction_simulate(al_exchange *x);
void al_api_transaction_create(al_exchange *x);
void al_api_transaction_get(al_exchange *x);
void al_api_transaction_list(al_exchange *x);
void al_api_redemption_get(al_exchange *x);
void al_api_redemption_list(al_exchange *x);
void al_api_transaction_batch(al_exchange *x);
void al_api_transaction_reverse(al_exchange *x);
void al_api_redemption_create(al_exchange *x);
void al_api_redemption_capture(al_exchange *x);
void al_api_redemption_void(al_exchange *x);
void al_api_member_create(al_exchange *x);
void al_api_member_get(al_exchange *x);
void al_api_member_list(al_exchange *x);
void al_api_member_history(al_exchange *x);
void al_api_member_balance(al_exchange *x);
void al_api_member_token_create(al_exchange *x);
void al_api_member_token_revoke(al_exchange *x);
void al_api_me(al_exchange *x);
void al_api_me_history(al_exchange *x);
void al_api_me_catalogue(al_exchange *x);
void al_api_me_redeem(al_exchange *x);
void al_api_me_vouchers(al_exchange *x);
void al_api_catalogue_create(al_exchange *x);
void al_api_catalogue_list(al_exchange *x);
void al_api_catalogue_get(al_exchange *x);
void al_api_catalogue_patch(al_exchange *x);
void al_api_voucher_get(al_exchange *x);
void al_api_voucher_use(al_exchange *x);
void al_api_voucher_cancel(al_exchange *x);
void al_api_member_tier_floor(al_exchange *x);
void al_api_member_block(al_exchange *x);
void al_api_member_unblock(al_exchange *x);
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
void al_api_webhook_create(al_exchange *x);
void al_api_webhook_list(al_exchange *x);
void al_api_webhook_get(al_exchange *x);
void al_api_webhook_patch(al_exchange *x);
void al_api_webhook_delete(al_exchange *x);
void al_api_webhook_deliveries(al_exchange *x);
void al_api_webhook_delivery(al_exchange *x);
void al_api_webhook_resend(al_exchange *x);
void al_api_settlement_list(al_exchange *x);
void al_api_settlement_csv(al_exchange *x);
void al_api_settlement_close(al_exchange *x);
void al_api_settlement_public_key(al_exchange *x);
void al_api_rules_simulate(al_exchange *x);
void al_api_rules_get(al_exchange *x);
void al_api_rules_versions(al_exchange *x);
void al_api_rules_version(al_exchange *x);

#endif
