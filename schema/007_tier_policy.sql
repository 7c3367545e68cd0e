-- Tier downgrades and floors: when the member reached the tier, since when
-- the window has been below it, and a tier an admin set as a floor until a date.
ALTER TABLE members
  ADD COLUMN tier_since       DATETIME(6) NULL,
  ADD COLUMN below_since      DATETIME(6) NULL,
  ADD COLUMN tier_floor       VARCHAR(32) CHARACTER SET ascii NULL,
  ADD COLUMN tier_floor_until DATETIME(6) NULL;
