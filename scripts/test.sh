#!/usr/bin/env bash
# Runs every check of the project: formatting, go vet, staticcheck and all
# tests (unit, synth snapshots, cdk-nag), then the coverage table and its
# floors. CI runs exactly this through .ci/run.
set -euo pipefail
cd "$(dirname "$0")/.."

need() {
  command -v "$1" >/dev/null 2>&1 || { echo "test: $1 is required ($2)" >&2; exit 1; }
}
need go "Go 1.26 or later"
need node "Node.js 20 or later: the CDK libraries run in a Node process"
need npm "npm, which comes with Node.js"

# Debian packages the tests use as outside oracles: for the system Python,
# python3-xgboost 1.7 (our models loaded in XGBoost itself) and
# python3-botocore (its data/ holds the AWS API models that every Task
# request is validated against); chromium, the headless browser that
# renders the report and the run page. Installed when missing and this
# user may install packages; without them those tests skip locally (and
# fail under CI, where they must run).
debs=()
/usr/bin/python3 -c 'import xgboost' >/dev/null 2>&1 || debs+=(python3-xgboost)
[ -d /usr/lib/python3/dist-packages/botocore/data ] || debs+=(python3-botocore)
command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1 || debs+=(chromium)
if [ "${#debs[@]}" -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "test: installing ${debs[*]} (Debian) for the tests that use them" >&2
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${debs[@]}" >/dev/null
  else
    echo "test: ${debs[*]} not installed; the tests that need them will skip (apt-get install ${debs[*]})" >&2
  fi
fi

# The Node tools the tests use (package.json says which); npm ci installs
# the versions package-lock.json pins, again whenever that file changes.
stamp=node_modules/.package-lock.sha256
want=$(sha256sum package-lock.json | cut -d' ' -f1)
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
  npm ci --no-audit --no-fund --loglevel=error
  echo "$want" >"$stamp"
fi

# Node 20 works; silence the end-of-life banner that CDK prints for it.
export JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION=20

go mod download

unformatted=$(gofmt -l .)
if [ -n "$unformatted" ]; then
  echo "test: gofmt would change these files:" >&2
  echo "$unformatted" >&2
  exit 1
fi
go vet ./...
# staticcheck, at the version go.mod pins as a tool (go get -tool
# honnef.co/go/tools/cmd/staticcheck@vX updates it); go tool builds it from
# the module cache, and it exits non-zero on any finding.
go tool staticcheck ./...

# The tests run once, instrumented for coverage (README, Testing): the unit
# tests write one profile, and the binaries that tests build and start as
# processes (the jobs under jobs/internal/e2e and the local run) write their
# counters to $MLPIPELINE_COVERDIR (internal/coverbuild, whose Mode this
# -covermode must match). scripts/coverage merges both, prints the table
# and fails when a package is below its floor; run/coverage/index.html
# shows which statements no test runs.
cover=run/coverage
rm -rf "$cover"
mkdir -p "$cover/processes"
# The local run's tests run the whole pipeline many times; on a busy
# machine they need more than go test's default 10 minutes per package.
MLPIPELINE_COVERDIR="$PWD/$cover/processes" go test -timeout 30m -covermode=set \
  -coverpkg=github.com/mlpipeline-go/mlpipeline/... -coverprofile="$cover/unit.txt" ./... "$@"
profiles=("$cover/unit.txt")
if [ -n "$(ls -A "$cover/processes")" ]; then
  go tool covdata textfmt -i="$cover/processes" -o "$cover/processes.txt"
  profiles+=("$cover/processes.txt")
fi
status=0
go run ./scripts/coverage -o "$cover/profile.txt" "${profiles[@]}" || status=$?
if [ -f "$cover/profile.txt" ]; then
  go tool cover -html="$cover/profile.txt" -o "$cover/index.html"
  echo "test: coverage of every line: $cover/index.html"
fi
exit "$status"
