#!/usr/bin/env bash
# make bench-cluster: what the cluster costs, in one run on this machine.
#   (1) earning and captured redemptions through one allianced on one MariaDB
#       (the private var/db), as make bench does;
#   (3) the same through HAProxy on the cluster of scripts/cluster.sh: two
#       allianced nodes, each writing through its own node of a three-node
#       Galera cluster (every commit certified by all three);
# then the ratios 3/1 and each p99. One machine cannot show a cluster's gain
# (the three database nodes share its cores and disk); the aim is the cost:
# cluster throughput at least 0.5 of a single node, p99 under 100 ms.
# Knobs: BENCH_SECONDS (10), BENCH_CONNECTIONS (64), BENCH_MEMBERS (5000).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
seconds=${BENCH_SECONDS:-10}
conns=${BENCH_CONNECTIONS:-64}
members=${BENCH_MEMBERS:-5000}
cluster_listen=${ALLIANCE_CLUSTER_BENCH_LISTEN:-127.0.0.1:18190}

. scripts/bench-common.sh
bench_build
scripts/deps.sh --cluster

# load MODE PORT TAG: one loadgen line.
load() {
  build/release/bench/loadgen --port "$2" --key "$key" --secret "$secret" --mode "$1" \
    --connections "$conns" --seconds "$seconds" --members "$members" --tag "$3"
}
field() { echo "$2" | sed -n "s/.*$1=\\([0-9.]*\\).*/\\1/p"; }

# Where the CPU goes: each process's user + system time over a phase ($pids: name:pid ...),
# and the databases' (names db*) CPU an operation.
cpu() { awk '{print $14 + $15}' "/proc/$1/stat" 2>/dev/null || echo 0; }
profiled() { # MODE PORT TAG: the loadgen line; the profile to stderr
  local before=() after=() i=0 line out="cpu seconds:" db=0 n
  for p in $pids; do before+=("$(cpu "${p#*:}")"); done
  line=$(load "$1" "$2" "$3")
  for p in $pids; do after+=("$(cpu "${p#*:}")"); done
  echo "$line"
  n=$(field requests "$line")
  for p in $pids; do
    local s
    s=$(awk -v a="${after[$i]}" -v b="${before[$i]}" -v t="$(getconf CLK_TCK)" 'BEGIN { printf "%.1f", (a - b) / t }')
    out="$out ${p%%:*} $s"
    case ${p%%:*} in db*) db=$(awk -v x="$db" -v y="$s" 'BEGIN { print x + y }') ;; esac
    i=$((i + 1))
  done
  echo "$out (of ${seconds} s x $(nproc) cores); database CPU an operation: $(awk -v d="$db" -v n="$n" 'BEGIN { printf "%.2f", n ? d * 1000 / n : 0 }') ms" >&2
}

echo "== (1) one allianced on one MariaDB"
bench_server alliance_bench_single single
bench_tenant bench Bench
bench_partner
bench_seed "$members"
port=$(cat var/bench/single.port)
pids="db:$(cat var/db/mysqld.pid) server:$server"
earn1=$(profiled earn "$port" "e1-$$"); echo "earn: $earn1"
redeem1=$(profiled redeem "$port" "r1-$$"); echo "redeem: $redeem1"
kill -TERM "$server" 2>/dev/null; wait "$server" 2>/dev/null || true

echo "== (3) HAProxy, two allianced nodes, three Galera nodes"
trap 'ALLIANCE_LISTEN=$cluster_listen scripts/cluster.sh down >/dev/null' EXIT
# Down first: nodes left running from before would keep other secrets.
ALLIANCE_LISTEN=$cluster_listen scripts/cluster.sh down >/dev/null
ALLIANCE_LISTEN=$cluster_listen scripts/cluster.sh up | grep -v '^==' || true
base="http://$cluster_listen"
bench_tenant "bench$(date +%s)" Bench
bench_partner
bench_seed "$members"
port=${cluster_listen##*:}
pids="db1:$(cat var/cluster/db1/mysqld.pid) db2:$(cat var/cluster/db2/mysqld.pid)"
pids="$pids db3:$(cat var/cluster/db3/mysqld.pid) node1:$(cat var/cluster/node1.pid)"
pids="$pids node2:$(cat var/cluster/node2.pid) haproxy:$(cat var/cluster/haproxy.pid)"
earn3=$(profiled earn "$port" "e3-$$"); echo "earn: $earn3"
redeem3=$(profiled redeem "$port" "r3-$$"); echo "redeem: $redeem3"
tb=$(curl -s "$base/v1/ledger/trial-balance" -H "Authorization: Bearer $admin" |
  sed -n 's/.*"total":\(-\{0,1\}[0-9]*\).*/\1/p')
errors=$(( $(field errors "$earn3") + $(field errors "$redeem3") ))

echo "== result"
awk -v e1="$(field rps "$earn1")" -v r1="$(field rps "$redeem1")" \
    -v e3="$(field rps "$earn3")" -v r3="$(field rps "$redeem3")" \
    -v e1p="$(field p99_ms "$earn1")" -v r1p="$(field p99_ms "$redeem1")" \
    -v e3p="$(field p99_ms "$earn3")" -v r3p="$(field p99_ms "$redeem3")" \
    -v tb="$tb" -v err="$errors" 'BEGIN {
  printf "single node: earn %d/s (p99 %s ms), redeem %d/s (p99 %s ms)\n", e1, e1p, r1, r1p
  printf "cluster:     earn %d/s (p99 %s ms), redeem %d/s (p99 %s ms); %d errors; trial balance total=%s\n", e3, e3p, r3, r3p, err, tb
  printf "cluster/single: earn %.3f, redeem %.3f (aim >= 0.5); cluster p99 earn %s ms, redeem %s ms (aim < 100)\n", e3 / e1, r3 / r1, e3p, r3p
}'
