-- Referrals (issue 18): each member's code (made when first asked for), and
-- who enrolled with whose. The sweep rewards both sides once the referee's
-- first qualifying transaction is booked within the rules' days, and takes the
-- rewards back when that transaction is reversed in full.
ALTER TABLE members ADD COLUMN referral_code CHAR(8) CHARACTER SET ascii COLLATE ascii_bin NULL,
  ADD UNIQUE KEY members_referral_code (tenant_id, referral_code);

CREATE TABLE referrals (
  tenant_id       VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  referee_id      VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  referrer_id     VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  enrolled_at     DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  status          VARCHAR(16) CHARACTER SET ascii NOT NULL DEFAULT 'pending',
  partner_id      VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NULL,
  transaction_id  VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NULL,
  referrer_points BIGINT NOT NULL DEFAULT 0,
  referee_points  BIGINT NOT NULL DEFAULT 0,
  referrer_lot    BIGINT UNSIGNED NULL,
  referee_lot     BIGINT UNSIGNED NULL,
  period_key      VARCHAR(16) CHARACTER SET ascii NULL,
  rewarded_at     DATETIME(6) NULL,
  taken_back_at   DATETIME(6) NULL,
  PRIMARY KEY (tenant_id, referee_id),
  KEY referrals_referrer (tenant_id, referrer_id, status, period_key),
  KEY referrals_status (status)
) ENGINE=InnoDB;
