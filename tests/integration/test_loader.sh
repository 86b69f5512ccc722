#!/bin/bash
# test_loader.sh - the LD_PRELOAD loader (libstraw-preload.so) against the
# real loopback slurmctld 22.05: unmodified Slurm tools and other libslurm
# programs (Perl, Python ctypes) as the ordinary user "strawtest" in a
# "container" (no local Slurm config; no munge socket for the JWT runs);
# REQUEST_CONFIG counted at the controller (sdiag); herds, threads, fork;
# local configs winning; a stopped controller; refused cache folders.
#
# Honours $SANITIZE (a build made with SANITIZE=address,undefined): the
# sanitizer runtime goes first in LD_PRELOAD, leak checks off (the Slurm
# tools leak by design).
set -u
. "$STRAW_TOP/tests/lib/common.sh"
cluster_up

ctld_sh=$STRAW_TOP/tests/cluster/ctld.sh
here=$STRAW_TOP/tests/integration
preload=$BUILD/lib/libstraw-preload.so
probe=$BUILD/tests/loader_getenv
user=$(straw_test_user)
uid=$(id -u "$user")
gid=$(id -g "$user")
home=$(getent passwd "$user" | cut -d: -f6)
port=$STRAW_TEST_CTLD_PORT
token=$(token_for "$user" 900)
work=$(mktemp -d /tmp/straw-loader.XXXXXX)
chmod 1777 "$work"
ctld_stopped=0

_cleanup() {
	if [ "$ctld_stopped" = 1 ]; then
		"$ctld_sh" start "$STRAW_CLUSTER" || echo "test_loader: could not restart slurmctld" >&2
	fi
	rm -rf "$work"
	cluster_down
}
trap _cleanup EXIT

# The probe (a C program calling getenv like libslurm does) is built by
# `make -C tests integration`; build it here when run.sh is used directly.
if ! make -s -C "$STRAW_TOP/tests" BUILD="$BUILD" SANITIZE="${SANITIZE:-}" "$probe" >"$work/make.log" 2>&1; then
	fail "build the probe $probe" "$(cat "$work/make.log")"
	finish
fi

# What LD_PRELOAD holds: under a sanitizer build the loader needs the
# sanitizer runtime loaded first.
preload_env=$preload
if [ -n "${SANITIZE:-}" ]; then
	case $SANITIZE in
	*address*) preload_env="$(gcc -print-file-name=libasan.so) $preload" ;;
	*undefined*) preload_env="$(gcc -print-file-name=libubsan.so) $preload" ;;
	esac
	# distinct exit codes, so a sanitizer report never passes for Slurm's exit 1
	export ASAN_OPTIONS=detect_leaks=0:exitcode=86${ASAN_OPTIONS:+:$ASAN_OPTIONS}
	export UBSAN_OPTIONS=print_stacktrace=1:exitcode=87${UBSAN_OPTIONS:+:$UBSAN_OPTIONS}
	diag "SANITIZE=$SANITIZE: LD_PRELOAD='$preload_env'"
fi

# ---------------------------------------------------------------- helpers

# cfg_count: the controller's REQUEST_CONFIG count (sdiag's RPC statistics;
# the line appears with the first one); "?" when sdiag fails, so no delta
# computed from it can pass.
cfg_count() {
	local out n
	out=$(SLURM_CONF=$STRAW_TEST_CONF sdiag 2>&1) || { echo "?"; return; }
	n=$(printf '%s\n' "$out" | sed -n 's/^[[:space:]]*REQUEST_CONFIG[[:space:]]*([[:space:]]*2015)[[:space:]]*count:\([0-9]*\).*/\1/p')
	echo "${n:-0}"
}

# delta BEFORE: REQUEST_CONFIGs since BEFORE.
delta() {
	local now
	now=$(cfg_count)
	case $1$now in
	*[!0-9]*) echo "?" ;;
	*) echo $((now - $1)) ;;
	esac
}

