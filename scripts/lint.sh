#!/usr/bin/env bash
# make lint: formatting, cppcheck and clang-tidy over the project's C files.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh --dev

files=$(git ls-files '*.c' '*.h')
echo "== clang-format"
clang-format --dry-run -Werror $files

echo "== cppcheck"
cppcheck --quiet --error-exitcode=1 --std=c11 --enable=warning,performance,portability \
  --inline-suppr --suppress=missingIncludeSystem -I server -I include \
  server plugins include 2>&1

echo "== clang-tidy"
cmake -S . -B build/lint -DCMAKE_BUILD_TYPE=Debug -DCMAKE_C_COMPILER=clang >/dev/null
sources=$(git ls-files 'server/*.c' 'plugins/*.c')
clang-tidy --quiet -p build/lint $sources 2>&1 | grep -v "warnings generated" || true
clang-tidy --quiet -p build/lint $sources >/dev/null 2>&1
echo "== docs"
# The documents send nobody outside the repository, and their links lead somewhere.
if git grep -nE '\.\./shared|DESIGN\.md' -- ':!scripts/lint.sh'; then
  echo "the lines above point outside the repository" >&2
  exit 1
fi
for doc in README.md docs/*.md; do
  dir=$(dirname "$doc")
  for link in $(grep -oE '\]\([^)#]+' "$doc" | sed 's/^](//' | grep -vE '^[a-z]+://'); do
    [ -e "$dir/$link" ] || { echo "$doc: link to $link leads nowhere" >&2; exit 1; }
  done
done
# The README shows what make run prints: the two agree.
readme=$(awk '/^<!-- what scripts\/run-sample.sh prints/ { on = 1; next }
              on && /^```/ { if (++fence == 2) exit; next } on { print }' README.md)
if [ "$readme" != "$(scripts/run-sample.sh)" ]; then
  echo "README.md: the sample of make run's output differs from scripts/run-sample.sh:" >&2
  diff <(echo "$readme") <(scripts/run-sample.sh) >&2 || true
  exit 1
fi
echo "lint: clean"
