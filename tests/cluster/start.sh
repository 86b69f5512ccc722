#!/bin/bash
# start.sh - start a throwaway Slurm cluster on loopback for tests and the demo:
# a private munged, slurmctld (configless, munge + JWT) and one slurmd (n1), all
# under one directory. Prints STRAW_CLUSTER=<dir>; source <dir>/env.sh to use it
# and run tests/cluster/stop.sh <dir> to end it.
#
# usage: tests/cluster/start.sh [DIR]
#   DIR        where everything lives (default: a new mktemp -d /tmp/straw-cluster.XXXXXX);
#              it must be empty or absent. Its path must be reachable by ordinary
#              users (tests run clients as one), so it is made 0755.
# environment:
#   STRAW_TEST_CTLD_PORT    slurmctld port (default 26817)
#   STRAW_TEST_SLURMD_PORT  slurmd port (default 26818)
#   STRAW_TEST_START_TIMEOUT seconds to wait for the cluster to come up (default 30)
#   STRAW_TEST_CONFIGLESS=0 leave enable_configless out of SlurmctldParameters, for
#                           the "configless disabled" (RC 2126) tests (default 1)
#   KEEP=1                  on a failed start, keep DIR for a look at the logs
set -eu
# no job control: a background daemon must stay in our process group, so
# setsid execs it in place and $! is the daemon itself
set +m

here=$(cd "$(dirname "$0")" && pwd)
# Neither the daemons nor our own checks may inherit a client's settings:
# SLURM_JWT, for one, makes slurmctld refuse to start ("AuthType change").
unset SLURM_JWT SLURM_CONF SLURM_CONF_SERVER LD_PRELOAD
ctld_port=${STRAW_TEST_CTLD_PORT:-26817}
slurmd_port=${STRAW_TEST_SLURMD_PORT:-26818}
timeout=${STRAW_TEST_START_TIMEOUT:-30}
configless=${STRAW_TEST_CONFIGLESS:-1}

die() {
	echo "start.sh: $*" >&2
	exit 1
}

for prog in munged mungekey slurmctld slurmd scontrol sinfo ss; do
	command -v "$prog" >/dev/null 2>&1 ||
		die "$prog not found; run tests/cluster/install-deps.sh first"
done
[ "$(id -u)" -eq 0 ] || die "must run as root (slurmd has to switch to the job's user)"

case $ctld_port$slurmd_port in
*[!0-9]*) die "ports must be numbers (STRAW_TEST_CTLD_PORT=$ctld_port STRAW_TEST_SLURMD_PORT=$slurmd_port)" ;;
esac
[ "$ctld_port" != "$slurmd_port" ] || die "slurmctld and slurmd ports must differ"
case $configless in
1) ctld_params='SlurmctldParameters=enable_configless' ;;
0) ctld_params='# SlurmctldParameters: configless disabled (STRAW_TEST_CONFIGLESS=0)' ;;
*) die "STRAW_TEST_CONFIGLESS must be 0 or 1, not '$configless'" ;;
esac

# A port already taken would make a daemon die or, worse, tests talk to
# someone else's controller.
for p in "$ctld_port" "$slurmd_port"; do
	if [ -n "$(ss -Hltn "sport = :$p" 2>/dev/null)" ]; then
		die "TCP port $p is already in use (set STRAW_TEST_CTLD_PORT / STRAW_TEST_SLURMD_PORT)"
	fi
done

if [ $# -ge 1 ]; then
	dir=$1
	mkdir -p "$dir"
	[ -z "$(ls -A "$dir")" ] || die "$dir is not empty"
	dir=$(cd "$dir" && pwd -P)
else
	dir=$(mktemp -d /tmp/straw-cluster.XXXXXX)
fi
case $dir in
*[!A-Za-z0-9/._-]*)
	rmdir "$dir" 2>/dev/null || true
	die "directory name '$dir' has characters slurm.conf cannot take"
	;;
esac

# The pids file marks the directory as ours for stop.sh, so it comes first.
: >"$dir/pids"
started=0
_cleanup() {
	rc=$?
	if [ "$started" -eq 0 ]; then
		echo "start.sh: start failed; stopping what was started" >&2
		"$here/stop.sh" "$dir" >&2 || true
	fi
	exit "$rc"
}
trap _cleanup EXIT
trap 'exit 130' INT TERM

# munged and slurmd refuse paths writable by others; ordinary users must be
# able to reach the munge socket and slurm.conf, so 0755 all the way.
umask 022
chmod 0755 "$dir"
mkdir -p "$dir/etc" "$dir/munge" "$dir/state" "$dir/spool" "$dir/log" "$dir/run"
mkdir -p "$dir/tmp"
chmod 1777 "$dir/tmp"

# _launch NAME CMD...: start a daemon in its own session, in our directory
# (so it pins no one's working directory), fully detached from our stdio (a
# caller capturing our output must not wait for it), and record its pid.
_launch() {
	name=$1
	shift
	(cd "$dir" && exec setsid "$@") </dev/null >>"$dir/log/$name.out" 2>&1 &
	launched_pid=$!
	echo "$name $launched_pid" >>"$dir/pids"
}

# _alive NAME: the daemon recorded as NAME is still running (it is our child:
# dead but not yet reaped, it is a zombie, which kill -0 would call alive).
_alive() {
	p=$(awk -v n="$1" '$1 == n { print $2 }' "$dir/pids")
	[ -n "$p" ] || return 1
	st=$(sed 's/.*) \(.\).*/\1/' "/proc/$p/stat" 2>/dev/null) || return 1
	[ "$st" != Z ]
}

