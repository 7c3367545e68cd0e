-- Rate limits per key (issue 14): requests a second and the burst a tenant's
-- partner keys and admin keys may send; 0: no limit.
ALTER TABLE tenants
  ADD COLUMN partner_rate_per_s INT NOT NULL DEFAULT 0,
  ADD COLUMN partner_rate_burst INT NOT NULL DEFAULT 0,
  ADD COLUMN admin_rate_per_s INT NOT NULL DEFAULT 0,
  ADD COLUMN admin_rate_burst INT NOT NULL DEFAULT 0;
