-- A tenant's time zone (issue 16): an IANA name; its days decide day-of-week
-- promotions, cap periods and the analytics' days.
ALTER TABLE tenants ADD COLUMN time_zone VARCHAR(64) CHARACTER SET ascii NOT NULL DEFAULT 'UTC';
