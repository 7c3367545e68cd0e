-- Contracts with effective dates: each booking is priced by the contract of
-- its partner in force when it was booked (the latest effective_from <= booked_at).
CREATE TABLE partner_contracts (
  tenant_id             VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  partner_id            VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  effective_from        DATETIME(6) NOT NULL,
  currency              CHAR(3) CHARACTER SET ascii NOT NULL,
  issue_minor_per_1000  BIGINT NOT NULL,
  redeem_minor_per_1000 BIGINT NOT NULL,
  PRIMARY KEY (tenant_id, partner_id, effective_from)
) ENGINE=InnoDB;

INSERT INTO partner_contracts
  SELECT tenant_id, partner_id, '1970-01-01 00:00:00', currency, issue_minor_per_1000,
         redeem_minor_per_1000 FROM partners;

-- Statements: drafts are recomputed at will; a closed one is numbered,
-- signed, and never changes (its document is kept byte for byte).
CREATE TABLE settlements (
  settlement_id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
  tenant_id     VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  period_start  DATETIME(6) NOT NULL,
  period_end    DATETIME(6) NOT NULL,
  status        VARCHAR(16) CHARACTER SET ascii NOT NULL,
  number        INT NULL,
  document      MEDIUMTEXT NOT NULL,
  csv           MEDIUMTEXT NOT NULL,
  signature     VARCHAR(200) CHARACTER SET ascii NULL,
  created_at    DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  closed_at     DATETIME(6) NULL,
  PRIMARY KEY (settlement_id),
  UNIQUE KEY settlements_number (tenant_id, number),
  KEY settlements_period (tenant_id, period_start, period_end)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