# _tails: the end of each daemon's log. Slurm daemons in -D mode write the
# same lines to their log file and stderr; stderr (NAME.out) alone has what
# they said before opening the log, and munged's messages.
_tails() {
	for n in munged slurmctld slurmd; do
		f=$dir/log/$n.log
		[ -s "$f" ] || f=$dir/log/$n.out
		[ -s "$f" ] || continue
		echo "----- tail of $f" >&2
		tail -n 20 "$f" >&2
	done
}

t0=$(date +%s.%N)

# --- munge: a fresh key and a private daemon ------------------------------
(umask 077 && mungekey --create --keyfile="$dir/munge/munge.key" >/dev/null 2>&1) ||
	(umask 077 && head -c 1024 /dev/urandom >"$dir/munge/munge.key")
chmod 0600 "$dir/munge/munge.key"
munge_socket=$dir/munge/munge.socket
_launch munged munged --foreground \
	--socket="$munge_socket" \
	--key-file="$dir/munge/munge.key" \
	--pid-file="$dir/munge/munged.pid" \
	--log-file="$dir/munge/munged.log" \
	--seed-file="$dir/munge/munged.seed"
munged_pid=$launched_pid
i=0
while [ ! -S "$munge_socket" ]; do
	if ! _alive munged; then
		cat "$dir/log/munged.out" "$dir/munge/munged.log" >&2 2>/dev/null || true
		die "munged exited during start-up"
	fi
	i=$((i + 1))
	[ "$i" -le $((timeout * 10)) ] || { _tails; die "munged socket did not appear in ${timeout}s"; }
	sleep 0.1
done

# --- JWT: a fresh HS256 key readable by the controller only ---------------
jwt_key=$dir/jwt_hs256.key
(umask 077 && head -c 32 /dev/urandom >"$jwt_key")
chmod 0600 "$jwt_key"

# --- slurm.conf ---------------------------------------------------------
ncpu=$(nproc)
conf=$dir/etc/slurm.conf
cat >"$conf" <<EOF
# slurm.conf for a throwaway loopback test cluster, written by
# tests/cluster/start.sh. Kept simple on purpose: Slurm's own configless
# clients read it too.
ClusterName=straw
SlurmctldHost=localhost(127.0.0.1)
SlurmctldPort=$ctld_port
SlurmdPort=$slurmd_port
SlurmUser=root
SlurmdUser=root
$ctld_params
CommunicationParameters=NoCtldInAddrAny,NoInAddrAny
AuthType=auth/munge
AuthInfo=socket=$munge_socket
CredType=cred/munge
AuthAltTypes=auth/jwt
AuthAltParameters=jwt_key=$jwt_key
StateSaveLocation=$dir/state
SlurmdSpoolDir=$dir/spool
SlurmctldPidFile=$dir/run/slurmctld.pid
SlurmdPidFile=$dir/run/slurmd.pid
SlurmctldLogFile=$dir/log/slurmctld.log
SlurmdLogFile=$dir/log/slurmd.log
SlurmctldDebug=info
SlurmdDebug=info
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
SwitchType=switch/none
MpiDefault=none
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
SlurmdParameters=config_overrides
ReturnToService=2
MailProg=/bin/true
NodeName=n1 NodeHostname=localhost NodeAddr=127.0.0.1 Port=$slurmd_port CPUs=$ncpu State=UNKNOWN
PartitionName=debug Nodes=n1 Default=YES MaxTime=INFINITE State=UP
EOF
# The controller serves plugstack.conf to configless clients; an empty one
# keeps the host's /etc/slurm/plugstack.conf out of the picture.
: >"$dir/etc/plugstack.conf"

# --- the daemons ----------------------------------------------------------
_launch slurmctld slurmctld -D -i -f "$conf"
slurmctld_pid=$launched_pid
_launch slurmd slurmd -D -f "$conf" -N n1
slurmd_pid=$launched_pid

# --- wait until the controller answers and n1 is idle ----------------------
deadline=$(($(date +%s) + timeout))
state=
while :; do
	for n in munged slurmctld slurmd; do
		if ! _alive "$n"; then
			_tails
			die "$n exited during start-up"
		fi
	done
	if SLURM_CONF=$conf scontrol ping 2>/dev/null | grep -q 'is UP'; then
		state=$(SLURM_CONF=$conf sinfo -h -n n1 -o %T 2>/dev/null || true)
		[ "$state" != idle ] || break
	fi
	if [ "$(date +%s)" -ge "$deadline" ]; then
		_tails
		die "cluster not ready after ${timeout}s (n1 state: '${state:-unknown}')"
	fi
	sleep 0.2
done
t1=$(date +%s.%N)

cat >"$dir/env.sh" <<EOF
# env.sh - source this to use the test cluster in $dir
export STRAW_CLUSTER='$dir'
export STRAW_TEST_CONF='$conf'
export STRAW_TEST_SERVER='127.0.0.1:$ctld_port'
export STRAW_TEST_CTLD_PORT='$ctld_port'
export STRAW_TEST_SLURMD_PORT='$slurmd_port'
export STRAW_TEST_MUNGE_SOCKET='$munge_socket'
export STRAW_TEST_JWT_KEY='$jwt_key'
export STRAW_TEST_TMP='$dir/tmp'
export STRAW_TEST_MUNGED_PID='$munged_pid'
export STRAW_TEST_SLURMCTLD_PID='$slurmctld_pid'
export STRAW_TEST_SLURMD_PID='$slurmd_pid'
EOF
chmod 0644 "$dir/env.sh"

started=1
echo "start.sh: cluster up in $(awk "BEGIN { printf \"%.1f\", $t1 - $t0 }")s" \
	"(slurmctld 127.0.0.1:$ctld_port, slurmd n1 127.0.0.1:$slurmd_port, $ncpu CPUs)" >&2
echo "STRAW_CLUSTER=$dir"
