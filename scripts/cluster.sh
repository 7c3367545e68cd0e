#!/usr/bin/env bash
# make cluster: on one machine, for development and drills, three MariaDB Galera
# nodes (var/cluster/db1..3: their own datadirs, sockets and loopback ports, run
# as the database user like scripts/db.sh; rsync state transfer), two allianced
# nodes (var/cluster/node1..2, node N writing through database node N) and
# HAProxy on ALLIANCE_LISTEN (default 127.0.0.1:8080) balancing them with
# /readyz checks. Ctrl-C stops everything. Data stays in var/cluster/.
#
#   scripts/cluster.sh run                      what make cluster runs
#   scripts/cluster.sh up | down                all of it started in the background, or stopped
#   scripts/cluster.sh stop-db N | start-db N | kill-db N     N = 1, 2, 3
#   scripts/cluster.sh stop-node N | start-node N             N = 1, 2
#
# Ports: Galera 45671-3 (replication), 45681-3 (incremental transfer), 44441-3
# (rsync state transfer); allianced nodes ALLIANCE_CLUSTER_PORT+1, +2 (default
# 18181, 18182); HAProxy's statistics on ALLIANCE_CLUSTER_PORT (18180).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
dir=$root/var/cluster
base_port=${ALLIANCE_CLUSTER_PORT:-18180}
listen=${ALLIANCE_LISTEN:-127.0.0.1:8080}
galera=/usr/lib/galera/libgalera_smm.so
members="gcomm://127.0.0.1:45671,127.0.0.1:45672,127.0.0.1:45673"

db_args() { # N [bootstrap]: mariadbd's Galera options for database node N
  local n=$1 address=$members
  [ "${2:-}" = bootstrap ] && address="gcomm://"
  echo "--wsrep-on=ON --wsrep-provider=$galera --wsrep-cluster-name=allianced" \
    "--wsrep-cluster-address=$address --wsrep-node-name=db$n" \
    "--wsrep-node-address=127.0.0.1:4567$n" \
    "--wsrep-provider-options=gmcast.listen_addr=tcp://127.0.0.1:4567$n;ist.recv_addr=127.0.0.1:4568$n;gcache.size=128M" \
    "--wsrep-sst-method=rsync --wsrep-sst-receive-address=127.0.0.1:4444$n" \
    "--binlog-format=ROW --innodb-autoinc-lock-mode=2 --wsrep-slave-threads=2" \
    "$([ "${2:-}" = bootstrap ] && echo --wsrep-new-cluster)"
}

db_up() { scripts/db.sh status "$dir/db$1"; }

# Starts database node N: joining the others, or founding the cluster when none answers.
start_db() {
  local n=$1 mode=join
  db_up "$n" && return 0
  if ! db_up 1 && ! db_up 2 && ! db_up 3; then
    mode=bootstrap
    # The last node stopped may found it again (a development cluster: this one).
    local state=$dir/db$n/data/grastate.dat
    [ -f "$state" ] && sed -i 's/^safe_to_bootstrap: 0/safe_to_bootstrap: 1/' "$state"
  fi
  echo "   database node $n: ${mode}ing"
  # A joiner's state transfer can fail to start its rsync daemon (the port still held a
  # moment by the last transfer); the node then exits, and a second try gets through.
  local try
  for try in 1 2 3; do
    DB_EXTRA_ARGS=$(db_args "$n" "$mode") DB_WAIT_S=120 DB_WSREP_RECOVER=1 \
      scripts/db.sh start "$dir/db$n" && return 0
    echo "   database node $n did not start (try $try of 3)" >&2
    sleep 3
  done
  return 1
}

stop_db() { scripts/db.sh stop "$dir/db$1"; }
kill_db() { scripts/db.sh kill "$dir/db$1"; }

node_port() { echo $((base_port + $1)); }

# The secrets every server node shares (var/cluster/, 0600; made the first time), unless given.
load_secrets() {
  mkdir -p "$dir"
  scripts/secrets.sh "$dir"
  ALLIANCE_OPERATOR_TOKEN=${ALLIANCE_OPERATOR_TOKEN:-$(cat "$dir/operator-token")}
  ALLIANCE_MASTER_KEY=${ALLIANCE_MASTER_KEY:-$(cat "$dir/master-key")}
  ALLIANCE_SETTLEMENT_KEY=${ALLIANCE_SETTLEMENT_KEY:-$(cat "$dir/settlement-key")}
  export ALLIANCE_OPERATOR_TOKEN ALLIANCE_MASTER_KEY ALLIANCE_SETTLEMENT_KEY
}

