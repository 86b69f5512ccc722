#!/bin/bash
# test_spank.sh - straw_spank.so in the real loopback slurmd's plugstack.conf:
# a batch job submitted from the "container" with straw's loader preloaded
# (sbatch finds its configuration through it) sees a clean environment on
# the compute node: the loader gone from LD_PRELOAD (other entries kept),
# no STRAW_*, no SLURM_JWT (drop_jwt=yes, the default).  The same job
# without the plugin does carry them, so this test can fail; drop_jwt=no
# keeps the token.  slurmstepd reads plugstack.conf for every job, so the
# line is written and removed around each job, and the cluster's file is
# put back as it was (test_fetch.sh wants it empty).
set -u
. "$STRAW_TOP/tests/lib/common.sh"
cluster_up

plugin=$BUILD/lib/straw/straw_spank.so
loader=$BUILD/lib/libstraw-preload.so
stack=$STRAW_CLUSTER/etc/plugstack.conf
user=$(straw_test_user)
token=$(token_for "$user" 900)
work=$(mktemp -d /tmp/straw-spank.XXXXXX)
chmod 1777 "$work"
cp -p "$stack" "$work/plugstack.conf.orig"
trap 'cp -p "$work/plugstack.conf.orig" "$stack"; rm -rf "$work"; rm -f "$STRAW_TEST_TMP"/spank-*.env; cluster_down' EXIT

# Another library in LD_PRELOAD, which the plugin must leave alone.
other=$(ldconfig -p | awk '$1 == "libm.so.6" && /x86-64|x32|AArch64|64bit/ { print $NF; exit }')
[ -n "$other" ] || other=$(ldconfig -p | awk '$1 == "libm.so.6" { print $NF; exit }')
asan=
case ${SANITIZE:-} in
*address*)
	asan=$(gcc -print-file-name=libasan.so)
	export ASAN_OPTIONS=detect_leaks=0${ASAN_OPTIONS:+:$ASAN_OPTIONS}
	;;
esac

if [ ! -f "$plugin" ] || [ -z "$other" ]; then
	fail "straw_spank.so built and a second library to preload" "plugin: $plugin" "other: '$other'"
	finish
fi

n=0
# job PLUGSTACK-LINE: submit `env` from the container through the loader;
# sets envfile to the file the job wrote its environment to.
job() {
	local out jid state
	n=$((n + 1))
	out=$STRAW_TEST_TMP/spank-$n.env
	envfile=$out
	printf '%s\n' "$1" >"$stack"
	jid=$(SLURM_JWT=$token STRAW_SERVERS=$STRAW_TEST_SERVER STRAW_CACHE_DIR=$work/cache STRAW_MARK=x \
		LD_PRELOAD="${asan:+$asan }$loader $other" \
		in_container --jwt --as "$user" -- sbatch --parsable -o /dev/null --wrap "env >$out" 2>"$work/sbatch.err")
	if [ -z "$jid" ]; then
		fail "sbatch through the loader (plugstack: '$1')" "$(cat "$work/sbatch.err")"
		cp -p "$work/plugstack.conf.orig" "$stack"
		return
	fi
	state=$(wait_job "$jid" 60)
	check_eq "job $jid (plugstack: '${1:-empty}') completed" COMPLETED "$state"
	cp -p "$work/plugstack.conf.orig" "$stack"
}

# val FILE NAME: the value of NAME in the job's environment, or <unset>.
val() {
	local line
	line=$(grep -m1 "^$2=" "$1" 2>/dev/null) || { echo "<unset>"; return; }
	printf '%s\n' "${line#*=}"
}

# --- with the plugin (defaults)
job "required $plugin"
env1=$envfile
[ -s "$env1" ] && ok "with the plugin: the job wrote its environment" || fail "with the plugin: the job wrote its environment"
check_eq "with the plugin: the loader removed, the other library kept" "${asan:+$asan:}$other" "$(val "$env1" LD_PRELOAD)"
check_eq "with the plugin: no STRAW_* variable" 0 "$(grep -c '^STRAW_' "$env1")"
check_eq "with the plugin: SLURM_JWT dropped" "<unset>" "$(val "$env1" SLURM_JWT | sed 's/^eyJ.*/<a token>/')"
check_eq "with the plugin: SLURM_CONF is the node's own" "$STRAW_TEST_CONF" "$(val "$env1" SLURM_CONF)"
check_eq "with the plugin: the rest kept (SLURM_JOB_USER)" "$user" "$(val "$env1" SLURM_JOB_USER)"

# --- without it: the submitter's environment arrives as it was
job ""
env2=$envfile
check_eq "without the plugin: the loader is in the job's LD_PRELOAD" "${asan:+$asan }$loader $other" "$(val "$env2" LD_PRELOAD)"
check_eq "without the plugin: STRAW_* arrives" "x $STRAW_TEST_SERVER" "$(val "$env2" STRAW_MARK) $(val "$env2" STRAW_SERVERS)"
check_eq "without the plugin: SLURM_JWT arrives (22.05 exports it)" "<a token>" "$(val "$env2" SLURM_JWT | sed 's/^eyJ.*/<a token>/')"

# --- drop_jwt=no keeps the token, still cleans the rest
job "required $plugin drop_jwt=no"
env3=$envfile
check_eq "drop_jwt=no: SLURM_JWT kept" "<a token>" "$(val "$env3" SLURM_JWT | sed 's/^eyJ.*/<a token>/')"
check_eq "drop_jwt=no: the loader still removed" "${asan:+$asan:}$other" "$(val "$env3" LD_PRELOAD)"
check_eq "drop_jwt=no: STRAW_* still dropped" 0 "$(grep -c '^STRAW_' "$env3")"

check "the cluster's plugstack.conf is back as it was" cmp "$work/plugstack.conf.orig" "$stack"
finish
