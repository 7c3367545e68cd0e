#!/usr/bin/env bash
# make bench: in one run on this machine,
#   (a) the database's own ceiling: single-row autocommit INSERTs with
#       mariadb-slap at 64 clients;
#   (m) rows/s when they come as 100-row INSERTs into a table shaped like
#       the bookings (two secondary indexes), the same way;
#   (b) earning transactions/s through allianced at 64 connections over many
#       members; (c) captured redemptions/s likewise;
#   (p) one 15-row bookings INSERT as text and as a prepared statement: the
#       database's CPU a statement;
#   (d) earning with 100 promotions; (s) earning at a single connection (p50);
# then b/a, c/a, d/b, with statements and commits per request and where the
# CPU went. Loopback only; every loop is bounded by time.
# Knobs: BENCH_SECONDS (10), BENCH_CONNECTIONS (64), BENCH_MEMBERS (10000),
# BENCH_SLAP_QUERIES (50000), ALLIANCE_THREADS (2).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
seconds=${BENCH_SECONDS:-10}
conns=${BENCH_CONNECTIONS:-64}
members=${BENCH_MEMBERS:-10000}
slap_queries=${BENCH_SLAP_QUERIES:-50000}

. scripts/bench-common.sh
bench_build
sock="$root/var/db/mysqld.sock"

echo "== (a) database ceiling: mariadb-slap, 64 clients, $slap_queries single-row autocommit INSERTs"
slap=$(mariadb-slap --no-defaults --socket="$sock" -uroot --concurrency=64 --iterations=1 \
  --number-of-queries="$slap_queries" --create-schema=bench_slap \
  --create="CREATE TABLE t (id BIGINT AUTO_INCREMENT PRIMARY KEY, v INT) ENGINE=InnoDB" \
  --query="INSERT INTO t (v) VALUES (1)")
slap_s=$(echo "$slap" | sed -n 's/.*Average number of seconds to run all queries: \([0-9.]*\).*/\1/p')
a=$(awk -v q="$slap_queries" -v s="$slap_s" 'BEGIN { printf "%.0f", q / s }')
echo "inserts/s=$a"

echo "== (m) the same, as 100-row INSERTs into a table shaped like the bookings"
rows=""
for i in $(seq 1 100); do
  rows="$rows${rows:+,}('t1','earn','partner:p:issued','member:m$i',$i,'m$i','p','r$i',NULL)"
done
slap=$(mariadb-slap --no-defaults --socket="$sock" -uroot --concurrency=64 --iterations=1 \
  --number-of-queries=$((slap_queries / 25)) --create-schema=bench_slap \
  --create="CREATE TABLE b (booking_id BIGINT UNSIGNED AUTO_INCREMENT PRIMARY KEY, tenant_id VARCHAR(64) NOT NULL, kind VARCHAR(16) NOT NULL, from_account VARCHAR(160) NOT NULL, to_account VARCHAR(160) NOT NULL, points BIGINT NOT NULL, member_id VARCHAR(64) NOT NULL, partner_id VARCHAR(64), ref_id VARCHAR(64), detail MEDIUMTEXT, booked_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6), KEY (tenant_id, member_id, booking_id), KEY (tenant_id, booked_at)) ENGINE=InnoDB" \
  --query="INSERT INTO b (tenant_id, kind, from_account, to_account, points, member_id, partner_id, ref_id, detail) VALUES $rows")
slap_s=$(echo "$slap" | sed -n 's/.*Average number of seconds to run all queries: \([0-9.]*\).*/\1/p')
m_rows=$(awk -v q=$((slap_queries / 25)) -v s="$slap_s" 'BEGIN { printf "%.0f", q * 100 / s }')
echo "rows/s=$m_rows"

echo "== (p) a 15-row bookings INSERT as text (what the committers send) and prepared, one connection"
p_line=$(build/release/bench/prepared --socket "$sock" --db-pid "$(cat var/db/mysqld.pid)" --seconds 3)
echo "$p_line"

bench_server alliance_bench server
bench_tenant bench Bench
bench_partner
bench_seed "$members"

