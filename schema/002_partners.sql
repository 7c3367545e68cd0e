-- Partners of an alliance: which plugin translates their transactions, its
-- config (validated by the plugin), and the money contract settlement uses.
CREATE TABLE partners (
  tenant_id             VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  partner_id            VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  name                  VARCHAR(200) NOT NULL,
  plugin                VARCHAR(32) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  config                MEDIUMTEXT NOT NULL,
  config_version        INT NOT NULL DEFAULT 1,
  currency              CHAR(3) CHARACTER SET ascii NOT NULL,
  issue_minor_per_1000  BIGINT NOT NULL,
  redeem_minor_per_1000 BIGINT NOT NULL,
  created_at            DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  updated_at            DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  PRIMARY KEY (tenant_id, partner_id),
  CONSTRAINT partners_tenant FOREIGN KEY (tenant_id) REFERENCES tenants (tenant_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- Signing keys of partners. The secret is kept encrypted (AES-256-GCM under
-- the server's master key, bound to tenant and key id); a rotated key keeps
-- working until expires_at.
CREATE TABLE partner_keys (
  key_id      VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  tenant_id   VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  partner_id  VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  secret_enc  VARBINARY(255) NOT NULL,
  created_at  DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  expires_at  DATETIME(6) NULL,
  PRIMARY KEY (key_id),
  KEY partner_keys_partner (tenant_id, partner_id),
  CONSTRAINT partner_keys_partner FOREIGN KEY (tenant_id, partner_id)
    REFERENCES partners (tenant_id, partner_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
