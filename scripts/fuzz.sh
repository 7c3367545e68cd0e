#!/usr/bin/env bash
# make fuzz: builds each libFuzzer driver in tests/fuzz/ with ASan + UBSan and
# runs it for FUZZ_RUNS inputs (default 1,000,000). A crash or a sanitizer
# report stops with the reproducer in var/fuzz/<driver>/.
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
build fuzz_config server/core/config.c server/core/ids.c server/core/log.c
build fuzz_text server/db/db_url.c server/core/ids.c server/core/log.c server/http/router.c

for d in fuzz_config fuzz_text; do
  corpus="var/fuzz/$d"
  mkdir -p "$corpus"
  [ -d "tests/fuzz/corpus/$d" ] && cp -n tests/fuzz/corpus/$d/* "$corpus/" 2>/dev/null || true
  echo "== $d: $runs runs"
  "$out/$d" -runs="$runs" -max_len=4096 -artifact_prefix="$corpus/" "$corpus" 2>&1 | tail -3
done
echo "fuzz: no crash"
