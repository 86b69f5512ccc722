#!/bin/bash
# run.sh - `make bench`: straw side by side with stock Slurm and a local
# file, on a loopback cluster of its own, ending with one table of medians
# and ratios measured in this run (the rows of BENCHMARKS.md).
#
# usage (as root, from anywhere; `make bench` builds first):
#   bench/run.sh
# environment:
#   BUILD                  the build folder (default: build/ at the top)
#   BENCH_RUNS             interleaved rounds for rows 1-2 (default 60, at least 30)
#   BENCH_HERD             processes started at once in row 5 (default 200)
#   BENCH_HERD_TRIALS      cold-cache trials of row 5 (default 3)
#   BENCH_CTLD_PORT        the cluster's slurmctld port (default 32817)
#   BENCH_SLURMD_PORT      its slurmd port (default 32818)
#   BENCH_REFUSED_PORT     a loopback port nothing listens on (default 32819)
#   BENCH_BLACKHOLE_PORT   the full-backlog listener's port (default 32820)
#   BENCH_KEEP=1           keep the raw results (their folder is printed)
# Goals are reported against, never enforced: the exit status is 0 whenever
# every measurement could be made, whatever the table says.
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD:-$top/build}
case $build in /*) ;; *) build=$top/$build ;; esac

say() {
	printf 'bench: %s\n' "$*" >&2
}

die() {
	say "$*"
	exit 1
}

[ "$(id -u)" -eq 0 ] || die "must run as root (the loopback cluster and the private mount namespace need it)"
for f in bin/straw lib/libstraw.so.1 lib/libstraw-preload.so bench/brun bench/firstconf; do
	[ -x "$build/$f" ] || [ -f "$build/$f" ] || die "$build/$f is missing: run 'make bench' (or make && make -C bench)"
done

# hyperfine, valgrind, strace and GNU time come from Debian.
need=
for p in hyperfine valgrind strace time; do
	st=$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)
	[ "$st" = installed ] || need="$need $p"
done
if [ -n "$need" ]; then
	say "installing:$need"
	# shellcheck disable=SC2086
	"$top/tests/cluster/install-deps.sh" $need >&2
fi

machine() {
	echo "nproc=$(nproc)"
	echo "cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)"
	echo "kernel=$(uname -r)"
	# shellcheck disable=SC1091
	echo "os=$(. /etc/os-release && echo "$PRETTY_NAME")"
	echo "slurm=$(dpkg-query -W -f='${Version}' slurm-client 2>/dev/null)"
	echo "glibc=$(dpkg-query -W -f='${Version}' libc6 2>/dev/null)"
	echo "hyperfine=$(dpkg-query -W -f='${Version}' hyperfine 2>/dev/null)"
	echo "valgrind=$(dpkg-query -W -f='${Version}' valgrind 2>/dev/null)"
	echo "python3=$(/usr/bin/python3 -c 'import sys; print(sys.version.split()[0])')"
	echo "straw=$(git -C "$top" describe --always --dirty 2>/dev/null || echo unknown)"
}

work=$(mktemp -d /tmp/straw-bench.XXXXXX)
# The cache and the local copy live on tmpfs, where straw's default cache is.
shm=$(mktemp -d /dev/shm/straw-bench.XXXXXX)
chmod 0700 "$shm"
cluster=
_cleanup() {
	rc=$?
	[ -z "$cluster" ] || "$top/tests/cluster/stop.sh" "$cluster" >&2 2>/dev/null || true
	rm -rf "$shm"
	if [ "${BENCH_KEEP:-0}" = 1 ] || [ "$rc" -ne 0 ]; then
		say "raw results kept in $work"
	else
		rm -rf "$work"
	fi
	exit "$rc"
}
trap _cleanup EXIT
trap 'exit 130' INT TERM

machine >"$work/machine"
echo "start=$(cat /proc/loadavg)" >"$work/load"
uptime >&2

line=$(STRAW_TEST_CTLD_PORT=${BENCH_CTLD_PORT:-32817} STRAW_TEST_SLURMD_PORT=${BENCH_SLURMD_PORT:-32818} \
	"$top/tests/cluster/start.sh") || die "the loopback cluster did not start"
cluster=${line#STRAW_CLUSTER=}
# shellcheck disable=SC1091
. "$cluster/env.sh"
tok=$(SLURM_CONF=$STRAW_TEST_CONF scontrol token username=root lifespan=3600 2>&1 |
	sed -n 's/^SLURM_JWT=//p')
[ -n "$tok" ] || die "scontrol token gave no token"

t0=$(date +%s)
BENCH_WORK=$work BENCH_SHM=$shm BENCH_BUILD=$build BENCH_TOKEN=$tok \
	unshare -m --propagation private -- "$top/bench/measure.sh" ||
	die "a measurement failed (logs in $work)"
echo "end=$(cat /proc/loadavg)" >>"$work/load"
echo "seconds=$(($(date +%s) - t0))" >>"$work/load"
uptime >&2

mkdir -p "$build/bench"
/usr/bin/python3 "$top/bench/report.py" "$work" | tee "$build/bench/last-run.md"
say "this report is also in $build/bench/last-run.md"
