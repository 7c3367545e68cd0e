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
