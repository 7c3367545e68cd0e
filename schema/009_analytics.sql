-- Analytics reads each member's purchases in time order, streaming the whole
-- tenant: a covering index, so the scan never visits the table's rows. It also
-- serves the tier window (a member's qualifying points since a date).
ALTER TABLE transactions
  ADD KEY transactions_member (tenant_id, member_id, occurred_at, base_amount_minor,
                               reversed_minor, points);
