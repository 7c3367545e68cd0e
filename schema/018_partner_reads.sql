-- Partners read their own transactions and redemptions as paged lists (issue 16):
-- in booking order, all or one member's.
ALTER TABLE transactions
  ADD KEY transactions_partner (tenant_id, partner_id, booking_id),
  ADD KEY transactions_partner_member (tenant_id, partner_id, member_id, booking_id);
-- Redemptions get an order of their own (a hold has no booking yet).
ALTER TABLE redemptions
  ADD COLUMN seq BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
  ADD UNIQUE KEY redemptions_seq (seq),
  ADD KEY redemptions_partner (tenant_id, partner_id, seq),
  ADD KEY redemptions_partner_member (tenant_id, partner_id, member_id, seq);
