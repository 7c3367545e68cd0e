-- Operator and admin controls (issue 14): a partner can be suspended (its calls
-- refused, its members' points untouched) and resumed.
ALTER TABLE partners ADD COLUMN status VARCHAR(16) CHARACTER SET ascii NOT NULL DEFAULT 'active'
  AFTER redeem_minor_per_1000;
