#!/usr/bin/env bash
# make bench-analytics: MEMBERS members (default 1,000,000) and TRANSACTIONS
# transactions (default 20,000,000) of a bench tenant, drawn by
# bench/gen_history.c and loaded straight into the database, then timed through
# allianced: RFM, the CLV fit and scoring, and the other analyses, each a GET.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
members=${MEMBERS:-1000000}
transactions=${TRANSACTIONS:-20000000}

. scripts/bench-common.sh
bench_build
export ALLIANCE_EXPIRY_SWEEP_S=0
export ALLIANCE_MAX_BODY_BYTES=4194304 # an import request of 10,000 lines
bench_server alliance_abench analytics
bench_tenant abench "Analytics bench"

echo "== loading $transactions transactions of up to $members members"
t0=$(date +%s)
scripts/db.sh sql var/db alliance_abench <<SQL
INSERT INTO partners (tenant_id, partner_id, name, plugin, config, currency,
                      issue_minor_per_1000, redeem_minor_per_1000)
  SELECT 'abench', CONCAT('p', LPAD(seq, 2, '0')), CONCAT('Partner ', seq), 'retailer', '{}',
         'CNY', 800, 600
  FROM seq_0_to_19;
SQL
build/release/bench/gen_history abench "$members" "$transactions" |
  scripts/db.sh sql var/db alliance_abench --local-infile=1 -e "
    SET SESSION unique_checks = 0;
    LOAD DATA LOCAL INFILE '/dev/stdin' INTO TABLE transactions
      (tenant_id, partner_id, transaction_id, member_id, booking_id, points, base_amount_minor,
       currency, occurred_at, qualifying_points)"
scripts/db.sh sql var/db alliance_abench <<SQL
INSERT INTO members (tenant_id, member_id, profile, created_at)
  SELECT 'abench', CONCAT('m', LPAD(seq, 7, '0')), '{}', '2023-01-01' FROM seq_0_to_$((members - 1));
UPDATE members m JOIN (SELECT member_id, SUM(points) AS pts FROM transactions
                       WHERE tenant_id = 'abench' GROUP BY member_id) t
  ON m.tenant_id = 'abench' AND m.member_id = t.member_id
  SET m.available = t.pts, m.lifetime_earned = t.pts;
SQL
echo "loaded in $(( $(date +%s) - t0 )) s:" \
  "$(echo "SELECT COUNT(*), COUNT(DISTINCT member_id) FROM transactions" |
     scripts/db.sh sql var/db alliance_abench -N | tr '\t' ' ') (transactions, members with one)"

# A GET of an analysis, timed; prints its seconds and the start of its answer.
timed() {
  local t1 t2 reply
  t1=$(date +%s.%N)
  reply=$(curl -s --max-time 600 "$base/v1/analytics/$1" -H "Authorization: Bearer $admin")
  t2=$(date +%s.%N)
  awk -v a="$t1" -v b="$t2" -v q="$1" 'BEGIN { printf "%-52s %6.1f s\n", q, b - a }'
  echo "    ${reply:0:${2:-300}}"
  case $reply in *'"timings_ms"'*) echo "    ${reply##*\"timings_ms\":}" | sed 's/,"items".*//' ;; esac
}
echo "== analyses through allianced (aim: RFM, CLV fit and scoring < 60 s)"
timed "rfm?as_of=2025-12-31&limit=1" 1000
timed "clv?calibration_end=2025-12-31&limit=1" 700
timed "churn?as_of=2025-12-31&limit=1"
timed "lifecycle?as_of=2025-12-31&limit=1"
timed "pareto?as_of=2025-12-31" 200
timed "affinity?as_of=2025-12-31" 200
echo "== the workers while a CLV report runs (a member's 360 view every 0.2 s)"
curl -s --max-time 600 "$base/v1/analytics/clv?calibration_end=2025-12-31&limit=1" \
  -H "Authorization: Bearer $admin" >/dev/null &
report=$!
sleep 1
worst=0 calls=0
while kill -0 "$report" 2>/dev/null && [ "$calls" -lt 600 ]; do
  took=$(curl -s -o /dev/null -w '%{time_total}' "$base/v1/members/m0000001" \
    -H "Authorization: Bearer $admin")
  worst=$(awk -v a="$worst" -v b="$took" 'BEGIN { print (b > a ? b : a) }')
  calls=$((calls + 1))
  sleep 0.2
done
wait "$report" || true
echo "$calls member views during the report, the slowest in ${worst} s"
echo "allianced peak memory: $(grep VmHWM /proc/$server/status | tr -s ' ')" \
  "(the ledger read holds one member's rows at a time)"

echo "== history import through POST /v1/import/transactions"
lines=${IMPORT_LINES:-200000}
build/release/bench/gen_history imp 20000 "$lines" 2>/dev/null |
  awk -F'\t' '{ sub(/ /, "T", $9); printf "{\"id\":\"i%s\",\"partner\":\"%s\",\"member\":\"i%s\",\"occurred_at\":\"%sZ\",\"amount_minor\":%s,\"points\":%s}\n", $3, $2, $4, $9, $7, $6 }' |
  split -l 10000 - var/bench/import-
t1=$(date +%s.%N)
for f in var/bench/import-*; do
  curl -s -X POST "$base/v1/import/transactions" -H "Authorization: Bearer $admin" \
    --data-binary @"$f" >var/bench/import.out
  grep -q '"imported":10000' var/bench/import.out || { cat var/bench/import.out; exit 1; }
done
t2=$(date +%s.%N)
rm -f var/bench/import-*
awk -v a="$t1" -v b="$t2" -v n="$lines" \
  'BEGIN { printf "imported %d lines in %.1f s: %.0f lines/s\n", n, b - a, n / (b - a) }'
