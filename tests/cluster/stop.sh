#!/bin/bash
# stop.sh - stop a test cluster made by tests/cluster/start.sh: exactly the
# daemons it recorded (each checked against /proc/<pid>/cmdline first), plus
# any slurmstepd of this cluster left behind, then remove its directory.
#
# usage: tests/cluster/stop.sh [DIR]     (default: $STRAW_CLUSTER)
# environment: KEEP=1 keeps DIR (logs) after stopping.
set -eu

dir=${1:-${STRAW_CLUSTER:-}}
[ -n "$dir" ] || { echo "usage: stop.sh DIR (or set STRAW_CLUSTER)" >&2; exit 2; }
if [ ! -d "$dir" ]; then
	echo "stop.sh: $dir: no such directory (already stopped?)" >&2
	exit 0
fi
dir=$(cd "$dir" && pwd -P)
# Refuse anything that does not look like one of ours: this script ends in rm -rf.
if [ ! -f "$dir/pids" ]; then
	echo "stop.sh: $dir has no pids file; not a cluster made by start.sh" >&2
	exit 1
fi
conf=$dir/etc/slurm.conf

# _running PID: the process exists and is not a zombie (a daemon whose
# parent has not reaped it yet is gone for our purposes).
_running() {
	[ -r "/proc/$1/stat" ] || return 1
	# the state is the first field after the ")" closing the command name
	st=$(sed 's/.*) \(.\).*/\1/' "/proc/$1/stat" 2>/dev/null) || return 1
	[ -n "$st" ] && [ "$st" != Z ] && [ "$st" != X ]
}

# _ours NAME PID: PID still runs NAME with our directory on its command line
# (pids get reused; never signal a stranger).
_ours() {
	cmd=$({ tr '\0' ' ' <"/proc/$2/cmdline"; } 2>/dev/null) || return 1
	case $cmd in
	*"$1"*"$dir"*) return 0 ;;
	*) return 1 ;;
	esac
}

# _stop NAME PID: SIGTERM, wait up to 15 s, then SIGKILL.
_stop() {
	_running "$2" || return 0
	if ! _ours "$1" "$2"; then
		echo "stop.sh: pid $2 is no longer $1 of $dir; leaving it alone" >&2
		return 0
	fi
	kill -TERM "$2" 2>/dev/null || return 0
	i=0
	while _running "$2"; do
		i=$((i + 1))
		if [ "$i" -eq 150 ]; then
			echo "stop.sh: $1 ($2) ignored SIGTERM for 15s; killing it" >&2
			kill -KILL "$2" 2>/dev/null || true
		fi
		[ "$i" -lt 200 ] || { echo "stop.sh: $1 ($2) will not die" >&2; return 1; }
		sleep 0.1
	done
}

# _pid NAME: the recorded pid of NAME, if any.
_pid() {
	awk -v n="$1" '$1 == n { p = $2 } END { if (p) print p }' "$dir/pids"
}

# _strays NAME...: our processes called NAME (slurmstepd, slurmscriptd). A
# slurmstepd outlives slurmd by design; ours are the ones holding a file
# under our directory open (their daemon's log file): their environment and
# command line name no cluster.
_strays() {
	for c in /proc/[0-9]*/comm; do
		{ read -r comm <"$c"; } 2>/dev/null || continue
		case " $* " in *" $comm "*) ;; *) continue ;; esac
		p=${c#/proc/}
		p=${p%/comm}
		for f in /proc/"$p"/fd/*; do
			case $(readlink "$f" 2>/dev/null) in
			"$dir"/*)
				_running "$p" && printf ' %s' "$p"
				break
				;;
			esac
		done
	done
}

# _descendants PID...: every process below the given ones (a job's tasks
# under its slurmstepd).
_descendants() {
	ps -e -o pid= -o ppid= | awk -v roots="$*" '
		{ pid[NR] = $1; parent[$1] = $2 }
		END {
			n = split(roots, r, " ")
			for (i = 1; i <= n; i++) mark[r[i]] = 1
			do {
				changed = 0
				for (k = 1; k <= NR; k++)
					if (!(pid[k] in mark) && (parent[pid[k]] in mark)) {
						mark[pid[k]] = 2
						changed = 1
					}
			} while (changed)
			for (k = 1; k <= NR; k++)
				if (mark[pid[k]] == 2)
					printf " %s", pid[k]
		}'
}

# Cancel what is still queued or running and give the steps 10 s to end
# their jobs while slurmd and slurmctld can still hear about it.
ctld=$(_pid slurmctld)
if [ -n "$ctld" ] && _running "$ctld" && [ -f "$conf" ]; then
	jobs=$(SLURM_CONF=$conf timeout 10 squeue -h -o %A 2>/dev/null || true)
	if [ -n "$jobs" ]; then
		# shellcheck disable=SC2086
		SLURM_CONF=$conf timeout 10 scancel $jobs 2>/dev/null || true
		i=0
		while [ "$i" -lt 100 ] && [ -n "$(_strays slurmstepd)" ]; do
			i=$((i + 1))
			sleep 0.1
		done
	fi
fi

rc=0
for name in slurmd slurmctld munged; do
	pid=$(_pid "$name")
	[ -z "$pid" ] || _stop "$name" "$pid" || rc=1
done

# Steps that are still there will not end by themselves (no controller to
# tell them): end their jobs' processes, then them (they ignore SIGTERM).
# A slurmscriptd lives only as long as its slurmctld, so is rarely here.
strays=$(_strays slurmstepd slurmscriptd)
if [ -n "$strays" ]; then
	tasks=$(_descendants "$strays")
	echo "stop.sh: ending leftover processes of $dir:$strays (tasks:${tasks:- none})" >&2
	# shellcheck disable=SC2086
	if [ -n "$tasks" ]; then
		kill -TERM $tasks 2>/dev/null || true
		sleep 1
		tasks=$(_descendants "$strays")
		[ -z "$tasks" ] || kill -KILL $tasks 2>/dev/null || true
	fi
	# shellcheck disable=SC2086
	kill -KILL $strays 2>/dev/null || true
	i=0
	while strays=$(_strays slurmstepd slurmscriptd) && [ -n "$strays" ]; do
		i=$((i + 1))
		[ "$i" -lt 50 ] || { echo "stop.sh:$strays will not die" >&2; rc=1; break; }
		sleep 0.1
	done
fi

if [ "${KEEP:-0}" = 1 ]; then
	echo "stop.sh: stopped; kept $dir" >&2
else
	rm -rf "$dir"
	echo "stop.sh: stopped; removed $dir" >&2
fi
exit "$rc"
