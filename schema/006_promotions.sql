-- What each capped promotion has given each member in each period
-- ("2026-11", "2026-W48", ...), so a cap holds across servers.
CREATE TABLE promotion_usage (
  tenant_id    VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  promotion_id VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  member_id    VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  period_key   VARCHAR(16) CHARACTER SET ascii NOT NULL,
  points       BIGINT NOT NULL DEFAULT 0,
  PRIMARY KEY (tenant_id, promotion_id, member_id, period_key)
) ENGINE=InnoDB;

-- Non-transactional rewards (events), for their per-member limits.
CREATE TABLE event_awards (
  tenant_id  VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  member_id  VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  event      VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  period_key VARCHAR(16) CHARACTER SET ascii NOT NULL,
  awards     INT NOT NULL DEFAULT 0,
  PRIMARY KEY (tenant_id, member_id, event, period_key)
) ENGINE=InnoDB;
