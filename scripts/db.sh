#!/usr/bin/env bash
# A private MariaDB under a folder of the project: its own datadir and unix
# socket, no TCP port, never the system service.
#
#   scripts/db.sh start DIR    create (first time) and start; waits until ready
#   scripts/db.sh stop DIR     stop it and wait until it has gone
#   scripts/db.sh status DIR   exit 0 when it answers
#   scripts/db.sh sql DIR      a mariadb client on it (root), reading stdin
#   scripts/db.sh url DIR DB   the ALLIANCE_DB url for database DB
set -euo pipefail

cmd=${1:-}
dir=${2:-}
[ -n "$cmd" ] && [ -n "$dir" ] || { echo "usage: $0 start|stop|status|sql|url DIR [DB]" >&2; exit 2; }
mkdir -p "$dir"
dir=$(cd "$dir" && pwd)
sock="$dir/mysqld.sock"
pidf="$dir/mysqld.pid"
data="$dir/data"
user_opt=()
[ "$(id -u)" = 0 ] && user_opt=(--user=root)

answers() { mariadb-admin --no-defaults --socket="$sock" -uroot ping >/dev/null 2>&1; }

case "$cmd" in
start)
  if answers; then exit 0; fi
  if [ ! -d "$data/mysql" ]; then
    mariadb-install-db --no-defaults "${user_opt[@]}" --datadir="$data" \
      --auth-root-authentication-method=socket --skip-test-db >"$dir/install.log" 2>&1 \
      || { echo "mariadb-install-db failed, see $dir/install.log" >&2; exit 1; }
  fi
  # innodb_flush_log_at_trx_commit=1 stays: durability is part of the contract.
  mariadbd --no-defaults "${user_opt[@]}" --datadir="$data" --socket="$sock" \
    --pid-file="$pidf" --skip-networking --log-error="$dir/error.log" \
    --innodb-buffer-pool-size=256M --innodb-flush-log-at-trx-commit=1 \
    --max-connections=500 --character-set-server=utf8mb4 \
    --collation-server=utf8mb4_bin >/dev/null 2>&1 &
  for _ in $(seq 1 300); do
    answers && break
    sleep 0.1
  done
  answers || { echo "MariaDB did not start, see $dir/error.log" >&2; exit 1; }
  # The application's own user; root stays socket-only.
  mariadb --no-defaults --socket="$sock" -uroot <<'SQL'
CREATE USER IF NOT EXISTS 'alliance'@'localhost' IDENTIFIED BY 'alliance';
GRANT ALL PRIVILEGES ON *.* TO 'alliance'@'localhost';
SQL
  ;;
stop)
  if [ -f "$pidf" ]; then
    pid=$(cat "$pidf")
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 1 300); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.1
    done
  fi
  ;;
status)
  answers
  ;;
sql)
  exec mariadb --no-defaults --socket="$sock" -uroot "${@:3}"
  ;;
url)
  echo "mysql://alliance:alliance@localhost/${3:-alliance}?socket=$sock"
  ;;
*)
  echo "unknown command $cmd" >&2; exit 2
  ;;
esac
