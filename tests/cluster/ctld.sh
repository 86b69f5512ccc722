#!/bin/bash
# ctld.sh - stop or restart only the slurmctld of a test cluster made by
# tests/cluster/start.sh, for tests of a controller that went away. The
# restart is start.sh's own command line; its pid is recorded the way
# start.sh records it (appended to DIR/pids, which stop.sh reads last-wins)
# and in DIR/env.sh.
#
# usage: tests/cluster/ctld.sh stop|start [DIR]     (default DIR: $STRAW_CLUSTER)
# environment: STRAW_TEST_START_TIMEOUT (30 s) for start.
set -eu
set +m

die() {
	echo "ctld.sh: $*" >&2
	exit 1
}

[ $# -ge 1 ] || die "usage: ctld.sh stop|start [DIR]"
action=$1
dir=${2:-${STRAW_CLUSTER:-}}
[ -n "$dir" ] && [ -d "$dir" ] || die "no cluster directory (give DIR or set STRAW_CLUSTER)"
dir=$(cd "$dir" && pwd -P)
[ -f "$dir/pids" ] && [ -f "$dir/env.sh" ] || die "$dir is not a cluster made by start.sh"
conf=$dir/etc/slurm.conf
timeout=${STRAW_TEST_START_TIMEOUT:-30}

# As in stop.sh: alive and not a zombie; and still our slurmctld.
_running() {
	st=$(sed 's/.*) \(.\).*/\1/' "/proc/$1/stat" 2>/dev/null) || return 1
	[ -n "$st" ] && [ "$st" != Z ] && [ "$st" != X ]
}
_ours() {
	cmd=$({ tr '\0' ' ' <"/proc/$1/cmdline"; } 2>/dev/null) || return 1
	case $cmd in
	*slurmctld*"$dir"*) return 0 ;;
	*) return 1 ;;
	esac
}
_pid() {
	awk '$1 == "slurmctld" { p = $2 } END { if (p) print p }' "$dir/pids"
}

case $action in
stop)
	pid=$(_pid)
	if [ -z "$pid" ] || ! _running "$pid"; then
		echo "ctld.sh: slurmctld of $dir is not running" >&2
		exit 0
	fi
	_ours "$pid" || die "pid $pid is no longer the slurmctld of $dir; leaving it alone"
	kill -TERM "$pid"
	i=0
	while _running "$pid"; do
		i=$((i + 1))
		[ "$i" -ne 150 ] || kill -KILL "$pid" 2>/dev/null || true
		[ "$i" -lt 200 ] || die "slurmctld ($pid) will not die"
		sleep 0.1
	done
	# the port must be free again before anyone counts on "refused"
	port=$(sed -n 's/^SlurmctldPort=//p' "$conf")
	i=0
	while [ -n "$(ss -Hltn "sport = :$port" 2>/dev/null)" ]; do
		i=$((i + 1))
		[ "$i" -lt 100 ] || die "port $port still listening after slurmctld stopped"
		sleep 0.1
	done
	;;
start)
	pid=$(_pid)
	if [ -n "$pid" ] && _running "$pid" && _ours "$pid"; then
		die "slurmctld of $dir is already running (pid $pid)"
	fi
	# start.sh's _launch: own session, in DIR, detached from our stdio
	(cd "$dir" && exec setsid slurmctld -D -i -f "$conf") </dev/null \
		>>"$dir/log/slurmctld.out" 2>&1 &
	pid=$!
	echo "slurmctld $pid" >>"$dir/pids"
	sed -i "s/^export STRAW_TEST_SLURMCTLD_PID=.*/export STRAW_TEST_SLURMCTLD_PID='$pid'/" \
		"$dir/env.sh"
	deadline=$(($(date +%s) + timeout))
	state=
	while :; do
		_running "$pid" || die "slurmctld exited during start-up (see $dir/log/slurmctld.log)"
		if SLURM_CONF=$conf scontrol ping 2>/dev/null | grep -q 'is UP'; then
			state=$(SLURM_CONF=$conf sinfo -h -n n1 -o %T 2>/dev/null || true)
			[ "$state" != idle ] || break
		fi
		[ "$(date +%s)" -lt "$deadline" ] ||
			die "slurmctld not ready after ${timeout}s (n1 state: '${state:-unknown}')"
		sleep 0.2
	done
	;;
*)
	die "usage: ctld.sh stop|start [DIR]"
	;;
esac
