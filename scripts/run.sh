#!/usr/bin/env bash
# make run: packages, build, a private MariaDB under var/, the server, and a
# demo alliance. Ctrl-C stops the server and the database. Data stays in var/.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

echo "== packages"
scripts/deps.sh
echo "== building build/release (the first time takes a minute or two)"
cmake -S . -B build/release -DCMAKE_BUILD_TYPE=RelWithDebInfo -DALLIANCE_TESTS=OFF >/dev/null
# One line of progress, redrawn: cmake's percentage and the target it builds.
cmake --build build/release -j"$(nproc)" |
  awk '/^\[ *[0-9]+%\]/ { printf "\r  %-6s %-60.60s", $1 $2, $NF; fflush() }
       / error|Error / { print; fflush() } END { printf "\r  built.%-66s\n", "" }'

echo "== the database (var/db)"
scripts/db.sh start var/db
# Every file made from here on is private (0600): tokens, keys, the demo's secrets.
umask 077
scripts/secrets.sh var
ALLIANCE_OPERATOR_TOKEN=${ALLIANCE_OPERATOR_TOKEN:-$(cat var/operator-token)}
# The key partner secrets are sealed under; kept so that they stay readable.
ALLIANCE_MASTER_KEY=${ALLIANCE_MASTER_KEY:-$(cat var/master-key)}
# The Ed25519 seed closed statements are signed with.
ALLIANCE_SETTLEMENT_KEY=${ALLIANCE_SETTLEMENT_KEY:-$(cat var/settlement-key)}
export ALLIANCE_OPERATOR_TOKEN ALLIANCE_MASTER_KEY ALLIANCE_SETTLEMENT_KEY
export ALLIANCE_DB=${ALLIANCE_DB:-$(scripts/db.sh url var/db alliance)}
export ALLIANCE_LISTEN=${ALLIANCE_LISTEN:-127.0.0.1:8080}
export ALLIANCE_SCHEMA_DIR=${ALLIANCE_SCHEMA_DIR:-$root/schema}

rm -f var/run.port
echo "== the server"
export ALLIANCE_PID_FILE=${ALLIANCE_PID_FILE:-$root/var/allianced.pid}
build/release/allianced --config conf/allianced.conf --port-file var/run.port &
server=$!
stop() {
  trap - INT TERM EXIT
  kill -TERM "$server" 2>/dev/null || true
  wait "$server" 2>/dev/null || true
  scripts/db.sh stop var/db
  echo "Stopped the server and the database (data kept in var/)."
}
# Ctrl-C is the way to stop: a requested stop exits 0. Any other end stops too.
trap 'stop; exit 0' INT TERM
trap stop EXIT

for _ in $(seq 1 100); do
  [ -s var/run.port ] && break
  kill -0 "$server" 2>/dev/null || { echo "allianced did not start (see above)" >&2; exit 1; }
  sleep 0.1
done
[ -s var/run.port ] || { echo "allianced did not start in 10 s" >&2; exit 1; }
host=${ALLIANCE_LISTEN%:*}
base="http://$host:$(cat var/run.port)"

# The demo alliance: made once; its admin key is kept in var/ since the server
# shows it only when the tenant is created.
if [ ! -s var/demo-admin-key ]; then
  reply=$(curl -s -X POST "$base/v1/tenants" -H "Authorization: Bearer $ALLIANCE_OPERATOR_TOKEN" \
    -d '{"id":"demo","name":"Demo Alliance"}')
  key=$(printf '%s' "$reply" | sed -n 's/.*"admin_key":"\([^"]*\)".*/\1/p')
  if [ -n "$key" ]; then echo "$key" >var/demo-admin-key; else echo "demo alliance: $reply" >&2; fi
fi
admin=$(cat var/demo-admin-key 2>/dev/null || echo '<see var/demo-admin-key>')

# The demo's partners and story (scripts/demo.sh): the bank once, the rest of the story once.
if [ -s var/demo-admin-key ]; then
  scripts/demo.sh "$base" "$admin"
fi
read -r partner_key partner_secret <var/demo-partner 2>/dev/null || true
calibration=$(date -u -d '180 days ago' +%Y-%m-%d)
statement=$(cat var/demo-statement 2>/dev/null || echo '<id>')

cat <<TXT

allianced is up on $base (logs: one JSON line per request, below).

The console, for program managers and finance: $base/console/
  sign in with the demo admin key: $admin

The demo alliance is "demo", with the partner "demo-bank" (bank plugin). Try:

  curl -s $base/healthz
  curl -s $base/readyz
  curl -s -X POST $base/v1/tenants -H 'Authorization: Bearer $ALLIANCE_OPERATOR_TOKEN' \\
       -d '{"id":"acme","name":"Acme Rewards"}'
  curl -s $base/v1/tenants/demo -H 'Authorization: Bearer $admin'
  curl -s $base/v1/partners -H 'Authorization: Bearer $admin'
  curl -s $base/v1/plugins -H 'Authorization: Bearer $admin'
  scripts/partner-curl.sh $base ${partner_key:-KEY} ${partner_secret:-SECRET} POST /v1/transactions \\
       '{"id":"t-'\$RANDOM'","member":"alice","data":{"type":"purchase","amount_minor":12345,"currency":"CNY","mcc":"5411"}}'
  scripts/partner-curl.sh $base ${partner_key:-KEY} ${partner_secret:-SECRET} POST /v1/redemptions \\
       '{"id":"r-'\$RANDOM'","member":"alice","points":100}'
  curl -s $base/v1/members/alice -H 'Authorization: Bearer $admin'
  curl -s $base/v1/ledger/trial-balance -H 'Authorization: Bearer $admin'

The demo alliance's story: partners demo-bank, demo-insure and demo-shop; tiers normal, silver
and gold and a weekend promotion at the shop; 240 members over 18 months, active, lapsing, lost
and new (m0001 ... m0240); a closed settlement period. Its value and lifecycle (docs/analytics.md):

  curl -s '$base/v1/members/m0001' -H 'Authorization: Bearer $admin'
  curl -s '$base/v1/members/m0001/history?limit=3' -H 'Authorization: Bearer $admin'
  curl -s '$base/v1/analytics/rfm?limit=3' -H 'Authorization: Bearer $admin'
  curl -s '$base/v1/analytics/lifecycle?limit=3' -H 'Authorization: Bearer $admin'
  curl -s '$base/v1/analytics/clv?calibration_end=$calibration&limit=3' -H 'Authorization: Bearer $admin'
  curl -s '$base/v1/analytics/churn?limit=3' -H 'Authorization: Bearer $admin'
  curl -s '$base/v1/analytics/affinity' -H 'Authorization: Bearer $admin'
  curl -s '$base/v1/settlements/$statement' -H 'Authorization: Bearer $admin'
  build/release/alliancectl --url $base --key $admin settlement csv $statement

Operator token: $ALLIANCE_OPERATOR_TOKEN (var/operator-token, or set ALLIANCE_OPERATOR_TOKEN)
Plugins: build/release/plugins; after changing one there, reload with
  curl -s -X POST $base/v1/admin/plugins/reload -H 'Authorization: Bearer $ALLIANCE_OPERATOR_TOKEN'
  or: kill -HUP \$(cat $ALLIANCE_PID_FILE)
Finance's command line: build/release/alliancectl --help
Ctrl-C stops the server and the database; the data stays in var/.

TXT
wait "$server"
