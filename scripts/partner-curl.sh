#!/usr/bin/env bash
# A signed partner request, as the README says ("Using the API"), with curl:
#   scripts/partner-curl.sh BASE_URL KEY_ID SECRET METHOD PATH [BODY]
# e.g. scripts/partner-curl.sh http://127.0.0.1:8080 pk_... 9f... POST /v1/transactions:simulate '{"data":{...}}'
# A BODY of @FILE sends that file as it is.
set -euo pipefail
[ $# -ge 5 ] || { echo "usage: $0 BASE_URL KEY_ID SECRET METHOD PATH [BODY|@FILE]" >&2; exit 2; }
base=$1 key=$2 secret=$3 method=$4 path=$5 body=${6:-}
ts=$(date +%s)
if [ "${body:0:1}" = "@" ]; then
  file=${body:1}
  body_hash=$(openssl dgst -sha256 -r <"$file" | cut -d' ' -f1)
else
  file=""
  body_hash=$(printf '%s' "$body" | openssl dgst -sha256 -r | cut -d' ' -f1)
fi
sig=$(printf '%s\n%s\n%s\n%s' "$method" "$path" "$ts" "$body_hash" |
  openssl dgst -sha256 -hmac "$secret" -r | cut -d' ' -f1)
args=(-s -X "$method" "$base$path" -H "X-Alliance-Key: $key" -H "X-Alliance-Timestamp: $ts"
      -H "X-Alliance-Signature: $sig")
if [ -n "$file" ]; then
  args+=(-H 'Content-Type: application/json' --data-binary "@$file")
elif [ -n "$body" ]; then
  args+=(-H 'Content-Type: application/json' --data-binary "$body")
fi
curl "${args[@]}"
echo
