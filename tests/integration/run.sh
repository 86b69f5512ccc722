#!/bin/bash
# run.sh - integration tests: start one loopback Slurm (tests/cluster/), run
# every tests/integration/test_*.sh against it, stop it, print one summary.
#
#   tests/integration/run.sh [test_name ...]     (default: all)
#
# Needs root (users, mount namespaces, slurmd), as CI has.
set -u
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
export STRAW_TOP=$top
export BUILD=${BUILD:-$top/build}

if [ "$(id -u)" -ne 0 ]; then
	echo "integration: needs root (test users, mount namespaces, slurmd)" >&2
	exit 1
fi

line=$("$top/tests/cluster/start.sh") || { echo "integration: cluster did not start" >&2; exit 1; }
export STRAW_CLUSTER=${line#STRAW_CLUSTER=}
trap '"$top/tests/cluster/stop.sh" "$STRAW_CLUSTER" >/dev/null 2>&1 || true' EXIT

if [ $# -gt 0 ]; then
	tests=()
	for t in "$@"; do tests+=("$here/${t%.sh}.sh"); done
else
	tests=("$here"/test_*.sh)
fi

passed=0 failed=0 broken=0
for t in "${tests[@]}"; do
	name=$(basename "$t" .sh)
	echo "### $name"
	out=$(bash "$t" 2>&1); rc=$?
	printf '%s\n' "$out"
	sum=$(printf '%s\n' "$out" | sed -n 's/^\([0-9]*\) passed, \([0-9]*\) failed$/\1 \2/p' | tail -n 1)
	if [ -z "$sum" ]; then
		echo "### $name: exited $rc without a summary"
		broken=$((broken + 1))
		continue
	fi
	set -- $sum
	passed=$((passed + $1))
	failed=$((failed + $2))
	if [ "$rc" -ne 0 ] && [ "$2" -eq 0 ]; then
		echo "### $name: exited $rc"
		broken=$((broken + 1))
	fi
done
failed=$((failed + broken))
echo "integration: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
