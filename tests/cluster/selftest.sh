#!/bin/bash
# selftest.sh - prove the loopback test cluster works, without straw: start it,
# fetch the config the way Slurm itself does (configless, JWT and munge) from a
# "container" that has no local config, run a real batch job, stop it, and check
# nothing it started is left. Also checks that a start failing halfway cleans up
# and that the cluster starts again on the same ports.
#
# usage: tests/cluster/selftest.sh      (as root; from anywhere)
# shellcheck source-path=SCRIPTDIR
set -eu

here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=../lib/common.sh
. "$here/../lib/common.sh"

unset STRAW_CLUSTER SLURM_CONF SLURM_CONF_SERVER SLURM_JWT

# _live_procs DIR: pids of processes (not zombies) whose command line names
# DIR or that hold a file under DIR open (slurmstepd, slurmscriptd).
_live_procs() {
	local d=$1 c p st f
	for c in /proc/[0-9]*/cmdline; do
		p=${c#/proc/}
		p=${p%/cmdline}
		if [ "$p" = $$ ] || [ "$p" = "$BASHPID" ]; then continue; fi
		st=$(sed 's/.*) \(.\).*/\1/' "/proc/$p/stat" 2>/dev/null) || continue
		[ "$st" != Z ] || continue
		if { tr '\0' ' ' <"$c"; } 2>/dev/null | grep -qF -- "$d"; then
			printf ' %s' "$p"
			continue
		fi
		for f in /proc/"$p"/fd/*; do
			case $(readlink "$f" 2>/dev/null) in
			"$d"/*) printf ' %s' "$p"; break ;;
			esac
		done
	done
}

# _gone PID...: none of them runs any more (zombies count as gone).
# shellcheck disable=SC2317  # called through check
_gone() {
	local p st
	for p in "$@"; do
		st=$(sed 's/.*) \(.\).*/\1/' "/proc/$p/stat" 2>/dev/null) || continue
		[ "$st" = Z ] || return 1
	done
}

_listening() {
	ss -Hltn "sport = :$1" 2>/dev/null
}

user=$(straw_test_user)

# ------------------------------------------------------------ first start
t0=$(date +%s.%N)
line=$("$here/start.sh") || { fail "start.sh starts the cluster"; finish; }
t1=$(date +%s.%N)
dir=${line#STRAW_CLUSTER=}
# stop it whatever happens below
trap '[ -d "$dir" ] && "$here/stop.sh" "$dir" >/dev/null 2>&1 || true' EXIT
diag "start took $(awk "BEGIN { printf \"%.2f\", $t1 - $t0 }")s"
check_contains "start.sh prints STRAW_CLUSTER=<dir>" "$line" "STRAW_CLUSTER=/"
check "env.sh exists" test -f "$dir/env.sh"
# shellcheck disable=SC1091
. "$dir/env.sh"
check_eq "env.sh names the cluster" "$dir" "$STRAW_CLUSTER"
check_eq "server is on loopback" "127.0.0.1:${STRAW_TEST_CTLD_PORT}" "$STRAW_TEST_SERVER"
check "slurm.conf is where env.sh says" test -f "$STRAW_TEST_CONF"
check "plugstack.conf is beside it, empty" test -f "$(dirname "$STRAW_TEST_CONF")/plugstack.conf" -a \
	! -s "$(dirname "$STRAW_TEST_CONF")/plugstack.conf"
check_eq "JWT key is 32 bytes" 32 "$(stat -c %s "$STRAW_TEST_JWT_KEY")"
check_eq "JWT key is mode 0600" 600 "$(stat -c %a "$STRAW_TEST_JWT_KEY")"
check "munge socket exists" test -S "$STRAW_TEST_MUNGE_SOCKET"
check_eq "slurmctld listens on 127.0.0.1 only" "127.0.0.1:$STRAW_TEST_CTLD_PORT" \
	"$(_listening "$STRAW_TEST_CTLD_PORT" | awk '{ print $4 }' | sort -u | tr '\n' ' ' | sed 's/ $//')"
check_eq "slurmd listens on 127.0.0.1 only" "127.0.0.1:$STRAW_TEST_SLURMD_PORT" \
	"$(_listening "$STRAW_TEST_SLURMD_PORT" | awk '{ print $4 }' | sort -u | tr '\n' ' ' | sed 's/ $//')"
check "slurmd did not create /run/slurm/conf" test ! -e /run/slurm/conf/slurm.conf
pids="$STRAW_TEST_MUNGED_PID $STRAW_TEST_SLURMCTLD_PID $STRAW_TEST_SLURMD_PID"
check_eq "recorded pids are the daemons' own" \
	"$pids" "$(cat "$dir/munge/munged.pid" "$dir/run/slurmctld.pid" "$dir/run/slurmd.pid" | tr '\n' ' ' | sed 's/ $//')"

# ------------------------------------------------------------ the "container"
# shellcheck disable=SC2016
out=$(in_container --jwt --as "$user" -- sh -c \
	'id -un; echo "home=$HOME"; ls -A /etc/slurm /run/slurm /run/munge; test -e "$STRAW_TEST_MUNGE_SOCKET" && echo SOCKET-VISIBLE; exit 0' 2>&1)
check_eq "in_container --jwt: runs as $user, hides config and munge" \
	"$(printf '%s\nhome=%s\n/etc/slurm:\n\n/run/munge:\n\n/run/slurm:' "$user" "$(getent passwd "$user" | cut -d: -f6)")" "$out"
out=$(in_container --as "$user" -- sh -c 'ls -A /etc/slurm /run/slurm; test -S /run/munge/munge.socket.2 && echo SOCKET-AT-DEFAULT' 2>&1)
check_eq "in_container: hides config, cluster munge socket at the default path" \
	"$(printf '/etc/slurm:\n\n/run/slurm:\nSOCKET-AT-DEFAULT')" "$out"
rc=0
out=$(in_container --jwt --as "$user" -- sinfo 2>&1) || rc=$?
if [ "$rc" -ne 0 ]; then ok "sinfo with no config source fails in the container"
else fail "sinfo with no config source fails in the container" "$out"; fi

tok=$(token_for "$user" 600) || tok=
case $tok in
*.*.*) ok "token_for gives a JWT" ;;
*) fail "token_for gives a JWT" "got: '$tok'" ;;
esac

