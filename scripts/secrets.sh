#!/usr/bin/env bash
# The secrets make run keeps in a folder (var/ by default), readable by their
# owner only (0600): the operator token, the master key partner secrets are
# sealed under, the settlement signing seed, and the demo's admin key and
# partner secrets. Makes the first three when absent; a file an older checkout
# wrote readable by others is made private. Prints nothing.
#
#   scripts/secrets.sh [DIR]
set -euo pipefail
dir=${1:-var}
umask 077
mkdir -p "$dir"
for f in operator-token demo-admin-key demo-partner demo-partners master-key settlement-key; do
  [ -e "$dir/$f" ] && chmod 600 "$dir/$f"
done
[ -s "$dir/operator-token" ] || openssl rand -hex 24 >"$dir/operator-token"
[ -s "$dir/master-key" ] || openssl rand -hex 32 >"$dir/master-key"
[ -s "$dir/settlement-key" ] || openssl rand -hex 32 >"$dir/settlement-key"
exit 0
