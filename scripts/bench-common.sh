# Sourced by the bench scripts (from the project's root, with $root set):
# the release build, the private database, and allianced on a fresh database.

# Packages, the release build, the private MariaDB, var/bench/.
bench_build() {
  scripts/deps.sh
  cmake -S . -B build/release -DCMAKE_BUILD_TYPE=RelWithDebInfo -DALLIANCE_TESTS=OFF >/dev/null
  cmake --build build/release -j"$(nproc)" >/dev/null
  scripts/db.sh start var/db
  mkdir -p var/bench
}

# bench_server DB NAME: allianced on a fresh database DB, port 0, stopped on
# exit; its port in var/bench/NAME.port, its log in var/bench/NAME.log. Sets
# server (its pid) and base (its URL). ALLIANCE_* already exported apply too.
bench_server() {
  local db=$1 name=$2
  echo "DROP DATABASE IF EXISTS $db;" | scripts/db.sh sql var/db
  export ALLIANCE_DB; ALLIANCE_DB=$(scripts/db.sh url var/db "$db")
  export ALLIANCE_OPERATOR_TOKEN; ALLIANCE_OPERATOR_TOKEN=$(openssl rand -hex 16)
  export ALLIANCE_MASTER_KEY; ALLIANCE_MASTER_KEY=$(openssl rand -hex 32)
  export ALLIANCE_LISTEN=127.0.0.1:0 ALLIANCE_SCHEMA_DIR="$root/schema" ALLIANCE_LOG_LEVEL=warn
  export ALLIANCE_PLUGIN_DIR="$root/build/release/plugins"
  rm -f "var/bench/$name.port"
  build/release/allianced --port-file "var/bench/$name.port" 2>"var/bench/$name.log" &
  server=$!
  trap 'kill -TERM $server 2>/dev/null; wait $server 2>/dev/null || true' EXIT
  for _ in $(seq 1 100); do [ -s "var/bench/$name.port" ] && break; sleep 0.1; done
  base="http://127.0.0.1:$(cat "var/bench/$name.port")"
}

# bench_tenant ID NAME: creates the tenant; sets admin (its admin key).
bench_tenant() {
  admin=$(curl -s -X POST "$base/v1/tenants" -H "Authorization: Bearer $ALLIANCE_OPERATOR_TOKEN" \
    -d "{\"id\":\"$1\",\"name\":\"$2\"}" | sed -n 's/.*"admin_key":"\([^"]*\)".*/\1/p')
  [ -n "$admin" ] || { echo "bench set-up failed: no tenant $1" >&2; exit 1; }
}

# bench_partner: the bank partner of the tenant (2 points a yuan at groceries);
# sets key and secret.
bench_partner() {
  local partner
  partner=$(curl -s -X POST "$base/v1/partners" -H "Authorization: Bearer $admin" -d '{
    "id":"bank","name":"Bank","plugin":"bank",
    "config":{"currency":"CNY","spend_minor_per_point":100,"mcc_multipliers":{"5411":2}},
    "contract":{"currency":"CNY","issue_minor_per_1000":800,"redeem_minor_per_1000":600}}')
  key=$(echo "$partner" | sed -n 's/.*"key_id":"\([^"]*\)".*/\1/p')
  secret=$(echo "$partner" | sed -n 's/.*"secret":"\([^"]*\)".*/\1/p')
  [ -n "$key" ] || { echo "bench set-up failed: $partner" >&2; exit 1; }
}

# bench_seed N: members m0..m(N-1) with a million points each (batch intake).
bench_seed() {
  local members=$1 start end m booked
  echo "== seeding $members members with points (batch intake)"
  for start in $(seq 0 2000 $((members - 1))); do
    end=$((start + 1999)); [ $end -ge "$members" ] && end=$((members - 1))
    for m in $(seq "$start" "$end"); do
      printf '{"id":"seed-%d","member":"m%d","data":{"type":"purchase","amount_minor":100000000,"currency":"CNY","mcc":"1000"}}\n' "$m" "$m"
    done >var/bench/seed.ndjson
    scripts/partner-curl.sh "$base" "$key" "$secret" POST /v1/transactions:batch @var/bench/seed.ndjson \
      >var/bench/seed.out
    booked=$(grep -c '"status":201' var/bench/seed.out || true)
    [ "$booked" = $((end - start + 1)) ] || { echo "seeding failed: $(head -c 300 var/bench/seed.out)" >&2; exit 1; }
  done
}
