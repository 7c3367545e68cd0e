#!/usr/bin/env bash
# make bench-settlement: a period of BOOKINGS bookings (default 10,000,000:
# 70% earnings, 20% redemptions with their provenance, 10% refunds, over 20
# partners and 100,000 members in January 2026) made directly in the database
# of a bench tenant, then timed: POST /v1/settlements for that January through
# allianced. Prints the seconds and whether the statement reconciles.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
n=${BOOKINGS:-10000000}

. scripts/bench-common.sh
bench_build
bench_server alliance_sbench settlement
bench_tenant sbench "Settlement bench"

echo "== making $n bookings in January 2026"
start_gen=$(date +%s)
scripts/db.sh sql var/db alliance_sbench <<SQL
INSERT INTO partners (tenant_id, partner_id, name, plugin, config, currency,
                      issue_minor_per_1000, redeem_minor_per_1000)
  SELECT 'sbench', CONCAT('p', seq), CONCAT('Partner ', seq), 'bank', '{}', 'CNY', 800, 600
  FROM seq_0_to_19;
INSERT INTO partner_contracts SELECT 'sbench', CONCAT('p', seq), '1970-01-01', 'CNY', 800, 600
  FROM seq_0_to_19;
INSERT INTO partner_contracts SELECT 'sbench', CONCAT('p', seq), '2026-01-16', 'CNY', 900, 650
  FROM seq_0_to_19;
SET SESSION unique_checks = 0;
INSERT INTO bookings (tenant_id, kind, from_account, to_account, points, member_id, partner_id,
                      ref_id, booked_at)
  SELECT 'sbench', k, IF(k = 'earn', CONCAT('partner:p', seq % 20, ':issued'), CONCAT('member:m', seq % 100000)),
         CASE k WHEN 'earn' THEN CONCAT('member:m', seq % 100000)
                WHEN 'redeem' THEN CONCAT('partner:p', (seq * 7) % 20, ':redeemed')
                ELSE CONCAT('partner:p', seq % 20, ':issued') END,
         IF(k = 'earn', 100 + seq % 900, 1 + seq % 50), CONCAT('m', seq % 100000),
         IF(k = 'redeem', CONCAT('p', (seq * 7) % 20), CONCAT('p', seq % 20)), CONCAT('b', seq),
         TIMESTAMP('2026-01-01') + INTERVAL (seq % 2678400) SECOND
  FROM (SELECT seq, CASE WHEN seq % 10 < 7 THEN 'earn' WHEN seq % 10 < 9 THEN 'redeem'
                    ELSE 'reversal' END AS k FROM seq_1_to_$n) s;
INSERT INTO lot_consumptions (tenant_id, booking_id, issuer_partner, redeemer_partner, points)
  SELECT tenant_id, booking_id, CONCAT('p', booking_id % 20), partner_id, points
  FROM bookings WHERE tenant_id = 'sbench' AND kind = 'redeem';
INSERT INTO account_balances (tenant_id, account, shard, balance)
  SELECT 'sbench', a, 0, SUM(d) FROM (
    SELECT to_account AS a, points AS d FROM bookings WHERE tenant_id = 'sbench'
    UNION ALL SELECT from_account, -points FROM bookings WHERE tenant_id = 'sbench') x
  GROUP BY a;
SQL
echo "made in $(( $(date +%s) - start_gen )) s"

echo "== settling January 2026 through allianced"
t0=$(date +%s.%N)
reply=$(curl -s -X POST "$base/v1/settlements" -H "Authorization: Bearer $admin" \
  -d '{"period_start":"2026-01-01T00:00:00Z","period_end":"2026-02-01T00:00:00Z"}')
t1=$(date +%s.%N)
balanced=$(echo "$reply" | grep -o '"balanced":[a-z]*' || echo "no statement: ${reply:0:300}")
awk -v a="$t0" -v b="$t1" -v n="$n" -v ok="$balanced" \
  'BEGIN { printf "settled %d bookings in %.1f s (aim < 60 s); %s\n", n, b - a, ok }'
