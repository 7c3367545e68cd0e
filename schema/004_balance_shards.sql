-- A busy partner's balance is one row that every booking of it would update:
-- concurrent bookings would queue on its lock until each COMMIT. Partner and
-- alliance accounts are spread over shards chosen by member; an account's
-- balance is the sum of its shards. Member accounts keep shard 0 (the member
-- row is locked by its bookings anyway).
ALTER TABLE account_balances
  ADD COLUMN shard SMALLINT NOT NULL DEFAULT 0 AFTER account,
  DROP PRIMARY KEY,
  ADD PRIMARY KEY (tenant_id, account, shard);