# loader [in_container options] -- CMD...: CMD in a container with the
# loader in LD_PRELOAD (CMD and its children only, not the container's own
# unshare/mount/setpriv).
loader() {
	local opts=()
	while [ $# -gt 0 ] && [ "$1" != -- ]; do
		opts+=("$1")
		shift
	done
	shift
	in_container "${opts[@]}" -- env LD_PRELOAD="$preload_env" "$@"
}

# as_user_after [--jwt] SETUP -- CMD...: a container in which SETUP (sh)
# runs as root first (to plant files in its private /etc/slurm and the
# like), then CMD as the test user, as in_container --as does.
as_user_after() {
	local jwt=()
	if [ "$1" = --jwt ]; then
		jwt=(--jwt)
		shift
	fi
	local setup=$1
	shift 2
	in_container "${jwt[@]}" -- /bin/sh -c "set -e
$setup
cd /
exec setpriv --reuid=$uid --regid=$gid --init-groups -- env -u XDG_RUNTIME_DIR \
	HOME='$home' USER='$user' LOGNAME='$user' \"\$@\"" as_user_after "$@"
}

# straw_lines TEXT: how many lines of TEXT are the loader's ("straw: ...").
straw_lines() {
	printf '%s\n' "$1" | grep -c '^straw: '
}

# no_straw TEXT: TEXT without the loader's lines.
no_straw() {
	printf '%s\n' "$1" | grep -v '^straw: '
}

# bg NAME CMD...: run CMD (a function too) in the background; its output
# and exit code land in $work/NAME.out and NAME.rc (read them after `wait`).
# Commands failing to reach a controller retry for ~10 s: they go side by side.
bg() {
	local name=$1
	shift
	("$@" >"$work/$name.out" 2>&1; echo $? >"$work/$name.rc") &
}

# new_cache: a path for a cache folder nobody has made yet.
new_cache() {
	mktemp -u "$work/cache.XXXXXX"
}

# clean_default_cache: remove this cluster's entries from the user's
# default cache folder (/dev/shm/straw-UID; in_container --as drops
# XDG_RUNTIME_DIR), leaving other clusters' (other test runs') alone.
clean_default_cache() {
	local f
	for f in "/dev/shm/straw-$uid"/*; do
		[ -e "$f" ] || [ -L "$f" ] || continue
		case "$f $(readlink "$f" 2>/dev/null)" in
		*"127.0.0.1_$port-"*) rm -rf "$f" ;;
		esac
	done
}

# with_jwt CMD...: CMD (a function too) with the token and the controller,
# the two variables a container user sets besides LD_PRELOAD.
with_jwt() {
	SLURM_JWT=$token SLURM_CONF_SERVER=$STRAW_TEST_SERVER "$@"
}

# ======================================================= 1. the CLI tools
diag "1. the CLI tools (t=${SECONDS}s)"

# cli_suite LABEL [--jwt]: sinfo, squeue, scontrol show partition, a batch
# job that runs on n1, scancel -- all with the default cache folder, from
# cold, and exactly one REQUEST_CONFIG for all of them.
cli_suite() {
	local label=$1 mode=${2:-} out rc job job2 state before n all=''
	local -a ic=(--as "$user")
	[ "$mode" = --jwt ] && ic=(--jwt --as "$user")

	clean_default_cache
	before=$(cfg_count)
	out=$(loader "${ic[@]}" -- "$probe" 2>&1); rc=$?
	all+=$out$'\n'
	case $out in
	"/dev/shm/straw-$uid/"*/conf/slurm.conf) ok "$label: the loader sets SLURM_CONF to the default cache ($out)" ;;
	*) fail "$label: the loader sets SLURM_CONF to the default cache /dev/shm/straw-$uid/.../conf/slurm.conf" "exit $rc" "$out" ;;
	esac

	out=$(loader "${ic[@]}" -- sinfo -h -o '%P %a %D' 2>&1); rc=$?
	all+=$out$'\n'
	check_eq "$label: sinfo" "0:debug* up 1" "$rc:$out"

	out=$(loader "${ic[@]}" -- squeue -h -o '%i %u' 2>&1); rc=$?
	all+=$out$'\n'
	check_eq "$label: squeue exits 0" 0 "$rc"
	[ "$rc" -eq 0 ] || diag "$out"

	out=$(loader "${ic[@]}" -- scontrol show partition debug 2>&1); rc=$?
	all+=$out$'\n'
	check_eq "$label: scontrol show partition exits 0" 0 "$rc"
	check_contains "$label: scontrol show partition shows debug on n1" "$out" "Nodes=n1"

	# shellcheck disable=SC2016
	out=$(loader "${ic[@]}" -- sbatch --parsable -D "$STRAW_TEST_TMP" \
		-o "$STRAW_TEST_TMP/loader-$label-%j.out" \
		--wrap 'echo "loader job $SLURM_JOB_ID ran as $(id -un) on $SLURMD_NODENAME"' 2>&1); rc=$?
	all+=$out$'\n'
	job=${out%%;*}
	case $rc:$job in
	0:[0-9]*) ok "$label: sbatch --wrap submits (job $job)" ;;
	*) fail "$label: sbatch --wrap submits" "exit $rc" "$out"; job='' ;;
	esac
	if [ -n "$job" ]; then
		state=$(wait_job "$job" 60)
		check_eq "$label: the job ran on the loopback slurmd and completed" COMPLETED "$state"
		check_eq "$label: the job's output file" "loader job $job ran as $user on n1" \
			"$(cat "$STRAW_TEST_TMP/loader-$label-$job.out" 2>&1)"
	fi

	out=$(loader "${ic[@]}" -- sbatch --parsable --begin=now+3600 -D "$STRAW_TEST_TMP" \
		-o /dev/null --wrap 'sleep 1' 2>&1); rc=$?
	all+=$out$'\n'
	job2=${out%%;*}
	case $rc:$job2 in
	0:[0-9]*)
		out=$(loader "${ic[@]}" -- scancel "$job2" 2>&1); rc=$?
		all+=$out$'\n'
		check_eq "$label: scancel exits 0" "0" "$rc${out:+ $out}"
		state=$(wait_job "$job2" 30)
		check_eq "$label: the held job is cancelled" CANCELLED "$state"
		;;
	*) fail "$label: a held job to cancel" "exit $rc" "$out" ;;
	esac

	n=$(delta "$before")
	check_eq "$label: all of it cost exactly 1 REQUEST_CONFIG (stock Slurm: one per command)" 1 "$n"
	diag "$label: REQUEST_CONFIG delta $n"
	check_eq "$label: the loader said nothing (no straw: line)" 0 "$(straw_lines "$all")"
}

