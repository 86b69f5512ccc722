# shellcheck shell=bash
# common.sh - shell helpers for straw's integration tests (bash; source it).
#
#   cluster_up / cluster_down     use the cluster named by $STRAW_CLUSTER, or start one
#   straw_test_user               make (once) and print the ordinary user "strawtest"
#   in_container [--jwt] [--as USER] -- CMD...
#                                 run CMD as a "container" would: no local Slurm config,
#                                 and with --jwt no munge socket either
#   token_for USER [LIFETIME]     a JWT for USER from the cluster's key (scontrol token)
#   wait_job JOBID [TIMEOUT]      wait for a job to end; prints its final state
#   ok / fail / check / check_eq / check_contains / diag / finish
#                                 TAP-like assertions; finish prints "N passed, N failed"
#
# Everything here runs as root (as CI does): making users, unshare and mount
# need it.

STRAW_TOP=${STRAW_TOP:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}

# ---------------------------------------------------------------- asserts

_straw_n=0
_straw_passed=0
_straw_failed=0

# diag MSG...: a comment line, ignored by anything counting results.
diag() {
	printf '# %s\n' "$*"
}

# ok DESC: record a passed test.
ok() {
	_straw_n=$((_straw_n + 1))
	_straw_passed=$((_straw_passed + 1))
	printf 'ok %d - %s\n' "$_straw_n" "$1"
}

# fail DESC [DETAIL...]: record a failed test; each DETAIL is printed as a comment.
fail() {
	_straw_n=$((_straw_n + 1))
	_straw_failed=$((_straw_failed + 1))
	printf 'not ok %d - %s\n' "$_straw_n" "$1"
	shift
	local line
	for line in "$@"; do
		printf '%s\n' "$line" | sed 's/^/#   /'
	done
}

# check DESC CMD...: run CMD; pass if it exits 0, else fail showing its output.
check() {
	local desc=$1 out rc=0
	shift
	out=$("$@" 2>&1) || rc=$?
	if [ "$rc" -eq 0 ]; then
		ok "$desc"
	else
		fail "$desc" "command: $*" "exit: $rc" "$out"
	fi
	return 0
}

# check_eq DESC EXPECTED ACTUAL
check_eq() {
	if [ "$2" = "$3" ]; then
		ok "$1"
	else
		fail "$1" "expected: '$2'" "got:      '$3'"
	fi
}

# check_contains DESC HAYSTACK NEEDLE
check_contains() {
	case $2 in
	*"$3"*) ok "$1" ;;
	*) fail "$1" "expected to find: '$3'" "in: $2" ;;
	esac
}

# finish: print the summary and exit nonzero if anything failed or nothing ran.
finish() {
	echo "$_straw_passed passed, $_straw_failed failed"
	if [ "$_straw_n" -eq 0 ]; then
		echo "finish: no test ran" >&2
		exit 1
	fi
	[ "$_straw_failed" -eq 0 ] || exit 1
	exit 0
}

# ---------------------------------------------------------------- cluster