start_node() {
  local n=$1 pidf=$dir/node$1.pid
  if [ -f "$pidf" ] && kill -0 "$(cat "$pidf")" 2>/dev/null; then return 0; fi
  ALLIANCE_DB=$(scripts/db.sh url "$dir/db$n" alliance) \
    ALLIANCE_LISTEN=127.0.0.1:$(node_port "$n") ALLIANCE_PID_FILE=$pidf ALLIANCE_NODE_INDEX=$((n - 1)) \
    ALLIANCE_SCHEMA_DIR=$root/schema \
    setsid build/release/allianced --config conf/allianced.conf >>"$dir/node$n.log" 2>&1 &
  for _ in $(seq 1 100); do
    curl -s -o /dev/null "http://127.0.0.1:$(node_port "$n")/healthz" && return 0
    sleep 0.1
  done
  echo "allianced node $n did not start, see $dir/node$n.log" >&2
  return 1
}

stop_node() {
  local pidf=$dir/node$1.pid pid
  [ -f "$pidf" ] || return 0
  pid=$(cat "$pidf")
  kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq 1 300); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
}

haproxy_config() {
  cat <<CFG
# Made by scripts/cluster.sh; remade at every start.
global
  maxconn 8192
defaults
  mode http
  timeout connect 2s
  timeout client 60s
  timeout server 60s
  option redispatch
  retries 2
frontend alliance
  bind $listen
  default_backend nodes
backend nodes
  balance roundrobin
  option httpchk GET /readyz
  http-check expect status 200
  default-server inter 500ms fall 2 rise 2
  server node1 127.0.0.1:$(node_port 1) check
  server node2 127.0.0.1:$(node_port 2) check
listen stats
  bind 127.0.0.1:$base_port
  stats enable
  stats uri /
CFG
}

# Everything up, in the background: the databases, the server nodes, HAProxy (a daemon).
up() {
  echo "== packages"
  scripts/deps.sh --cluster
  echo "== building build/release"
  cmake -S . -B build/release -DCMAKE_BUILD_TYPE=RelWithDebInfo -DALLIANCE_TESTS=OFF >/dev/null
  cmake --build build/release -j"$(nproc)" >/dev/null
  umask 077
  load_secrets
  echo "== the database cluster ($dir/db1..3)"
  start_db 1
  start_db 2
  start_db 3
  size=$(echo "SHOW STATUS LIKE 'wsrep_cluster_size'" | scripts/db.sh sql "$dir/db1" -N | awk '{print $2}')
  echo "   wsrep_cluster_size=$size"
  echo "== two server nodes"
  start_node 1 # the first applies the schema; the second finds it done
  start_node 2
  echo "== HAProxy on $listen"
  local old
  old=$(haproxy_pid)
  [ -n "$old" ] && kill "$old" 2>/dev/null # one balancer: a stale one would share the port
  haproxy_config >"$dir/haproxy.cfg"
  haproxy -f "$dir/haproxy.cfg" -D -p "$dir/haproxy.pid" >>"$dir/haproxy.log" 2>&1
  for _ in $(seq 1 50); do
    curl -s -o /dev/null "http://$listen/healthz" && break
    sleep 0.1
  done
}

haproxy_pid() { cat "$dir/haproxy.pid" 2>/dev/null || true; }

down() {
  local pid
  pid=$(haproxy_pid)
  [ -n "$pid" ] && kill "$pid" 2>/dev/null
  rm -f "$dir/haproxy.pid"
  stop_node 2
  stop_node 1
  stop_db 3
  stop_db 2
  stop_db 1 # the last one stopped founds the cluster again next time
  echo "Stopped HAProxy, both server nodes and the three database nodes (data kept in $dir/)."
}

run() {
  trap 'trap - INT TERM EXIT; down; exit 0' INT TERM
  trap 'down' EXIT
  up
  local url="http://$listen"
  cat <<TXT

The cluster is up: HAProxy on $url balances allianced nodes 1 and 2 (ports $(node_port 1),
$(node_port 2)), each writing through its own Galera node (var/cluster/db1, db2; db3 a third
copy). HAProxy's statistics: http://127.0.0.1:$base_port/. Try:

  curl -s $url/readyz
  curl -s -X POST $url/v1/tenants -H 'Authorization: Bearer $ALLIANCE_OPERATOR_TOKEN' \\
       -d '{"id":"acme","name":"Acme Rewards"}'
  echo "SHOW STATUS LIKE 'wsrep_cluster_size'" | scripts/db.sh sql var/cluster/db2

Drills (another shell): scripts/cluster.sh kill-db 2 | stop-db N | start-db N | stop-node N |
start-node N. Operator token: $ALLIANCE_OPERATOR_TOKEN (var/cluster/operator-token).
Ctrl-C stops everything; the data stays in var/cluster/.

TXT
  while kill -0 "$(haproxy_pid)" 2>/dev/null; do sleep 1; done
}

cmd=${1:-}
case "$cmd" in
run) run ;;
up) up ;;
down) down ;;
start-db) start_db "${2:?N}" ;;
stop-db) stop_db "${2:?N}" ;;
kill-db) kill_db "${2:?N}" ;;
start-node)
  umask 077
  load_secrets
  start_node "${2:?N}"
  ;;
stop-node) stop_node "${2:?N}" ;;
*)
  echo "usage: $0 run | up | down | start-db N | stop-db N | kill-db N | start-node N | stop-node N" >&2
  exit 2
  ;;
esac