SLURM_JWT=$token SLURM_CONF_SERVER=$STRAW_TEST_SERVER cli_suite jwt --jwt
SLURM_CONF_SERVER=$STRAW_TEST_SERVER cli_suite munge

# ================================================= 2. other libslurm programs
diag "2. other libslurm programs (t=${SECONDS}s)"

# lib_program LABEL CMD...: a program on libslurm through the loader (JWT,
# no munge): from cold the loader fetches once and sets SLURM_CONF in the
# program; a second run costs nothing (stock libslurm would fetch again).
lib_program() {
	local label=$1 cache out rc before n
	shift
	cache=$(new_cache)
	before=$(cfg_count)
	out=$(STRAW_CACHE_DIR="$cache" STRAW_DEBUG=1 \
		with_jwt loader --jwt --as "$user" -- "$@" 2>&1); rc=$?
	check_eq "$label: exits 0" 0 "$rc"
	check_contains "$label: loads the partitions" "$out" "partition debug n1"
	check_contains "$label: the loader set SLURM_CONF in it" "$out" \
		"straw: SLURM_CONF=$cache/127.0.0.1_$port-"
	[ "$rc" -eq 0 ] || diag "$out"
	check_eq "$label: cold run: 1 REQUEST_CONFIG" 1 "$(delta "$before")"
	before=$(cfg_count)
	out=$(STRAW_CACHE_DIR="$cache" with_jwt loader --jwt --as "$user" -- "$@" 2>&1); rc=$?
	n=$(delta "$before")
	check_eq "$label: warm run: exits 0, 0 REQUEST_CONFIG, silent" "0 0 0" \
		"$rc $n $(straw_lines "$out")"
}

lib_program "Perl Slurm.pm (libslurm-perl)" perl "$here/loader_slurm.pl"
out=$(STRAW_CACHE_DIR="$(new_cache)" with_jwt loader --jwt --as "$user" -- perl "$here/loader_slurm.pl" 2>&1)
check_contains "Perl: slurm->ping(0) answers 0 (SLURM_SUCCESS)" "$out" "ping 0"
lib_program "Python ctypes on libslurm.so.38" /usr/bin/python3 "$here/loader_ctypes.py"
out=$(STRAW_CACHE_DIR="$(new_cache)" with_jwt loader --jwt --as "$user" -- /usr/bin/python3 "$here/loader_ctypes.py" 2>&1)
check_contains "Python ctypes: slurm_ping(0) answers 0" "$out" "ping 0"

# ========================================== 3. 50 sinfo: warm cache vs stock
diag "3. 50 sinfo: warm cache vs stock (t=${SECONDS}s)"

# shellcheck disable=SC2016
loop='i=0
while [ "$i" -lt "$1" ]; do
	sinfo -h -o %P >/dev/null || { echo "run $i failed"; exit 1; }
	i=$((i + 1))
