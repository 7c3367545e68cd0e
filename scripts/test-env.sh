# Sourced by test.sh and fuzz.sh: the private MariaDBs started (var/db, and
# var/db2 for the two-cluster tests), the test database on each (made if
# missing), and what the tests and the sanitizers read.
scripts/db.sh start var/db
echo "CREATE DATABASE IF NOT EXISTS alliance_test" | scripts/db.sh sql var/db
export ALLIANCE_TEST_DB; ALLIANCE_TEST_DB=$(scripts/db.sh url var/db alliance_test)
export ALLIANCE_TEST_DB_SOCKET="$PWD/var/db/mysqld.sock"
# A second private MariaDB: the second database cluster of the two-cluster tests.
scripts/db.sh start var/db2
echo "CREATE DATABASE IF NOT EXISTS alliance_test" | scripts/db.sh sql var/db2
export ALLIANCE_TEST_DB2; ALLIANCE_TEST_DB2=$(scripts/db.sh url var/db2 alliance_test)
export ALLIANCE_TEST_DB2_SOCKET="$PWD/var/db2/mysqld.sock"
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=0:halt_on_error=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
export LSAN_OPTIONS="suppressions=$PWD/tests/lsan.supp:print_suppressions=0"
