-- Program rules as data: one JSON document per tenant, every version kept.
-- tenants.rules_version names the live one (0: none, the defaults apply).
ALTER TABLE tenants ADD COLUMN rules_version INT NOT NULL DEFAULT 0;

CREATE TABLE rules_versions (
  tenant_id  VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  version    INT NOT NULL,
  document   MEDIUMTEXT NOT NULL,
  created_by VARCHAR(80) CHARACTER SET ascii NOT NULL,
  created_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  PRIMARY KEY (tenant_id, version)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- Tiers: the member's tier, its history, and the qualifying points of each
-- transaction (the plugin's qualifying lines) for the rolling window.
ALTER TABLE members ADD COLUMN tier VARCHAR(32) CHARACTER SET ascii NOT NULL DEFAULT 'normal';
ALTER TABLE transactions ADD COLUMN qualifying_points BIGINT NOT NULL DEFAULT 0,
  ADD KEY transactions_member_time (tenant_id, member_id, occurred_at);

CREATE TABLE tier_history (
  tenant_id  VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  member_id  VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  changed_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  from_tier  VARCHAR(32) CHARACTER SET ascii NOT NULL,
  to_tier    VARCHAR(32) CHARACTER SET ascii NOT NULL,
  reason     VARCHAR(64) CHARACTER SET ascii NOT NULL,
  rules_version INT NOT NULL,
  KEY tier_history_member (tenant_id, member_id, changed_at)
) ENGINE=InnoDB;
