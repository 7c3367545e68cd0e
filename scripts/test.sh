#!/usr/bin/env bash
# make test: packages, a sanitizer build, the private MariaDB, then every test.
# Exits non-zero when any test fails.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/deps.sh
cmake -S . -B build/asan -DCMAKE_BUILD_TYPE=Debug -DALLIANCE_SANITIZE=ON >/dev/null
cmake --build build/asan -j"$(nproc)" >/dev/null

scripts/db.sh start var/db
echo "DROP DATABASE IF EXISTS alliance_test; CREATE DATABASE alliance_test;" | scripts/db.sh sql var/db

export ALLIANCE_TEST_DB; ALLIANCE_TEST_DB=$(scripts/db.sh url var/db alliance_test)
export ALLIANCE_TEST_DB_SOCKET="$PWD/var/db/mysqld.sock"
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=0:halt_on_error=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
export LSAN_OPTIONS="suppressions=$PWD/tests/lsan.supp:print_suppressions=0"
mkdir -p var/tmp

failed=0
for suite in unit_tests integration_tests restart_tests; do
  echo "== $suite"
  build/asan/tests/$suite --jobs 2 || failed=1
done
if [ "$failed" != 0 ]; then
  echo "Some tests failed." >&2
  exit 1
fi
echo "All test suites passed."
