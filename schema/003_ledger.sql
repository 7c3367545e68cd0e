-- The shared ledger. See docs/ledger.md for the rules these tables keep.

-- Per-tenant ledger settings: enrol unknown members on first earn; months
-- after the month of earning at whose end points lapse.
ALTER TABLE tenants
  ADD COLUMN auto_enrol    TINYINT NOT NULL DEFAULT 1,
  ADD COLUMN expiry_months INT NOT NULL DEFAULT 24;

-- Members and their running balances. Invariant, per member:
--   available + held = sum(lots.remaining) - debt = balance of account member:<id>
CREATE TABLE members (
  tenant_id         VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  member_id         VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  profile           MEDIUMTEXT NOT NULL,
  status            VARCHAR(16) CHARACTER SET ascii NOT NULL DEFAULT 'active',
  available         BIGINT NOT NULL DEFAULT 0,
  held              BIGINT NOT NULL DEFAULT 0,
  debt              BIGINT NOT NULL DEFAULT 0,
  lifetime_earned   BIGINT NOT NULL DEFAULT 0,
  lifetime_redeemed BIGINT NOT NULL DEFAULT 0,
  created_at        DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  last_activity_at  DATETIME(6) NULL,
  PRIMARY KEY (tenant_id, member_id),
  CONSTRAINT members_tenant FOREIGN KEY (tenant_id) REFERENCES tenants (tenant_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- Account balances, kept with every booking; they sum to 0 in a tenant.
-- Accounts: member:<id>, partner:<id>:issued, partner:<id>:redeemed, alliance:breakage.
CREATE TABLE account_balances (
  tenant_id VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  account   VARCHAR(160) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  balance   BIGINT NOT NULL DEFAULT 0,
  PRIMARY KEY (tenant_id, account)
) ENGINE=InnoDB;

-- Bookings: append-only; each moves points from one account to another.
CREATE TABLE bookings (
  booking_id   BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
  tenant_id    VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  kind         VARCHAR(16) CHARACTER SET ascii NOT NULL,
  from_account VARCHAR(160) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  to_account   VARCHAR(160) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  points       BIGINT NOT NULL,
  member_id    VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  partner_id   VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NULL,
  ref_id       VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NULL,
  detail       MEDIUMTEXT NULL,
  booked_at    DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  PRIMARY KEY (booking_id),
  KEY bookings_member (tenant_id, member_id, booking_id),
  KEY bookings_time (tenant_id, booked_at),
  CONSTRAINT bookings_points CHECK (points >= 0)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- Lots: earned points that remember their issuing partner and expiry.
CREATE TABLE lots (
  lot_id     BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
  tenant_id  VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  member_id  VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  partner_id VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  booking_id BIGINT UNSIGNED NOT NULL,
  points     BIGINT NOT NULL,
  remaining  BIGINT NOT NULL,
  earned_at  DATETIME(6) NOT NULL,
  expires_at DATETIME(6) NOT NULL,
  PRIMARY KEY (lot_id),
  KEY lots_member (tenant_id, member_id, expires_at, lot_id),
  KEY lots_expiry (tenant_id, expires_at),
  CONSTRAINT lots_remaining CHECK (remaining >= 0 AND remaining <= points)
) ENGINE=InnoDB;

-- Provenance: which lots (so which issuing partner) a booking consumed, and
-- for a redemption at which partner. Settlement bills from this.
CREATE TABLE lot_consumptions (
  consumption_id   BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
  tenant_id        VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  booking_id       BIGINT UNSIGNED NOT NULL,
  lot_id           BIGINT UNSIGNED NULL,
  issuer_partner   VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NULL,
  redeemer_partner VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NULL,
  points           BIGINT NOT NULL,
  PRIMARY KEY (consumption_id),
  KEY lot_consumptions_booking (tenant_id, booking_id)
) ENGINE=InnoDB;

-- Earning transactions, for reversals.
CREATE TABLE transactions (
  tenant_id         VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  partner_id        VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  transaction_id    VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  member_id         VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  booking_id        BIGINT UNSIGNED NOT NULL,
  lot_id            BIGINT UNSIGNED NULL,
  points            BIGINT NOT NULL,
  base_amount_minor BIGINT NOT NULL,
  currency          CHAR(3) CHARACTER SET ascii NOT NULL,
  reversed_minor    BIGINT NOT NULL DEFAULT 0,
  reversed_points   BIGINT NOT NULL DEFAULT 0,
  occurred_at       DATETIME(6) NOT NULL,
  PRIMARY KEY (tenant_id, partner_id, transaction_id)
) ENGINE=InnoDB;

-- Redemptions: captured at once, or held until captured, voided or lapsed.
CREATE TABLE redemptions (
  tenant_id       VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  partner_id      VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  redemption_id   VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  member_id       VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  points          BIGINT NOT NULL,
  captured_points BIGINT NOT NULL DEFAULT 0,
  status          VARCHAR(16) CHARACTER SET ascii NOT NULL,
  hold_expires_at DATETIME(6) NULL,
  booking_id      BIGINT UNSIGNED NULL,
  created_at      DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  updated_at      DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  PRIMARY KEY (tenant_id, partner_id, redemption_id),
  KEY redemptions_holds (status, hold_expires_at)
) ENGINE=InnoDB;

-- Exactly once: the first answer to (tenant, partner, kind, id), written in
-- the same database transaction as the booking it answers.
CREATE TABLE idempotency (
  tenant_id    VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  partner_id   VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  kind         VARCHAR(16) CHARACTER SET ascii NOT NULL,
  request_id   VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  request_hash CHAR(64) CHARACTER SET ascii NOT NULL,
  status       INT NOT NULL,
  response     MEDIUMTEXT NOT NULL,
  created_at   DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  PRIMARY KEY (tenant_id, partner_id, kind, request_id)
) ENGINE=InnoDB;
