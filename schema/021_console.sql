-- People and roles (issue 17). A tenant's colleagues each get an admin key with
-- a role (owner, finance, program, viewer); only the key's SHA-256 is kept. The
-- tenant's first key (tenants.admin_key_hash) stays the owner's.
CREATE TABLE admin_keys (
  tenant_id  VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  key_id     CHAR(16) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  key_hash   CHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  role       VARCHAR(16) CHARACTER SET ascii NOT NULL,
  name       VARCHAR(128) NOT NULL,
  created_by VARCHAR(80) CHARACTER SET ascii NOT NULL,
  created_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  revoked_at DATETIME(6) NULL,
  PRIMARY KEY (tenant_id, key_id),
  UNIQUE KEY admin_keys_hash (key_hash)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- The console's sessions: signed in with an admin key, held in a cookie (only
-- its SHA-256 is kept), short-lived, with the CSRF token every change must
-- carry. A revoked key's sessions end with it (they are read joined to it).
CREATE TABLE console_sessions (
  session_hash CHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  tenant_id    VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  key_hash     CHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  role         VARCHAR(16) CHARACTER SET ascii NOT NULL,
  csrf_token   CHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  created_at   DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  expires_at   DATETIME(6) NOT NULL,
  PRIMARY KEY (session_hash),
  KEY console_sessions_expiry (tenant_id, expires_at)
) ENGINE=InnoDB;