done'

clean_default_cache
before=$(cfg_count)
out=$(with_jwt loader --jwt --as "$user" -- /bin/sh -c "$loop" sh 50 2>&1); rc=$?
n=$(delta "$before")
check_eq "50 sinfo, JWT, only LD_PRELOAD SLURM_CONF_SERVER SLURM_JWT set: all succeed" "0" "$rc${out:+ $out}"
check_eq "50 sinfo through the loader (cold, then warm): exactly 1 REQUEST_CONFIG" 1 "$n"
diag "loader, JWT, 50 sinfo: REQUEST_CONFIG delta $n"

clean_default_cache
before=$(cfg_count)
out=$(SLURM_CONF_SERVER=$STRAW_TEST_SERVER loader --as "$user" -- /bin/sh -c "$loop" sh 50 2>&1); rc=$?
n=$(delta "$before")
check_eq "50 sinfo, munge, through the loader: all succeed" "0" "$rc${out:+ $out}"
check_eq "50 sinfo, munge, through the loader: exactly 1 REQUEST_CONFIG" 1 "$n"
diag "loader, munge, 50 sinfo: REQUEST_CONFIG delta $n"

before=$(cfg_count)
out=$(with_jwt in_container --jwt --as "$user" -- /bin/sh -c "$loop" sh 50 2>&1); rc=$?
n=$(delta "$before")
check_eq "50 sinfo, stock SLURM_CONF_SERVER (no loader), JWT: all succeed" "0" "$rc${out:+ $out}"
check_eq "50 sinfo, stock SLURM_CONF_SERVER: 50 REQUEST_CONFIG" 50 "$n"
diag "stock, JWT, 50 sinfo: REQUEST_CONFIG delta $n"

before=$(cfg_count)
out=$(SLURM_CONF_SERVER=$STRAW_TEST_SERVER in_container --as "$user" -- /bin/sh -c "$loop" sh 50 2>&1); rc=$?
n=$(delta "$before")
check_eq "50 sinfo, stock SLURM_CONF_SERVER, munge: 50 REQUEST_CONFIG" "0 50" "$rc $n"
diag "stock, munge, 50 sinfo: REQUEST_CONFIG delta $n"

# ==================================== 4. 100 processes at once, cold cache
diag "4. 100 processes at once, cold cache (t=${SECONDS}s)"

# Every process waits on a FIFO until all 100 are there, then all go.
# shellcheck disable=SC2016
herd='d=$1 n=$2
mkfifo "$d/go"
exec 3<>"$d/go"
i=0
while [ "$i" -lt "$n" ]; do
	(
		: >"$d/ready.$i"
		read -r x <&3
		sinfo -h -o %P >"$d/out.$i" 2>&1
		echo $? >"$d/rc.$i"
	) &
	i=$((i + 1))
done
while [ "$(ls "$d" | grep -c "^ready\.")" -lt "$n" ]; do sleep 0.05; done
i=0
while [ "$i" -lt "$n" ]; do echo; i=$((i + 1)); done >&3
wait'
hd=$work/herd
mkdir "$hd" && chmod 0777 "$hd"
before=$(cfg_count)
t0=$(date +%s.%N)
out=$(STRAW_CACHE_DIR="$(new_cache)" with_jwt loader --jwt --as "$user" -- \
	/bin/sh -c "$herd" sh "$hd" 100 2>&1)
t1=$(date +%s.%N)
n=$(delta "$before")
good=$(cat "$hd"/rc.* 2>/dev/null | grep -c '^0$')
check_eq "100 sinfo started at once on a cold cache: all exit 0" 100 "$good"
same=$(cat "$hd"/out.* 2>/dev/null | grep -c '^debug\*$')
check_eq "100 sinfo at once: all list the partition" 100 "$same"
[ "$good" = 100 ] && [ "$same" = 100 ] || diag "$out" "$(head -n 5 "$hd"/out.* 2>/dev/null)"
check_eq "100 sinfo at once on a cold cache: exactly 1 REQUEST_CONFIG" 1 "$n"
diag "100 at once: REQUEST_CONFIG delta $n, $(awk "BEGIN { printf \"%.1f\", $t1 - $t0 }") s"

# ============================= 5. a process that never asks pays nothing
diag "5. a process that never asks pays nothing (t=${SECONDS}s)"

