#!/usr/bin/env bash
# A private MariaDB under a folder of the project: its own datadir and unix
# socket, no TCP port, never the system service.
#
#   scripts/db.sh start DIR    create (first time) and start; waits until ready
#   scripts/db.sh stop DIR     stop it and wait until it has gone
#   scripts/db.sh status DIR   exit 0 when it answers
#   scripts/db.sh sql DIR      a mariadb client on it (root), reading stdin
#   scripts/db.sh url DIR DB   the ALLIANCE_DB url for database DB
#   scripts/db.sh kill DIR     kill -9, for failure drills
#
# DB_EXTRA_ARGS adds options to mariadbd (a Galera node's, scripts/cluster.sh);
# DB_WAIT_S is how long start waits for it to answer (default 30 s);
# DB_WSREP_RECOVER=1 recovers a killed Galera node's position first.
#
# Nothing of it is open to other local users: mariadbd runs as an unprivileged
# user (mysql when started by root, else the caller), DIR (datadir, socket, pid)
# is that user's alone (0700; root and the caller reach it), and the
# application's user 'alliance' may use only the project's databases (alliance
# and alliance_*), with no global privilege (no FILE, no SUPER).
set -euo pipefail

cmd=${1:-}
dir=${2:-}
[ -n "$cmd" ] && [ -n "$dir" ] || { echo "usage: $0 start|stop|status|kill|sql|url DIR [DB]" >&2; exit 2; }
mkdir -p "$dir"
dir=$(cd "$dir" && pwd)
db_user=$(id -un)
[ "$(id -u)" = 0 ] && db_user=mysql # the account Debian's mariadb-server makes

# Root starts it: DIR becomes the database user's. When that user cannot reach
# DIR (a checkout under /root), the files live in /var/lib/allianced-db/<hash>
# and DIR is a link to them; root, who runs the project, follows it.
own_dir() {
  [ "$(id -u)" = 0 ] || { chmod 700 "$dir"; return; }
  id "$db_user" >/dev/null 2>&1 || { echo "no user $db_user (is mariadb-server installed?)" >&2; exit 1; }
  if [ ! -L "$dir" ] && ! runuser -u "$db_user" -- test -x "$(dirname "$dir")"; then
    local real
    real=/var/lib/allianced-db/$(echo "$dir" | sha256sum | cut -c1-16)
    mkdir -p "$real" && chmod 711 /var/lib/allianced-db
    [ -n "$(ls -A "$dir")" ] && mv "$dir"/* "$real"/
    rmdir "$dir" && ln -s "$real" "$dir"
  fi
  local real_dir
  real_dir=$(readlink -f "$dir")
  [ "$(stat -c %U "$real_dir")" = "$db_user" ] || chown -R "$db_user": "$real_dir"
  [ ! -d "$real_dir/data" ] || [ "$(stat -c %U "$real_dir/data")" = "$db_user" ] ||
    chown -R "$db_user": "$real_dir"
  chmod 700 "$real_dir"
}
sock="$dir/mysqld.sock"
pidf="$dir/mysqld.pid"
data="$dir/data"

answers() { mariadb-admin --no-defaults --socket="$sock" -uroot ping >/dev/null 2>&1; }
# Answers queries on tables: a Galera node still joining answers pings, not queries.
serves() {
  mariadb --no-defaults --socket="$sock" -uroot -e "SELECT COUNT(*) FROM mysql.db" >/dev/null 2>&1
}

case "$cmd" in
start)
  if answers; then exit 0; fi
  own_dir
  real=$(readlink -f "$dir") # the database user may not reach the link
  data=$real/data
  if [ ! -d "$data/mysql" ]; then
    mariadb-install-db --no-defaults --user="$db_user" --datadir="$data" \
      --auth-root-authentication-method=socket --skip-test-db >"$dir/install.log" 2>&1 \
      || { echo "mariadb-install-db failed, see $dir/install.log" >&2; exit 1; }
  fi
  recovered=""
  if [ -n "${DB_WSREP_RECOVER:-}" ] && grep -q '^seqno: *-1' "$data/grastate.dat" 2>/dev/null; then
    # A Galera node that was killed: the position InnoDB reached, so that it catches
    # up by incremental transfer, not a whole copy (what mysqld_safe --wsrep-recover does).
    rm -f "$real/recover.log" # made by the database user, who writes it
    # shellcheck disable=SC2086 # DB_EXTRA_ARGS is a list of options
    mariadbd --no-defaults --user="$db_user" --datadir="$data" --log-error="$real/recover.log" \
      --innodb-buffer-pool-size=256M ${DB_EXTRA_ARGS:-} --wsrep-recover >/dev/null 2>&1 || true
    pos=$(sed -n 's/.*WSREP: Recovered position: *//p' "$real/recover.log" | tail -1)
    [ -n "$pos" ] && recovered="--wsrep-start-position=$pos"
  fi
  # innodb_flush_log_at_trx_commit=1 stays: durability is part of the contract.
  mariadbd --no-defaults --user="$db_user" --datadir="$data" --socket="$real/mysqld.sock" \
    --pid-file="$real/mysqld.pid" --skip-networking --log-error="$real/error.log" \
    --innodb-buffer-pool-size=256M --innodb-flush-log-at-trx-commit=1 \
    --max-connections=500 --character-set-server=utf8mb4 \
    --collation-server=utf8mb4_bin ${DB_EXTRA_ARGS:-} $recovered >/dev/null 2>&1 &
  started=$!
  for _ in $(seq 1 $((${DB_WAIT_S:-30} * 10))); do
    serves && break
    kill -0 "$started" 2>/dev/null || break # it gave up: no use waiting
    sleep 0.1
  done
  serves || { echo "MariaDB did not start, see $dir/error.log" >&2; exit 1; }
  # The application's own user, on the project's databases only; root stays
  # socket-only. A datadir made before kept a global grant: it goes here.
  mariadb --no-defaults --socket="$sock" -uroot <<'SQL'
CREATE USER IF NOT EXISTS 'alliance'@'localhost' IDENTIFIED BY 'alliance';
REVOKE ALL PRIVILEGES, GRANT OPTION FROM 'alliance'@'localhost';
GRANT ALL PRIVILEGES ON `alliance`.* TO 'alliance'@'localhost';
GRANT ALL PRIVILEGES ON `alliance\_%`.* TO 'alliance'@'localhost';
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
kill)
  [ -f "$pidf" ] && kill -9 "$(cat "$pidf")" 2>/dev/null || true
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
