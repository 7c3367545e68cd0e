-- The audit log (issue 14): every change an admin or the operator makes, per
-- tenant, each row carrying the hash of the one before it (a chain): an
-- edited or removed row breaks every link after it.
CREATE TABLE audit_log (
  tenant_id   VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  seq         BIGINT UNSIGNED NOT NULL,
  at          VARCHAR(32) CHARACTER SET ascii NOT NULL,
  actor       VARCHAR(80) CHARACTER SET ascii NOT NULL,
  request_id  VARCHAR(80) CHARACTER SET ascii NOT NULL,
  action      VARCHAR(64) CHARACTER SET ascii NOT NULL,
  target      VARCHAR(200) NOT NULL,
  before_json MEDIUMTEXT NULL,
  after_json  MEDIUMTEXT NULL,
  prev_hash   CHAR(64) CHARACTER SET ascii NOT NULL,
  hash        CHAR(64) CHARACTER SET ascii NOT NULL,
  PRIMARY KEY (tenant_id, seq)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
