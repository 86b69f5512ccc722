#!/bin/bash
# run.sh - run the libFuzzer targets built by tests/fuzz/Makefile, at most
# FUZZ_JOBS at a time, each for FUZZ_TIME seconds (or until FUZZ_RUNS
# executions), then print one table: target, executions, exec/s, coverage,
# corpus size, crashes; and a last line "fuzz: N passed, N failed" counting
# targets.  Exits 1 when any target crashed or did not run.
#
#   FUZZ_BUILD=build/fuzz FUZZ_TIME=600 FUZZ_JOBS=2 tests/fuzz/run.sh [TARGET...]
set -u
here=$(cd "$(dirname "$0")" && pwd)
build=${FUZZ_BUILD:?FUZZ_BUILD is the folder the Makefile built into}
time=${FUZZ_TIME:-60}
runs=${FUZZ_RUNS:-0}
jobs=${FUZZ_JOBS:-2}
cores=$(nproc 2>/dev/null || echo 1)
[ "$jobs" -ge 1 ] 2>/dev/null || jobs=1
[ "$jobs" -le "$cores" ] || jobs=$cores

if [ $# -eq 0 ]; then
	for b in "$build"/bin/fuzz_*; do
		[ -x "$b" ] && set -- "$@" "${b##*/fuzz_}"
	done
fi

# The dictionary of a target: the wire targets share one.
_dict() {
	case $1 in
	reply | header | auth | rc | config_*) echo "$here/dict/wire.dict" ;;
	jwt_json) echo "$here/dict/json.dict" ;;
	servers) echo "$here/dict/servers.dict" ;;
	conf) echo "$here/dict/conf.dict" ;;
	esac
}

# _one TARGET: fuzz it; its log is logs/TARGET.log, its exit code logs/TARGET.rc.
_one() {
	local t=$1 dict args=()
	mkdir -p "$build/corpus/$t" "$build/artifacts/$t" "$build/logs"
	dict=$(_dict "$t")
	[ -n "$dict" ] && [ -f "$dict" ] && args+=("-dict=$dict")
	[ "$runs" -gt 0 ] && args+=("-runs=$runs")
	# -timeout: one input taking 10 s is a hang; the parsers must never hang.
	"$build/bin/fuzz_$t" -max_total_time="$time" -timeout=10 -max_len=4096 \
		-print_final_stats=1 -artifact_prefix="$build/artifacts/$t/" "${args[@]}" \
		"$build/corpus/$t" "$build/seeds/$t" >"$build/logs/$t.log" 2>&1
	echo $? >"$build/logs/$t.rc"
}

limit=
[ "$runs" -gt 0 ] && limit=" (at most $runs executions)"
echo "fuzz: $# targets, ${time}s each$limit, $jobs at a time; logs in $build/logs"
running=0
for t in "$@"; do
	if [ ! -x "$build/bin/fuzz_$t" ]; then
		echo "fuzz: no target $t" >&2
		echo 127 >"$build/logs/$t.rc" 2>/dev/null || true
		continue
	fi
	rm -f "$build/logs/$t.rc"
	_one "$t" &
	running=$((running + 1))
	if [ "$running" -ge "$jobs" ]; then
		wait -n
		running=$((running - 1))
	fi
done
wait

bad=0 npass=0 nfail=0
printf '%-12s %12s %8s %6s %7s %8s\n' target executions exec/s cov corpus crashes
for t in "$@"; do
	log=$build/logs/$t.log
	rc=$(cat "$build/logs/$t.rc" 2>/dev/null || echo 127)
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" 2>/dev/null | tail -n 1)
	speed=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" 2>/dev/null | tail -n 1)
	cov=$(sed -n 's/.* cov: \([0-9]*\) .*/\1/p' "$log" 2>/dev/null | tail -n 1)
	corp=$(sed -n 's/.* corp: \([0-9]*\)\/.*/\1/p' "$log" 2>/dev/null | tail -n 1)
	crashes=$(grep -c 'Test unit written to ' "$log" 2>/dev/null)
	printf '%-12s %12s %8s %6s %7s %8s\n' "$t" "${execs:-?}" "${speed:-?}" "${cov:-?}" \
		"${corp:-?}" "${crashes:-0}"
	if [ "${crashes:-0}" -gt 0 ]; then
		sed -n 's/.*Test unit written to /  input: /p' "$log"
		grep -m 3 -E '^(==[0-9]+==ERROR|SUMMARY|FUZZ INVARIANT)' "$log" | sed 's/^/  /'
		bad=1
	elif [ "$rc" -ne 0 ] || [ -z "$execs" ]; then
		echo "  $t exited $rc without a result: see $log"
		bad=1
	else
		npass=$((npass + 1))
		continue
	fi
	nfail=$((nfail + 1))
done
echo "fuzz: $npass passed, $nfail failed"
exit "$bad"
