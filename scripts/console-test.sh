#!/usr/bin/env bash
# make test's browser journeys (tests/console/journeys.mjs): Debian's Chromium,
# driven by playwright-core and checked by axe-core (tests/console/, from the npm
# registry at the versions its package-lock.json pins), against the server built
# at $1 (build/asan/allianced by default) on a fresh database, alliance_console,
# of the private MariaDB. Screenshots of every page: build/console-screens/.
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${1:-build/asan/allianced}
scripts/deps.sh --browser
if [ ! -d tests/console/node_modules/playwright-core ] ||
   [ tests/console/package-lock.json -nt tests/console/node_modules/.package-lock.json ]; then
  npm ci --prefix tests/console --no-audit --no-fund --loglevel=error >/dev/null
fi
scripts/db.sh start var/db
echo "DROP DATABASE IF EXISTS alliance_console; CREATE DATABASE alliance_console" | scripts/db.sh sql var/db
mkdir -p var/tmp build
rm -rf build/console-screens var/tmp/console.port
ALLIANCE_DB=$(scripts/db.sh url var/db alliance_console)
ALLIANCE_OPERATOR_TOKEN=$(openssl rand -hex 24)
ALLIANCE_MASTER_KEY=$(openssl rand -hex 32)
ALLIANCE_SETTLEMENT_KEY=$(openssl rand -hex 32)
export ALLIANCE_DB ALLIANCE_OPERATOR_TOKEN ALLIANCE_MASTER_KEY ALLIANCE_SETTLEMENT_KEY
# The reference plugins built beside the server (conf/allianced.conf names make run's).
ALLIANCE_PLUGIN_DIR=$(cd "$(dirname "$bin")" && pwd)/plugins
export ALLIANCE_PLUGIN_DIR
export ALLIANCE_LISTEN=127.0.0.1:0 ALLIANCE_SCHEMA_DIR=$PWD/schema ALLIANCE_PID_FILE=
"$bin" --config conf/allianced.conf --port-file var/tmp/console.port >var/tmp/console-server.log 2>&1 &
server=$!
stop() { kill -TERM "$server" 2>/dev/null || true; }
trap stop EXIT
for _ in $(seq 1 300); do
  [ -s var/tmp/console.port ] && break
  kill -0 "$server" 2>/dev/null || { cat var/tmp/console-server.log >&2; exit 1; }
  sleep 0.1
done
[ -s var/tmp/console.port ] || { echo "console: the server did not start" >&2; exit 1; }
rc=0
node tests/console/journeys.mjs "http://127.0.0.1:$(cat var/tmp/console.port)" \
  "$ALLIANCE_OPERATOR_TOKEN" build/console-screens || rc=1
# The server must stop cleanly: a sanitizer's report is a failure.
trap - EXIT
kill -TERM "$server"
wait "$server" || { echo "console: the server did not exit cleanly (var/tmp/console-server.log)" >&2; rc=1; }
grep -E "ERROR: (Address|Leak)Sanitizer|runtime error:" var/tmp/console-server.log >&2 && rc=1
exit $rc