for cmd in "sh -c true" "/usr/bin/python3 -c pass"; do
	cache=$(new_cache)
	trace=$work/trace.$RANDOM
	# shellcheck disable=SC2086
	out=$(STRAW_CACHE_DIR="$cache" with_jwt in_container --jwt --as "$user" -- \
		strace -f -qq -o "$trace" -E LD_PRELOAD="$preload_env" \
		-e trace=socket,connect,open,openat,creat,mkdir,mkdirat,symlink,symlinkat,rename,renameat,renameat2,link,linkat,unlink,unlinkat \
		$cmd 2>&1); rc=$?
	if [ "$rc" -ne 0 ] || [ ! -s "$trace" ]; then
		fail "$cmd under the loader and strace -f" "exit $rc" "$out"
		continue
	fi
	if grep -q 'libstraw-preload\.so' "$trace"; then
		ok "$cmd: the loader is loaded (strace shows it opened)"
	else
		fail "$cmd: the loader is loaded (strace shows it opened)" "$(head -n 20 "$trace")"
	fi
	bad=$(grep -E '(socket|connect)\(' "$trace")
	check_eq "$cmd under the loader: no socket opened" "" "$bad"
	bad=$(grep -E '(mkdir|mkdirat|creat|symlink|symlinkat|rename|renameat|renameat2|link|linkat|unlink|unlinkat)\(|open(at)?\(.*O_(CREAT|WRONLY|RDWR)' "$trace")
	check_eq "$cmd under the loader: no file created or written" "" "$bad"
	bad=$(grep -E 'libstraw\.so|straw\.conf|/dev/shm/straw|/tmp/straw-' "$trace" | grep -v 'libstraw-preload\.so')
	check_eq "$cmd under the loader: the engine never loaded, no cache looked at" "" "$bad"
	if [ ! -e "$cache" ]; then
		ok "$cmd under the loader: no cache folder made"
	else
		fail "$cmd under the loader: no cache folder made" "$(ls -la "$cache")"
	fi
done

# ================================== 6. a local slurm.conf wins, as in Slurm
diag "6. a local slurm.conf wins, as in Slurm (t=${SECONDS}s)"

# The controller's slurm.conf under another ClusterName, planted in the
# container's own /etc/slurm (munge runs: the file names the cluster's
# munge socket, visible in a non --jwt container).
local_conf=$work/local.conf
sed 's/^ClusterName=.*/ClusterName=localcopy/' "$STRAW_TEST_CONF" >"$local_conf"
chmod 0644 "$local_conf"
# a port nothing listens on, for a local file that cannot work (next to
# ours: other runs take the +1000 ones)
dead=$((port + 2))
while [ -n "$(ss -Hltn "sport = :$dead" 2>/dev/null)" ]; do dead=$((dead + 1)); done
bad_conf=$work/badport.conf
sed "s/^SlurmctldPort=.*/SlurmctldPort=$dead/" "$STRAW_TEST_CONF" >"$bad_conf"
chmod 0644 "$bad_conf"
# shellcheck disable=SC2016
plant='cp "$PLANT" /etc/slurm/slurm.conf'

# Which file sinfo reads: a local file naming a port nothing listens on
# makes it fail to connect, although the loader could fetch a good one
# (in the background: Slurm retries ~10 s; checked before 7.).
PLANT=$bad_conf SLURM_CONF_SERVER=$STRAW_TEST_SERVER STRAW_CACHE_DIR=$(new_cache) \
	bg deadport as_user_after "$plant" -- env LD_PRELOAD="$preload_env" sinfo -h -o '%P %a'

cache=$(new_cache)
before=$(cfg_count)
out=$(PLANT=$local_conf SLURM_CONF_SERVER=$STRAW_TEST_SERVER STRAW_CACHE_DIR=$cache STRAW_DEBUG=1 \
	as_user_after "$plant" -- env LD_PRELOAD="$preload_env" "$probe" 2>&1); rc=$?
check_eq "/etc/slurm/slurm.conf present: the loader leaves SLURM_CONF unset" "1:(unset)" \
	"$rc:$(no_straw "$out")"
check_contains "/etc/slurm/slurm.conf present: STRAW_DEBUG says the local file wins" "$out" \
	"straw: /etc/slurm/slurm.conf exists and wins"
out=$(PLANT=$local_conf SLURM_CONF_SERVER=$STRAW_TEST_SERVER STRAW_CACHE_DIR=$cache \
	as_user_after "$plant" -- env LD_PRELOAD="$preload_env" sinfo -h -o '%P %a' 2>&1); rc=$?
