-- The rewards catalogue (issue 18): items a partner offers for points (and a
-- cash part), with stock, a limit per member and period, a validity window and
-- the tiers that may take them. Redeeming one holds the points at the offering
-- partner and issues a single-use voucher; the partner marks it used (the
-- redemption is captured: booked, and reimbursed by its contract in
-- settlement) or it is cancelled (voided: the points come back) or it runs out
-- (the hold lapses). A voucher's state is its redemption's.
CREATE TABLE catalogue_items (
  tenant_id    VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  item_id      VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  partner_id   VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  name         VARCHAR(200) NOT NULL,
  points       BIGINT NOT NULL,
  cash_minor   BIGINT NOT NULL DEFAULT 0,
  currency     CHAR(3) CHARACTER SET ascii NULL,
  stock        BIGINT NULL,
  limit_count  INT NULL,
  limit_period VARCHAR(8) CHARACTER SET ascii NULL,
  valid_from   DATETIME(6) NULL,
  valid_until  DATETIME(6) NULL,
  tiers        VARCHAR(2000) NULL,
  voucher_days INT NOT NULL DEFAULT 30,
  status       VARCHAR(16) CHARACTER SET ascii NOT NULL DEFAULT 'active',
  created_at   DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  updated_at   DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  PRIMARY KEY (tenant_id, item_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE vouchers (
  seq           BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
  tenant_id     VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  code          CHAR(12) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  member_id     VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  request_id    VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  item_id       VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  partner_id    VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  redemption_id VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  points        BIGINT NOT NULL,
  cash_minor    BIGINT NOT NULL,
  currency      CHAR(3) CHARACTER SET ascii NULL,
  period_key    VARCHAR(16) CHARACTER SET ascii NOT NULL,
  created_at    DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  expires_at    DATETIME(6) NOT NULL,
  PRIMARY KEY (tenant_id, code),
  UNIQUE KEY vouchers_request (tenant_id, member_id, request_id),
  KEY vouchers_item (tenant_id, item_id),
  KEY vouchers_limit (tenant_id, member_id, item_id, period_key),
  UNIQUE KEY vouchers_seq (seq)
) ENGINE=InnoDB;
