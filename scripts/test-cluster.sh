#!/usr/bin/env bash
# make test-cluster: the failure drills (tests/cluster/) on the cluster of
# scripts/cluster.sh, started here in the background and stopped at the end:
# racing redemptions over both server nodes, kill -9 of a database node under
# load, a server node stopped under load. Not part of make test (it takes
# minutes and three database nodes).
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/deps.sh --cluster
cmake -S . -B build/asan -DCMAKE_BUILD_TYPE=Debug -DALLIANCE_SANITIZE=ON >/dev/null
cmake --build build/asan -j"$(nproc)" --target cluster_tests >/dev/null

# The cluster runs with the credentials the test harness uses (tests/integration/harness.h).
export ALLIANCE_LISTEN=${ALLIANCE_CLUSTER_TEST_LISTEN:-127.0.0.1:18190}
export ALLIANCE_OPERATOR_TOKEN=test-operator-token-0123456789abcdef
export ALLIANCE_MASTER_KEY=00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff
export ALLIANCE_SETTLEMENT_KEY=$ALLIANCE_MASTER_KEY
base=${ALLIANCE_CLUSTER_PORT:-18180}
trap 'scripts/cluster.sh down' EXIT
scripts/cluster.sh up

export ALLIANCE_CLUSTER_LB_PORT=${ALLIANCE_LISTEN##*:}
export ALLIANCE_CLUSTER_NODE1_PORT=$((base + 1)) ALLIANCE_CLUSTER_NODE2_PORT=$((base + 2))
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=0:halt_on_error=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
echo "== drills"
build/asan/tests/cluster_tests --jobs 1