port=$(cat var/bench/server.port)
db_pid=$(cat var/db/mysqld.pid)
status() { echo "SHOW GLOBAL STATUS LIKE '$1'" | scripts/db.sh sql var/db -N | awk '{print $2}'; }
cpu() { awk '{print $14 + $15}' "/proc/$1/stat"; } # user + system, in clock ticks
tick=$(getconf CLK_TCK)
# The profile of a phase: where the CPU went, and what the database was asked per request.
run() {
  local q0 c0 d0 s0 out q1 c1 d1 s1 n
  q0=$(status Questions); c0=$(status Com_commit); d0=$(cpu "$db_pid"); s0=$(cpu "$server")
  out=$(build/release/bench/loadgen --port "$port" --key "$key" --secret "$secret" --mode "$1" \
    --connections "$conns" --seconds "$seconds" --members "$members" --tag "$1-$$-${2:-a}")
  q1=$(status Questions); c1=$(status Com_commit); d1=$(cpu "$db_pid"); s1=$(cpu "$server")
  n=$(echo "$out" | sed -n 's/.*requests=\([0-9]*\).*/\1/p')
  l=$(echo "$out" | sed -n 's/.*cpu_s=\([0-9.]*\).*/\1/p')
  echo "$out"
  awk -v n="$n" -v q=$((q1 - q0)) -v c=$((c1 - c0)) -v d=$((d1 - d0)) -v s=$((s1 - s0)) \
      -v t="$tick" -v secs="$seconds" -v l="$l" -v cores="$(nproc)" 'BEGIN {
    printf "profile: cpu mariadbd %.1f s, allianced %.1f s, the load generator %.1f s, of %d s x %d cores; per request: %.2f statements, %.3f commits (%.0f operations a commit)\n",
      d / t, s / t, l, secs, cores, q / n, c / n, (c > 0 ? n / c : 0) }' >&2
}
echo "== (b) earning through allianced: $conns connections, $seconds s"
b_line=$(run earn 2>var/bench/profile-earn); echo "$b_line"; cat var/bench/profile-earn
echo "== (c) captured redemptions through allianced: $conns connections, $seconds s"
c_line=$(run redeem 2>var/bench/profile-redeem); echo "$c_line"; cat var/bench/profile-redeem

echo "== (d) earning again with 100 active promotions (5 match every transaction)"
promos=$(for i in $(seq 1 95); do
  printf '{"id":"other-%d","multiplier_pct":150,"categories":["mcc:%04d"]},' "$i" "$((i + 2000))"
done)
promos="${promos}$(for i in 1 2 3 4; do printf '{"id":"all-%d","bonus_points":%d},' "$i" "$i"; done)"
promos="${promos}{\"id\":\"groceries\",\"multiplier_pct\":200,\"categories\":[\"mcc:5411\"]}"
printf '{"promotions":[%s]}' "$promos" >var/bench/rules.json
curl -s -X PUT "$base/v1/rules" -H "Authorization: Bearer $admin" --data-binary @var/bench/rules.json |
  grep -q '"version":1' || { echo "cannot set the bench rules" >&2; exit 1; }
d_line=$(run earn promos 2>var/bench/profile-earn-promos); echo "$d_line"; cat var/bench/profile-earn-promos

echo "== (s) earning at a single connection, $seconds s"
s_line=$(build/release/bench/loadgen --port "$port" --key "$key" --secret "$secret" --mode earn \
  --connections 1 --seconds "$seconds" --members "$members" --tag "single-$$")
echo "$s_line"

tb=$(curl -s "$base/v1/ledger/trial-balance" -H "Authorization: Bearer $admin" |
  sed -n 's/.*"total":\(-\{0,1\}[0-9]*\).*/\1/p')
b=$(echo "$b_line" | sed -n 's/.*rps=\([0-9]*\).*/\1/p')
c=$(echo "$c_line" | sed -n 's/.*rps=\([0-9]*\).*/\1/p')
d=$(echo "$d_line" | sed -n 's/.*rps=\([0-9]*\).*/\1/p')
echo "== result"
s50=$(echo "$s_line" | sed -n 's/.*p50_ms=\([0-9.]*\).*/\1/p')
awk -v a="$a" -v m="$m_rows" -v b="$b" -v c="$c" -v d="$d" -v tb="$tb" -v s50="$s50" 'BEGIN {
  printf "database ceiling a=%d inserts/s, m=%d rows/s in 100-row INSERTs; earn b=%d/s; redeem c=%d/s; earn with 100 promotions d=%d/s; one connection p50=%s ms (aim < 2)\n", a, m, b, c, d, s50
  printf "b/a=%.3f (aim >= 1.0)  c/a=%.3f (aim >= 0.5)  d/b=%.3f (aim >= 0.9)  trial balance total=%s\n", b / a, c / a, d / b, tb
}'
