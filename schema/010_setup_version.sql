-- What servers keep in memory about a tenant (partner keys, partners and
-- their plugin configs, settings, the live rules version) is good while this
-- number is what it was read at. Every change to those moves it, in the same
-- transaction, and stamps when. A booking made with what a server kept
-- checks at commit that no change came before its request did.
ALTER TABLE tenants
  ADD COLUMN setup_version BIGINT NOT NULL DEFAULT 1,
  ADD COLUMN setup_changed_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6);
