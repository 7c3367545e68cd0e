-- Tenants: one row per alliance. The admin key is shown once at creation;
-- only its SHA-256 is kept, unique so a key names exactly one tenant.
CREATE TABLE tenants (
  tenant_id      VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  name           VARCHAR(200) NOT NULL,
  admin_key_hash CHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  created_at     DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  PRIMARY KEY (tenant_id),
  UNIQUE KEY tenants_admin_key (admin_key_hash)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
