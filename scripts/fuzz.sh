#!/usr/bin/env bash
# make fuzz: builds each libFuzzer driver in tests/fuzz/ with ASan + UBSan and
# runs it for FUZZ_RUNS inputs (default 1,000,000). A crash or a sanitizer
# report stops with the reproducer in var/fuzz/<driver>/. Then the whole
# surface: FUZZ_SURFACE_RUNS (default 100,000) mutated requests to the server.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh --dev
runs=${FUZZ_RUNS:-1000000}
out=build/fuzz
mkdir -p "$out"
flags=(-std=c11 -D_GNU_SOURCE -g -O1 -fsanitize=fuzzer,address,undefined
       -fno-sanitize-recover=undefined -I server -I include)
libs=$(pkg-config --cflags --libs jansson libcrypto)

build() {
  local name=$1; shift
  # shellcheck disable=SC2086
  clang "${flags[@]}" "tests/fuzz/$name.c" "$@" $libs -o "$out/$name"
}
build fuzz_config server/core/config.c server/core/ids.c server/core/log.c server/core/text.c
build fuzz_text server/db/db_url.c server/core/ids.c server/core/log.c server/http/router.c
build fuzz_framing server/http/framing.c
build fuzz_import server/ledger/import_line.c server/analytics/value.c server/analytics/clv.c \
  server/core/tz.c \
  server/core/ids.c server/core/log.c -lm

# One driver per reference plugin: its translate (and config_load) on any input.
for p in bank insurer retailer; do
  build_as="fuzz_$p"
  # shellcheck disable=SC2086
  clang "${flags[@]}" -DFUZZ_PLUGIN_$(echo $p | tr a-z A-Z) tests/fuzz/fuzz_plugin.c \
    "plugins/$p/$p.c" server/plugins/host.c server/core/log.c $libs -o "$out/$build_as"
done

for d in fuzz_config fuzz_text fuzz_framing fuzz_import fuzz_bank fuzz_insurer fuzz_retailer; do
  corpus="var/fuzz/$d"
  mkdir -p "$corpus"
  [ -d "tests/fuzz/corpus/$d" ] && cp -n tests/fuzz/corpus/$d/* "$corpus/" 2>/dev/null || true
  dict=()
  case $d in
  fuzz_bank|fuzz_insurer|fuzz_retailer) dict=(-dict=tests/fuzz/plugins.dict) ;;
  fuzz_framing) dict=(-dict=tests/fuzz/framing.dict) ;;
  esac
  echo "== $d: $runs runs"
  if ! "$out/$d" -runs="$runs" -max_len=4096 "${dict[@]}" -artifact_prefix="$corpus/" \
       "$corpus" >"$corpus.log" 2>&1; then
    tail -40 "$corpus.log"
    echo "$d found a problem; the reproducer is in $corpus/" >&2
    exit 1
  fi
  grep '^Done' "$corpus.log"
done

# The whole surface: requests mutated from valid signed ones, to the real
# server under the sanitizers (tests/integration/fuzz_surface.c).
surface_runs=${FUZZ_SURFACE_RUNS:-100000}
echo "== surface: $surface_runs mutated requests to allianced"
cmake -S . -B build/asan -DCMAKE_BUILD_TYPE=Debug -DALLIANCE_SANITIZE=ON >/dev/null
cmake --build build/asan -j"$(nproc)" --target surface_fuzz >/dev/null
# shellcheck source=scripts/test-env.sh
. scripts/test-env.sh
mkdir -p var/tmp var/fuzz
if ! FUZZ_SURFACE_RUNS=$surface_runs build/asan/tests/surface_fuzz >var/fuzz/surface.log 2>&1 ||
   ! grep -q 'Synthesis: Tested: 1 | Passing: 1' var/fuzz/surface.log ||
   grep -q 'during its setup or teardown' var/fuzz/surface.log; then
  grep -a -v '^\[----\] *$' var/fuzz/surface.log | tail -40
  echo "the surface fuzz found a problem (var/fuzz/surface.log)" >&2
  exit 1
fi
grep -a '^surface:' var/fuzz/surface.log
echo "fuzz: no crash"
