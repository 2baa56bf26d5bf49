#!/bin/sh
# Verify a model release in CI with `provenant verify`: every record of the
# chain (weights, model, datasets, their approvals by vote), the weight files
# on disk, against the trust policy. Exits non-zero on any broken link, so the
# job fails; writes a SARIF report for code-scanning dashboards.
#
#   verify-release.sh TARGET CHAIN.car POLICY.yaml [MODEL_DIR]
#
# TARGET is the record id of the release (the model record), CHAIN.car the
# chain exported with `provenant store export TARGET --out CHAIN.car`.
# PROVENANT names the command to run (default: `npx --no-install provenant`).
# SARIF_OUT names the SARIF file (default: provenant.sarif).
set -u

if [ "$#" -lt 3 ] || [ "$#" -gt 4 ]; then
  echo "usage: $0 TARGET CHAIN.car POLICY.yaml [MODEL_DIR]" >&2
  exit 2
fi
target=$1
chain=$2
policy=$3
model_dir=${4:-}
provenant=${PROVENANT:-npx --no-install provenant}
sarif=${SARIF_OUT:-provenant.sarif}

set -- verify "$target" --store "$chain" --policy "$policy"
if [ -n "$model_dir" ]; then
  set -- "$@" --model-path "$model_dir"
fi

# One run for the SARIF report (stdout), the human-readable tree on stderr.
# shellcheck disable=SC2086 # $provenant may be a command with arguments
$provenant "$@" --format sarif >"$sarif"
status=$?
case $status in
  0) echo "provenant: release $target verified" >&2 ;;
  1) echo "provenant: release $target FAILED verification (see the tree above and $sarif)" >&2 ;;
  *) echo "provenant: could not verify release $target (bad usage, input or policy; exit $status)" >&2 ;;
esac
exit "$status"