check_eq "/etc/slurm/slurm.conf present: sinfo works" "0:debug* up" "$rc:$out"
check_eq "local file: no REQUEST_CONFIG, no cache folder" "0 absent" \
	"$(delta "$before") $([ -e "$cache" ] && echo present || echo absent)"

out=$(PLANT=$bad_conf SLURM_CONF_SERVER=$STRAW_TEST_SERVER STRAW_CACHE_DIR=$cache STRAW_OVERRIDE=1 \
	as_user_after "$plant" -- env LD_PRELOAD="$preload_env" sinfo -h -o '%P %a' 2>&1); rc=$?
check_eq "STRAW_OVERRIDE=1 reverses that: the fetched config wins, sinfo works" "0:debug* up" "$rc:$out"

# shellcheck disable=SC2016
plant_run='mkdir -p /run/slurm/conf && cp "$PLANT" /run/slurm/conf/slurm.conf'
out=$(PLANT=$local_conf SLURM_CONF_SERVER=$STRAW_TEST_SERVER STRAW_CACHE_DIR=$(new_cache) \
	as_user_after "$plant_run" -- env LD_PRELOAD="$preload_env" "$probe" 2>&1); rc=$?
check_eq "/run/slurm/conf/slurm.conf (sackd, configless slurmd) present: SLURM_CONF left unset" \
	"1:(unset)" "$rc:$out"

# ===================================== 8. threads and fork during a fetch
diag "8. threads and fork during a fetch (t=${SECONDS}s)"

cache=$(new_cache)
before=$(cfg_count)
out=$(STRAW_CACHE_DIR="$cache" with_jwt loader --jwt --as "$user" -- "$probe" threads 16 2>&1); rc=$?
n=$(delta "$before")
check_eq "16 threads call getenv(SLURM_CONF) at once (cold): all get the same path" 0 "$rc"
check_contains "16 threads: the path is the cache's" "$out" "value $cache/127.0.0.1_$port-"
check_eq "16 threads at once: exactly 1 REQUEST_CONFIG" 1 "$n"
[ "$rc" -eq 0 ] || diag "$out"
diag "16 threads: REQUEST_CONFIG delta $n"
# the cluster's folder name, to hold its lock in the next tests
key=$(printf '%s\n' "$out" | sed -n "s|.*value $cache/\([^/]*\)/conf/slurm.conf\$|\1|p")

# fork_test [refresh]: 16 threads wait for a fetch that another process
# holds the cluster's lock against for 2 s; the probe forks while they wait
# (see loader_getenv.c); prints the probe's report, its exit and the time.
# shellcheck disable=SC2016
hold='C=$1 K=$2
shift 2
mkdir -m 700 "$C" "$C/$K"
exec 9>"$C/$K/lock"
flock 9
{ sleep 2; } &
exec 9>&-
exec env LD_PRELOAD="$PRELOAD" "$@"'
fork_test() {
	local cache t0 t1
	cache=$(new_cache)
	t0=$(date +%s%N)
	STRAW_CACHE_DIR=$cache PRELOAD=$preload_env with_jwt in_container --jwt --as "$user" -- \
		/bin/sh -c "$hold" sh "$cache" "$key" "$probe" fork 16 "$@" 2>&1
	echo "exit: $?"
	t1=$(date +%s%N)
	echo "took: $(((t1 - t0) / 1000000)) ms"
}

if [ -z "$key" ]; then
	fail "fork during a fetch" "no cluster folder name from the threads test"
else
	before=$(cfg_count)
	out=$(fork_test)
	n=$(delta "$before")
	check_contains "fork while the fetch is in flight (16 threads inside the loader)" "$out" \
		"fork: during the fetch (16 of 16 threads waiting)"
	check_contains "fork during a fetch: no deadlock, every thread and the child got the path" \
		"$out" "exit: 0"
	check_eq "fork during a fetch: one fetch" 1 "$n"
	diag "fork: REQUEST_CONFIG delta $n; $(printf '%s\n' "$out" | grep -E '^(took|child)' | tr '\n' ' ')"
	case $out in *"exit: 0"*) ;; *) diag "$out" ;; esac

	# The child then has to refresh (STRAW_TTL=0): its parent's fetch ended
	# long ago, so the cache lock must be free for it at once.
	out=$(fork_test refresh)
	check_contains "fork during a fetch, then the child refreshes: it gets the path" "$out" "exit: 0"
	ms=$(printf '%s\n' "$out" | sed -n 's/^child: .* in \([0-9]*\) ms$/\1/p')
	if [ -n "$ms" ] && [ "$ms" -lt 5000 ]; then
		ok "fork during a fetch, then the child refreshes: not blocked by the lock its parent took (${ms} ms)"
	else
		fail "fork during a fetch, then the child refreshes: not blocked by the lock its parent took" \
			"the child waited ${ms:-?} ms (lock limit 12000 ms)" "$out"
	fi
