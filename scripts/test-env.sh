# Sourced by test.sh and fuzz.sh: the private MariaDB started, the test
# database there (made if missing), and what the tests and the sanitizers read.
scripts/db.sh start var/db
echo "CREATE DATABASE IF NOT EXISTS alliance_test" | scripts/db.sh sql var/db
export ALLIANCE_TEST_DB; ALLIANCE_TEST_DB=$(scripts/db.sh url var/db alliance_test)
export ALLIANCE_TEST_DB_SOCKET="$PWD/var/db/mysqld.sock"
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=0:halt_on_error=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
export LSAN_OPTIONS="suppressions=$PWD/tests/lsan.supp:print_suppressions=0"
