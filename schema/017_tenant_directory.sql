-- Tenants on several database clusters (issue 15): the directory says which
-- cluster each tenant lives on. Read on the main cluster only (a copy on the
-- others is never read). A tenant made before it lives on main.
CREATE TABLE tenant_directory (
  tenant_id  VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL PRIMARY KEY,
  cluster    VARCHAR(32) CHARACTER SET ascii NOT NULL,
  created_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6)
) ENGINE=InnoDB;
INSERT INTO tenant_directory (tenant_id, cluster) SELECT tenant_id, 'main' FROM tenants;
