#!/usr/bin/env bash
# Runs every fuzz target of the project for a bounded time, one after the
# other: FUZZTIME per target (default 20s, any go test -fuzztime value, such
# as 10m or 100000x). go test already replays each target's seed corpus;
# this searches for new inputs. A failing input is saved under the
# package's testdata/fuzz/<target>/ and the script fails; fix the bug and
# commit that file as a regression case.
set -euo pipefail
cd "$(dirname "$0")/.."
fuzztime="${FUZZTIME:-20s}"
export JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION=20

targets=$(grep -rE --include='*_test.go' -o '^func Fuzz[A-Za-z0-9_]*\(' jobs infra internal constructs bench 2>/dev/null |
  sed -E 's/^(.*)\/[^/]*_test\.go:func (Fuzz[A-Za-z0-9_]*)\($/\1 \2/' | sort)
if [ -z "$targets" ]; then
  echo "fuzz: no fuzz targets found" >&2
  exit 1
fi
while read -r dir target; do
  echo "fuzz: $target (./$dir) for $fuzztime"
  go test "./$dir" -run '^$' -fuzz "^${target}\$" -fuzztime "$fuzztime"
done <<<"$targets"