rc=0
out=$(in_container --jwt --as "$user" -- env SLURM_CONF_SERVER="$STRAW_TEST_SERVER" SLURM_JWT="$tok" \
	sinfo -h -o '%P %t %N' 2>&1) || rc=$?
check_eq "configless + JWT, no munge: sinfo works" "0:debug* idle n1" "$rc:$out"

rc=0
out=$(in_container --as "$user" -- env SLURM_CONF_SERVER="$STRAW_TEST_SERVER" \
	sinfo -h -o '%P %t %N' 2>&1) || rc=$?
check_eq "configless + munge: sinfo works" "0:debug* idle n1" "$rc:$out"

rc=0
out=$(in_container --jwt --as "$user" -- env SLURM_CONF_SERVER="$STRAW_TEST_SERVER" SLURM_JWT=not.a.token \
	sinfo 2>&1) || rc=$?
if [ "$rc" -ne 0 ]; then ok "configless + a bad JWT is refused"
else fail "configless + a bad JWT is refused" "$out"; fi

# ------------------------------------------------------------ a real job
jobout=$STRAW_TEST_TMP/selftest.out
rc=0
jobid=$(in_container --as "$user" -- env SLURM_CONF="$STRAW_TEST_CONF" \
	sbatch --parsable --chdir="$STRAW_TEST_TMP" -o "$STRAW_TEST_TMP/slurm-%j.out" \
	--wrap "echo hello > $jobout" 2>&1) || rc=$?
check "sbatch as $user accepts the job" test "$rc" -eq 0
case $jobid in
'' | *[!0-9]*) fail "sbatch printed a job id" "got: $jobid" ;;
*)
	ok "sbatch printed a job id"
	state=$(wait_job "$jobid" 60) || true
	check_eq "job $jobid completes" COMPLETED "$state"
	check_eq "job output has hello" hello "$(cat "$jobout" 2>/dev/null)"
	check_eq "job ran as $user" "$user" "$(stat -c %U "$jobout" 2>/dev/null)"
	;;
esac

# A job still running when the cluster stops must not outlive it.
rc=0
longid=$(in_container --as "$user" -- env SLURM_CONF="$STRAW_TEST_CONF" \
	sbatch --parsable --chdir="$STRAW_TEST_TMP" -o "$STRAW_TEST_TMP/slurm-%j.out" \
	--wrap "sleep 300" 2>&1) || rc=$?
