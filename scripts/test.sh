#!/usr/bin/env bash
# Runs every check of the project: formatting, go vet and all tests (unit,
# synth snapshots, cdk-nag). CI runs exactly this through .ci/run.
set -euo pipefail
cd "$(dirname "$0")/.."

need() {
  command -v "$1" >/dev/null 2>&1 || { echo "test: $1 is required ($2)" >&2; exit 1; }
}
need go "Go 1.26 or later"
need node "Node.js 20 or later: the CDK libraries run in a Node process"
need npm "npm, which comes with Node.js"

# The model-format compatibility test loads our models in XGBoost itself:
# Debian's python3-xgboost 1.7, for the system Python. Installed when missing
# and this user may install packages; without it that test skips locally
# (and fails under CI, where it must run).
if ! /usr/bin/python3 -c 'import xgboost' >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "test: installing python3-xgboost (Debian) for the XGBoost compatibility test" >&2
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-xgboost >/dev/null
  else
    echo "test: python3-xgboost is not installed; the XGBoost compatibility test will skip (apt-get install python3-xgboost)" >&2
  fi
fi

# asl-validator checks the synthesized state machine definitions; npm ci
# installs the version package-lock.json pins, once.
if [ ! -x node_modules/.bin/asl-validator ]; then
  npm ci --no-audit --no-fund --loglevel=error
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
go test ./... "$@"
