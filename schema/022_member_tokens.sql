-- Member tokens (issue 18): a short-lived credential a partner or an admin
-- mints for one member, for that member's app. The token carries its id and a
-- signature by the server (HMAC under a key derived from the master key) over
-- tenant, member, id and expiry; the row makes it revocable.
CREATE TABLE member_tokens (
  token_id   CHAR(32) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  tenant_id  VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  member_id  VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  created_by VARCHAR(80) CHARACTER SET ascii NOT NULL,
  created_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  expires_at DATETIME NOT NULL,
  revoked_at DATETIME(6) NULL,
  PRIMARY KEY (token_id),
  KEY member_tokens_member (tenant_id, member_id)
) ENGINE=InnoDB;
