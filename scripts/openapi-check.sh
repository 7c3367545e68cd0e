#!/usr/bin/env bash
# The OpenAPI check (make test runs it after the suites): every answer the
# integration tests received, recorded by the harness into $1, against
# docs/openapi.json, with ajv (tests/openapi/, from the npm registry at the
# versions its package-lock.json pins).
set -euo pipefail
cd "$(dirname "$0")/.."
records=${1:-var/tmp/answers.jsonl}
[ -s "$records" ] || { echo "openapi: no answers recorded in $records" >&2; exit 1; }
if [ ! -d tests/openapi/node_modules/ajv ] ||
   [ tests/openapi/package-lock.json -nt tests/openapi/node_modules/.package-lock.json ]; then
  npm ci --prefix tests/openapi --no-audit --no-fund --loglevel=error >/dev/null
fi
node tests/openapi/check.mjs docs/openapi.json "$records" server/api/routes.c