fi

# ============================== 9. cache folders straw refuses (default path)
diag "9. cache folders straw refuses (default path) (t=${SECONDS}s)"

# In a container with its own /dev/shm, /dev/shm/straw-UID is prepared by
# root: another user's folder, a symlink to the user's own folder, mode 0777.
# Then the probe runs; then the folder's (and the link target's) contents.
# shellcheck disable=SC2016
show='env LD_PRELOAD="$PRELOAD" "$PROBE"; echo "exit: $?"
echo "contents: $(ls -A "/dev/shm/straw-$(id -u)/" 2>&1 | tr "\n" " ")"
[ ! -d /dev/shm/target ] || echo "target: $(ls -A /dev/shm/target | tr "\n" " ")"'
refuse_test() {
	local label=$1 setup=$2 want=$3 out before
	before=$(cfg_count)
	out=$(PRELOAD="$preload_env" PROBE="$probe" \
		with_jwt as_user_after --jwt "mount -t tmpfs -o mode=1777,size=4m straw-shm /dev/shm
$setup" -- /bin/sh -c "$show" 2>&1)
	check_contains "$label: refused" "$out" "exit: 1"
	check_eq "$label: one straw: line" 1 "$(straw_lines "$out")"
	check_contains "$label: the message says why" "$(printf '%s\n' "$out" | grep '^straw: ')" "$want"
	if printf '%s\n' "$out" | grep -qx 'contents: '; then
		ok "$label: nothing written in it"
	else
		fail "$label: nothing written in it" "$out"
	fi
	if printf '%s\n' "$out" | grep '^target: ' | grep -qvx 'target: '; then
		fail "$label: nothing written through the link" "$out"
	else
		ok "$label: nothing written through the link"
	fi
	check_eq "$label: no REQUEST_CONFIG" 0 "$(delta "$before")"
}
refuse_test "/dev/shm/straw-UID made by root (0755)" \
	"mkdir -m 0755 /dev/shm/straw-$uid" "belongs to uid 0, not to you (uid $uid)"
refuse_test "/dev/shm/straw-UID a symlink to the user's own folder" \
	"mkdir -m 0700 /dev/shm/target; chown $uid:$gid /dev/shm/target; ln -s /dev/shm/target /dev/shm/straw-$uid" \
	"is a symbolic link"
refuse_test "/dev/shm/straw-UID the user's but mode 0777" \
	"mkdir /dev/shm/straw-$uid; chown $uid:$gid /dev/shm/straw-$uid; chmod 0777 /dev/shm/straw-$uid" \
	"mode 0777 (writable by others)"

# the dead-port sinfo of 6., started in the background there
wait
out=$(cat "$work/deadport.out") rc=$(cat "$work/deadport.rc")
check_eq "local file naming a dead port: sinfo reads it (and fails to connect): the local file is used" \
	"1:slurm_load_partitions: Unable to contact slurm controller (connect failure)" "$rc:$out"

# ============================================ 7. the controller stopped
diag "7. the controller stopped (t=${SECONDS}s)"

cache=$(new_cache)
out=$(STRAW_CACHE_DIR="$cache" with_jwt loader --jwt --as "$user" -- "$probe" 2>&1); rc=$?
warm=$out
case $rc:$out in
"0:$cache/127.0.0.1_$port-"*/conf/slurm.conf) ok "stopped controller: a cache warmed first" ;;
*) fail "stopped controller: a cache warmed first" "exit $rc" "$out" ;;
esac

if ! "$ctld_sh" stop "$STRAW_CLUSTER" >"$work/ctld.log" 2>&1; then
	fail "stop slurmctld (tests/cluster/ctld.sh stop)" "$(cat "$work/ctld.log")"
