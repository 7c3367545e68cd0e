#!/usr/bin/env bash
# What `make run` prints once it is up, with placeholders for the tokens and keys: the README
# shows it, and `make lint` checks that the two have not drifted apart.
set -euo pipefail
cd "$(dirname "$0")/.."
base=http://127.0.0.1:8080
ALLIANCE_OPERATOR_TOKEN='<operator token>'
ALLIANCE_PID_FILE='var/allianced.pid'
admin='<demo admin key>'
partner_key='<key id>'
partner_secret='<secret>'
calibration='<180 days ago>'
statement='<statement id>'
body=$(sed -n '/^cat <<TXT$/,/^TXT$/p' scripts/run.sh | sed '1d;$d')
eval "cat <<TXT
$body
TXT" | sed '1{/^$/d}'
