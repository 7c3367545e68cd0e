#!/usr/bin/env bash
# make test: packages, a sanitizer build, the private MariaDB, then every test.
# Exits non-zero when any test fails.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/deps.sh
cmake -S . -B build/asan -DCMAKE_BUILD_TYPE=Debug -DALLIANCE_SANITIZE=ON >/dev/null
cmake --build build/asan -j"$(nproc)" >/dev/null

scripts/db.sh start var/db
echo "DROP DATABASE IF EXISTS alliance_test" | scripts/db.sh sql var/db # a fresh one
if scripts/db.sh status var/db2; then echo "DROP DATABASE IF EXISTS alliance_test" | scripts/db.sh sql var/db2; fi
# shellcheck source=scripts/test-env.sh
. scripts/test-env.sh
rm -rf var/tmp && mkdir -p var/tmp
# Every answer the tests receive is recorded for the OpenAPI check at the end.
export ALLIANCE_TEST_RECORD=$PWD/var/tmp/answers.jsonl

failed=0 passed_total=0 failed_total=0
for suite in unit_base unit_domain unit_transport integration_tests serial_tests; do
  echo "== $suite"
  log="var/tmp/$suite.out"
  # pipefail: the pipeline fails when the suite does.
  jobs=2
  [ "$suite" = serial_tests ] && jobs=1
  build/asan/tests/$suite --jobs $jobs 2>&1 | tee "$log" || failed=1
  line=$(grep 'Synthesis:' "$log" | tail -1 | sed 's/\x1b\[[0-9;]*m//g')
  passing=$(echo "$line" | sed -n 's/.*Passing: \([0-9]*\).*/\1/p')
  failing=$(echo "$line" | sed -n 's/.*Failing: \([0-9]*\) | Crashing: \([0-9]*\).*/\1 \2/p')
  passed_total=$((passed_total + ${passing:-0}))
  for n in $failing; do failed_total=$((failed_total + n)); done
  [ -n "$line" ] || { echo "$suite printed no summary" >&2; failed=1; }
  # A suite's .fini exits non-zero when its server did not stop cleanly (a
  # sanitizer report) or the books do not balance; Criterion only warns.
  teardown=$(grep -c 'during its setup or teardown' "$log" || true)
  if [ "$teardown" != 0 ]; then
    echo "$suite: $teardown tests failed in their set-up or teardown (see above)" >&2
    failed=1
    failed_total=$((failed_total + teardown))
  fi
done
# The console in a browser: its journeys, axe-core, screenshots in build/console-screens/.
echo "== console (Chromium)"
scripts/console-test.sh build/asan/allianced || failed=1

# A short run of every fuzz driver (make fuzz runs a million inputs each), and the
# whole surface: 100,000 mutated requests to the server.
echo "== fuzz (100000 inputs a driver)"
FUZZ_RUNS=100000 scripts/fuzz.sh 2>&1 | grep -E '^==|^fuzz:|^surface:|ERROR|SUMMARY' || failed=1

# Every answer above against docs/openapi.json (and every route in it).
echo "== openapi"
scripts/openapi-check.sh "$ALLIANCE_TEST_RECORD" || failed=1

echo "tests: $passed_total passed, $failed_total failed"
if [ "$failed" != 0 ]; then
  echo "Some tests failed (or a server did not exit cleanly; see above)." >&2
  exit 1
fi
echo "All test suites passed."