state=
for _ in $(seq 150); do
	state=$(SLURM_CONF=$STRAW_TEST_CONF scontrol -o show job "$longid" 2>/dev/null |
		sed -n 's/.*JobState=\([A-Z_]*\).*/\1/p')
	[ "$state" != RUNNING ] || break
	sleep 0.2
done
check_eq "a long job is running before stop" "0:RUNNING" "$rc:$state"

# ------------------------------------------------------------ stop
t0=$(date +%s.%N)
"$here/stop.sh" "$dir" 2>/dev/null
t1=$(date +%s.%N)
diag "stop (with a running job) took $(awk "BEGIN { printf \"%.2f\", $t1 - $t0 }")s"
check "stop.sh removes the directory" test ! -e "$dir"
# shellcheck disable=SC2086
check "stop.sh ends munged, slurmctld and slurmd" _gone $pids
check_eq "no process of the cluster is left" "" "$(_live_procs "$dir")"
check_eq "ports are free again" "" "$(_listening "$STRAW_TEST_CTLD_PORT")$(_listening "$STRAW_TEST_SLURMD_PORT")"

# ------------------------------------------------------------ start again
line=$("$here/start.sh" 2>/dev/null) || line=
dir=${line#STRAW_CLUSTER=}
if [ -n "$line" ] && [ -f "$dir/env.sh" ]; then
	ok "start.sh starts again on the same ports"
	# shellcheck disable=SC1091
	. "$dir/env.sh"
	tok=$(token_for "$user" 60) || tok=
	rc=0
	out=$(in_container --jwt --as "$user" -- env SLURM_CONF_SERVER="$STRAW_TEST_SERVER" SLURM_JWT="$tok" \
		sinfo -h -o '%P %t %N' 2>&1) || rc=$?
	check_eq "second cluster answers (fresh JWT key)" "0:debug* idle n1" "$rc:$out"
	pids="$STRAW_TEST_MUNGED_PID $STRAW_TEST_SLURMCTLD_PID $STRAW_TEST_SLURMD_PID"
	KEEP=1 "$here/stop.sh" "$dir" 2>/dev/null
	check "KEEP=1 keeps the directory" test -f "$dir/log/slurmctld.log"
	# shellcheck disable=SC2086
	check "second stop ends the daemons" _gone $pids
	rm -rf "$dir"
else
	fail "start.sh starts again on the same ports"
fi

# ------------------------------------------------------------ a failed start
# A socket bound (not listening) on slurmd's port passes start.sh's check for
# listeners, but slurmd cannot bind it: the start fails after munged and
# slurmctld are up, and must take them down again.
cport=$((STRAW_TEST_CTLD_PORT + 100))
dport=$((STRAW_TEST_SLURMD_PORT + 100))
faildir=$(mktemp -d /tmp/straw-cluster-fail.XXXXXX)
python3 -c '
import socket, sys, time
s = socket.socket()
s.bind(("127.0.0.1", int(sys.argv[1])))
print("bound", flush=True)
time.sleep(60)
' "$dport" >"$faildir.py.out" 2>&1 &
blocker=$!
for _ in $(seq 50); do grep -q bound "$faildir.py.out" 2>/dev/null && break; sleep 0.1; done
rc=0
out=$(STRAW_TEST_CTLD_PORT=$cport STRAW_TEST_SLURMD_PORT=$dport STRAW_TEST_START_TIMEOUT=15 \
	"$here/start.sh" "$faildir" 2>&1) || rc=$?
kill "$blocker" 2>/dev/null || true
wait "$blocker" 2>/dev/null || true
rm -f "$faildir.py.out"
if [ "$rc" -ne 0 ]; then ok "start.sh fails when slurmd cannot bind its port"
else fail "start.sh fails when slurmd cannot bind its port" "$out"; fi
check_contains "the failure names slurmd" "$out" "slurmd exited during start-up"
check "a failed start removes its directory" test ! -e "$faildir"
check_eq "a failed start leaves no process behind" "" "$(_live_procs "$faildir")"
check_eq "a failed start frees the controller port" "" "$(_listening "$cport")"
rm -rf "$faildir"

trap - EXIT
finish
