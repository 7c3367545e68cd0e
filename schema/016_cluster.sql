-- Several server nodes on a Galera cluster (issue 15).
-- Galera replicates rows by primary key: every table has one.
ALTER TABLE tier_history ADD COLUMN change_id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY FIRST;
-- A settlement close writes its tenant's row, so two closes of one tenant on two
-- nodes of a cluster conflict at commit (a row lock alone stays on its node).
ALTER TABLE tenants ADD COLUMN settlement_closes BIGINT NOT NULL DEFAULT 0;