else
	ctld_stopped=1
	sleep 1 # an age of at least 1 s to name

	# stale cache: STRAW_TTL=0 makes it stale at once
	out=$(STRAW_CACHE_DIR="$cache" STRAW_TTL=0 with_jwt loader --jwt --as "$user" -- "$probe" 2>&1); rc=$?
	check_eq "controller down, stale cache: getenv(SLURM_CONF) still gives the cached path" \
		"0:$warm" "$rc:$(no_straw "$out")"
	check_eq "controller down, stale cache: exactly one straw: warning" 1 "$(straw_lines "$out")"
	check_contains "controller down, stale cache: the warning names the copy's age" \
		"$out" "using the configuration cached "
	check_contains "controller down, stale cache: the warning names the refused controller" \
		"$out" "127.0.0.1:$port"

	out=$(STRAW_CACHE_DIR="$cache" STRAW_TTL=0 with_jwt loader --jwt --as "$user" -- \
		scontrol show hostnames 'n[1-3]' 2>&1); rc=$?
	check_eq "controller down, stale cache: a command needing only the config works (scontrol show hostnames)" \
		"0:n1 n2 n3" "$rc:$(no_straw "$out" | tr '\n' ' ' | sed 's/ $//')"
	stock=$(with_jwt in_container --jwt --as "$user" -- scontrol show hostnames 'n[1-3]' 2>&1); src=$?
	check_contains "...where stock configless Slurm has no configuration at all" "$src:$stock" \
		"Could not establish a configuration source"

	# Commands that need the controller: with a stale cache, Slurm's own
	# connection error, the exit code Slurm gives with a config file and the
	# controller down; with no cache, Slurm's own error (its own configless
	# fetch fails too) and one line more. Side by side: Slurm retries ~10 s.
	cache2=$(new_cache)
	STRAW_CACHE_DIR=$cache STRAW_TTL=0 bg sinfo with_jwt loader --jwt --as "$user" -- sinfo
	SLURM_CONF=$STRAW_TEST_CONF bg stock with_jwt in_container --jwt --as "$user" -- sinfo
	STRAW_CACHE_DIR=$cache STRAW_TTL=0 bg config with_jwt loader --jwt --as "$user" -- scontrol show config
	STRAW_CACHE_DIR=$cache2 bg nocache with_jwt loader --jwt --as "$user" -- sinfo
	bg nocache-stock with_jwt in_container --jwt --as "$user" -- sinfo
	wait
	out=$(cat "$work/sinfo.out") rc=$(cat "$work/sinfo.rc")
	stock=$(cat "$work/stock.out") src=$(cat "$work/stock.rc")
	check_eq "controller down, stale cache: sinfo's exit code is Slurm's ($src)" "$src" "$rc"
	check_eq "controller down, stale cache: sinfo's error is Slurm's connection error, not 'no configuration'" \
		"$stock" "$(no_straw "$out")"
	check_eq "controller down, stale cache: sinfo: one straw: line" 1 "$(straw_lines "$out")"
	out=$(cat "$work/config.out") rc=$(cat "$work/config.rc")
	check_eq "controller down, stale cache: scontrol show config: exit 1, Slurm's connection error, one straw: line" \
		"1:slurm_load_ctl_conf error: Unable to contact slurm controller (connect failure):1" \
		"$rc:$(no_straw "$out"):$(straw_lines "$out")"

	out=$(cat "$work/nocache.out") rc=$(cat "$work/nocache.rc")
	stock=$(cat "$work/nocache-stock.out") src=$(cat "$work/nocache-stock.rc")
	check_eq "controller down, no cache: sinfo's exit code is stock Slurm's ($src)" "$src" "$rc"
	check_eq "controller down, no cache: Slurm's own error, unchanged" "$stock" "$(no_straw "$out")"
	check_eq "controller down, no cache: plus exactly one straw: line" 1 "$(straw_lines "$out")"
	check_contains "controller down, no cache: the straw: line names the controller" \
		"$(printf '%s\n' "$out" | grep '^straw: ')" "127.0.0.1:$port"
	diag "no cache, controller down: $(printf '%s\n' "$out" | grep '^straw: ')"

	if "$ctld_sh" start "$STRAW_CLUSTER" >"$work/ctld.log" 2>&1; then
		ctld_stopped=0
		ok "slurmctld restarted (tests/cluster/ctld.sh start)"
		# shellcheck disable=SC1091
		. "$STRAW_CLUSTER/env.sh"
		out=$(STRAW_CACHE_DIR="$cache" STRAW_TTL=0 with_jwt loader --jwt --as "$user" -- sinfo -h -o %P 2>&1); rc=$?
		check_eq "controller back: the loader refreshes silently, sinfo works" "0:debug*" "$rc:$out"
	else
		fail "slurmctld restarted (tests/cluster/ctld.sh start)" "$(cat "$work/ctld.log")"
	fi
fi

finish
