#!/bin/bash
# test_ctld_faults.sh - the real controller going away under load: slurmctld
# killed while 100 processes refresh through the loader (each succeeds, from
# a fresh or the cached copy, or fails cleanly; the cache is never torn),
# then restarted (the next refresh fetches again).
set -u
. "$STRAW_TOP/tests/lib/common.sh"
cluster_up

probe=$BUILD/tests/loader_getenv
loader=$BUILD/lib/libstraw-preload.so
work=$(mktemp -d /tmp/straw-ctldf.XXXXXX)
cache=$work/cache
mkdir -m 0700 "$cache"
restart() {
	[ -n "${STRAW_CLUSTER:-}" ] && "$STRAW_TOP/tests/cluster/ctld.sh" start "$STRAW_CLUSTER" >/dev/null 2>&1
}
trap 'restart; rm -rf "$work"; cluster_down' EXIT
token=$(token_for root 600)

pre=
[ -n "${SANITIZE:-}" ] && pre="$(gcc -print-file-name=libasan.so):"
# run: the probe under the loader, refreshing at every start (TTL 0).
run() {
	env LD_PRELOAD="$pre$loader" STRAW_SERVERS="$STRAW_TEST_SERVER" SLURM_JWT="$token" \
		STRAW_CACHE_DIR="$cache" STRAW_TTL=0 STRAW_CONNECT_TIMEOUT=0.5 STRAW_TIMEOUT=1 \
		STRAW_DEADLINE=3 ASAN_OPTIONS=detect_leaks=0 "$probe" "$@"
}

out=$(run 2>&1); rc=$?
check_eq "a first fetch fills the cache" "0" "$rc"
want=$(printf '%s\n' "$out" | head -n 1)

# 100 processes refreshing at once; the controller killed among them.
for i in $(seq 100); do
	(run >"$work/p$i.out" 2>"$work/p$i.err"; echo $? >"$work/p$i.rc") &
done
sleep 0.2
pid=$(. "$STRAW_CLUSTER/env.sh"; echo "$STRAW_TEST_SLURMCTLD_PID")
kill -KILL "$pid" 2>/dev/null
wait
ok_n=0 clean_n=0 bad=
for i in $(seq 100); do
	rc=$(cat "$work/p$i.rc")
	got=$(head -n 1 "$work/p$i.out")
	if [ "$rc" = 0 ] && [ "$got" = "$want" ]; then
		ok_n=$((ok_n + 1))
	elif [ "$rc" = 1 ] && grep -q '^straw: ' "$work/p$i.err"; then
		clean_n=$((clean_n + 1))
	else
		bad="$bad p$i(rc=$rc: $(head -c 200 "$work/p$i.err"))"
	fi
done
check_eq "controller killed under 100 refreshing processes: each succeeds or fails cleanly" "" "$bad"
diag "succeeded: $ok_n, failed cleanly: $clean_n"
[ "$ok_n" -gt 0 ] && ok "most got the configuration (fresh or cached): $ok_n" || fail "most got the configuration" "$ok_n of 100"

# The cache is whole: the published generation is complete and identical.
conf=$(readlink "$cache"/*/conf)
check "the cache is not torn: conf names a generation" test -n "$conf"
check "the cache is not torn: slurm.conf identical to the controller's" \
	cmp "$STRAW_TEST_CONF" "$(dirname "$want")/slurm.conf"
check "the cache is not torn: plugstack.conf there" test -f "$(dirname "$want")/plugstack.conf"
left=$(find "$cache" -name 'tmp.*' | wc -l)
check_eq "no half-written generation left behind" "0" "$left"

# Down for good: a stale copy, one warning, exit 0.
out=$(run 2>&1); rc=$?
check_eq "controller down: the cached copy is used" "0" "$rc"
check_eq "controller down: one straw: line" "1" "$(printf '%s\n' "$out" | grep -c '^straw: ')"

# Restarted: the next refresh fetches again (no warning).
"$STRAW_TOP/tests/cluster/ctld.sh" start "$STRAW_CLUSTER" >/dev/null 2>&1
check_eq "controller restarted" "0" "$?"
before=$(readlink "$cache"/*/conf)
sleep 1
out=$(run 2>&1); rc=$?
check_eq "after the restart: fetched again, silently" "0:0" "$rc:$(printf '%s\n' "$out" | grep -c '^straw: ')"
after=$(readlink "$cache"/*/conf)
[ "$before" != "$after" ] && ok "after the restart: a new generation" || fail "after the restart: a new generation" "$before"
finish
