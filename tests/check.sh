#!/bin/bash
# check.sh - run the unit tests, then the integration tests, and close with
# one line counting both: "check: N passed, N failed".
#   tests/check.sh UNIT_BINARY...      (BUILD, STRAW_VECTORS, SANITIZE from the environment)
set -u
here=$(cd "$(dirname "$0")" && pwd)
log=$(mktemp /tmp/straw-check.XXXXXX)
trap 'rm -f "$log"' EXIT

"$here/run-unit.sh" "$@" 2>&1 | tee -a "$log"
"$here/integration/run.sh" 2>&1 | tee -a "$log"

sum() { sed -n "s/^$1: \([0-9]*\) passed, \([0-9]*\) failed$/\1 \2/p" "$log" | tail -n 1; }
read -r up uf <<<"$(sum unit)"
read -r ip if <<<"$(sum integration)"
if [ -z "${up:-}" ] || [ -z "${ip:-}" ]; then
	echo "check: a stage ended without its summary line"
	echo "check: ${up:-0} passed, 1 failed"
	exit 1
fi
echo "check: $((up + ip)) passed, $((uf + if)) failed"
[ $((uf + if)) -eq 0 ]
