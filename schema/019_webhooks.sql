-- Webhooks (issue 16): subscriptions, the outbox written with each change,
-- deliveries (one per subscription and event) and every attempt.
CREATE TABLE webhooks (
  webhook_id   BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  tenant_id    VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  url          VARCHAR(2000) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  events       VARCHAR(1000) CHARACTER SET ascii NOT NULL, -- '*' or a comma list
  secret       VARCHAR(200) CHARACTER SET ascii NOT NULL,  -- sealed under the master key
  status       VARCHAR(16) CHARACTER SET ascii NOT NULL DEFAULT 'active',
  created_at   DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  KEY webhooks_tenant (tenant_id, status)
) ENGINE=InnoDB;

CREATE TABLE outbox (
  event_id     BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  tenant_id    VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  type         VARCHAR(40) CHARACTER SET ascii NOT NULL,
  member_id    VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL DEFAULT '',
  data         MEDIUMTEXT NOT NULL,
  created_at   DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  fanned_out   TINYINT NOT NULL DEFAULT 0,
  KEY outbox_waiting (fanned_out, event_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- A member's deliveries to one webhook go in event order: the next waits
-- until the one before it is delivered or dead.
CREATE TABLE webhook_deliveries (
  delivery_id  BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  tenant_id    VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  webhook_id   BIGINT UNSIGNED NOT NULL,
  event_id     BIGINT UNSIGNED NOT NULL,
  member_id    VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL DEFAULT '',
  status       VARCHAR(16) CHARACTER SET ascii NOT NULL DEFAULT 'pending',
  attempts     INT NOT NULL DEFAULT 0,
  next_at      DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  last_status  INT NULL,
  last_error   VARCHAR(200) NULL,
  created_at   DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  delivered_at DATETIME(6) NULL,
  UNIQUE KEY deliveries_once (webhook_id, event_id),
  KEY deliveries_due (status, next_at),
  KEY deliveries_queue (webhook_id, member_id, status, delivery_id),
  KEY deliveries_tenant (tenant_id, webhook_id, delivery_id)
) ENGINE=InnoDB;

CREATE TABLE webhook_attempts (
  attempt_id   BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  delivery_id  BIGINT UNSIGNED NOT NULL,
  at           DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  http_status  INT NULL,
  error        VARCHAR(200) NULL,
  took_ms      INT NOT NULL,
  KEY attempts_delivery (delivery_id, attempt_id)
) ENGINE=InnoDB;

-- Points expiring soon are announced once per lot.
ALTER TABLE tenants ADD COLUMN expiry_notice_days INT NOT NULL DEFAULT 30;
ALTER TABLE lots ADD COLUMN expiry_noticed TINYINT NOT NULL DEFAULT 0;