# cluster_up: make the cluster's variables (env.sh) available. Reuses the
# cluster in $STRAW_CLUSTER when it is set (one cluster for a whole test run),
# otherwise starts one and stops it when the calling shell exits.
cluster_up() {
	if [ -n "${STRAW_CLUSTER:-}" ] && [ -f "$STRAW_CLUSTER/env.sh" ]; then
		# shellcheck disable=SC1091
		. "$STRAW_CLUSTER/env.sh"
		return 0
	fi
	local line
	line=$("$STRAW_TOP/tests/cluster/start.sh") || return 1
	STRAW_CLUSTER=${line#STRAW_CLUSTER=}
	# shellcheck disable=SC1091
	. "$STRAW_CLUSTER/env.sh"
	_straw_own_cluster=$STRAW_CLUSTER
	trap cluster_down EXIT
}

# cluster_down: stop the cluster cluster_up started (never one it reused).
cluster_down() {
	if [ -n "${_straw_own_cluster:-}" ]; then
		"$STRAW_TOP/tests/cluster/stop.sh" "$_straw_own_cluster" || true
		_straw_own_cluster=
	fi
}

# ---------------------------------------------------------------- users

# straw_test_user: create the ordinary user "strawtest" if needed; print its name.
straw_test_user() {
	local u=strawtest
	if ! id "$u" >/dev/null 2>&1; then
		# another test may be creating it at the same moment
		useradd -m -s /bin/sh "$u" >/dev/null 2>&1 || id "$u" >/dev/null 2>&1 || {
			echo "straw_test_user: cannot create user $u" >&2
			return 1
		}
	fi
	echo "$u"
}

# ---------------------------------------------------------------- containers

# The part of in_container that runs inside the new mount namespace, as root.
# $1 = 1 for --jwt, $2 = user or empty, $3 = the cluster's munge socket or
# empty; the rest is the command.
# shellcheck disable=SC2016
_straw_ns_script='
set -eu
jwt=$1 user=$2 sock=$3
shift 3
for d in /etc/slurm /run/slurm /run/munge; do
	mount -t tmpfs -o mode=0755,size=4m straw-hidden "$d"
done
if [ -n "$sock" ]; then
	if [ "$jwt" = 1 ]; then
		mount -t tmpfs -o mode=0755,size=4m straw-hidden "${sock%/*}"
	else
		# Slurm fetches its configless config with the default munge socket
		# (the AuthInfo socket is only known once slurm.conf is read), so the
		# cluster socket is "mounted into the container" at the default path.
		ln -s "$sock" /run/munge/munge.socket.2
	fi
fi
if [ -z "$user" ]; then
	exec "$@"
fi
ent=$(getent passwd "$user") || { echo "in_container: no user $user" >&2; exit 1; }
uid=$(echo "$ent" | cut -d: -f3)
gid=$(echo "$ent" | cut -d: -f4)
home=$(echo "$ent" | cut -d: -f6)
name=$(echo "$ent" | cut -d: -f1)
# XDG_RUNTIME_DIR names the caller runtime directory, never the user one
# (and straw keeps its cache there)
exec env -u XDG_RUNTIME_DIR HOME="$home" USER="$name" LOGNAME="$name" \
	setpriv --reuid="$uid" --regid="$gid" --init-groups -- \
	/bin/sh -c "[ -r . ] && [ -x . ] || cd \"\$HOME\" 2>/dev/null || cd /; exec \"\$@\"" sh "$@"
'

# in_container [--jwt] [--as USER] [--] CMD...: run CMD in a private mount
# namespace where /etc/slurm, /run/slurm and /run/munge are empty tmpfs, so
# no local Slurm config is visible. Without --jwt the cluster's munge socket
# shows at /run/munge/munge.socket.2 (as a container with it mounted in);
# with --jwt the cluster's munge directory is hidden too, so no munge socket
# is reachable at all. With --as, CMD runs as USER, keeping the caller's
# exported environment (HOME, USER and LOGNAME are USER's, XDG_RUNTIME_DIR
# is dropped); if USER cannot enter the current directory, CMD starts in HOME.
in_container() {
	local jwt=0 user=''
	while [ $# -gt 0 ]; do
		case $1 in
		--jwt) jwt=1; shift ;;
		--as)
			[ $# -ge 2 ] || { echo "in_container: --as needs a user" >&2; return 2; }
			user=$2; shift 2 ;;
		--) shift; break ;;
		-*) echo "in_container: unknown option $1" >&2; return 2 ;;
		*) break ;;
		esac
	done
	[ $# -gt 0 ] || { echo "usage: in_container [--jwt] [--as USER] -- CMD..." >&2; return 2; }
	local d
	for d in /etc/slurm /run/slurm /run/munge; do
		[ -d "$d" ] || mkdir -p "$d"
	done
	unshare -m --propagation private -- /bin/sh -c "$_straw_ns_script" in_container \
		"$jwt" "$user" "${STRAW_TEST_MUNGE_SOCKET:-}" "$@"
}

# ---------------------------------------------------------------- slurm

# token_for USER [LIFETIME]: print a JWT for USER (default lifetime 3600 s),
# signed by the cluster's controller with its key.
token_for() {
	local out tok
	[ -n "${STRAW_TEST_CONF:-}" ] || { echo "token_for: no cluster (STRAW_TEST_CONF unset)" >&2; return 1; }
	out=$(SLURM_CONF=$STRAW_TEST_CONF scontrol token username="$1" lifespan="${2:-3600}" 2>&1) || {
		echo "token_for: scontrol token failed: $out" >&2
		return 1
	}
	tok=$(printf '%s\n' "$out" | sed -n 's/^SLURM_JWT=//p')
	[ -n "$tok" ] || { echo "token_for: no token in: $out" >&2; return 1; }
	printf '%s\n' "$tok"
}

# wait_job JOBID [TIMEOUT]: poll the controller until the job leaves the
# queue's live states; print its final state (or TIMEOUT-WAITING) and return 0
# only for COMPLETED.
wait_job() {
	local id=$1 limit=${2:-60} state='' i=0
	while [ "$i" -lt $((limit * 5)) ]; do
		state=$(SLURM_CONF=$STRAW_TEST_CONF scontrol -o show job "$id" 2>/dev/null |
			sed -n 's/.*JobState=\([A-Z_]*\).*/\1/p')
		case $state in
		PENDING | RUNNING | CONFIGURING | COMPLETING | SUSPENDED | '') ;;
		*)
			echo "$state"
			[ "$state" = COMPLETED ]
			return
			;;
		esac
		sleep 0.2
		i=$((i + 1))
	done
	echo "TIMEOUT-WAITING($state)"
	return 1
}
