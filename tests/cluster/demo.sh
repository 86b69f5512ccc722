#!/bin/bash
# demo.sh - the straw demo on a real loopback Slurm: start the test cluster,
# show straw serving unmodified Slurm tools from a config-less "container",
# stop the cluster.
#
# usage (from the top of the repository, as root): tests/cluster/demo.sh
# shellcheck source-path=SCRIPTDIR
set -eu

top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top"
# shellcheck source=../lib/common.sh
. tests/lib/common.sh

echo "== starting a loopback Slurm cluster (munged, slurmctld, slurmd)"
line=$(tests/cluster/start.sh)
dir=${line#STRAW_CLUSTER=}
trap 'echo "== stopping the cluster"; tests/cluster/stop.sh "$dir"' EXIT
# shellcheck disable=SC1091
. "$dir/env.sh"
echo "== cluster environment ($dir/env.sh)"
sed -n 's/^export //p' "$dir/env.sh"

user=$(straw_test_user)
tok=$(token_for "$user" 600)
cache=$(mktemp -d /tmp/straw-demo-cache.XXXXXX)
out=$(mktemp -d /tmp/straw-demo-out.XXXXXX)
chown "$user" "$cache" "$out"
chmod 0700 "$cache"
trap 'rm -rf "$cache" "$out"; echo "== stopping the cluster"; tests/cluster/stop.sh "$dir"' EXIT

echo
echo "== a 'container': /etc/slurm, /run/slurm and /run/munge are empty; user $user; a JWT only"
in_container --jwt --as "$user" -- sh -c 'ls -A /etc/slurm /run/slurm /run/munge; echo "(nothing there)"'

echo
echo "== 1. straw fetches the client configuration (negotiating the protocol version)"
SLURM_JWT=$tok in_container --jwt --as "$user" -- "$top/build/bin/straw" -v -o "$out" "$STRAW_TEST_SERVER"
ls -l "$out"
echo "== ... and unmodified sinfo runs on the result"
SLURM_JWT=$tok SLURM_CONF=$out/slurm.conf in_container --jwt --as "$user" -- sinfo

echo
echo "== 2. no fetch step at all: unmodified sinfo, squeue and sbatch through the LD_PRELOAD loader"
echo "   environment: LD_PRELOAD=$top/build/lib/libstraw-preload.so SLURM_CONF_SERVER=$STRAW_TEST_SERVER SLURM_JWT=<token>"
run() {
	LD_PRELOAD=$top/build/lib/libstraw-preload.so SLURM_CONF_SERVER=$STRAW_TEST_SERVER \
		SLURM_JWT=$tok STRAW_CACHE_DIR=$cache in_container --jwt --as "$user" -- "$@"
}
run sinfo
run squeue
job=$(run sbatch --parsable -o "$STRAW_TEST_TMP/demo-%j.out" --wrap 'echo "hello from job $SLURM_JOB_ID on $(hostname)"')
echo "submitted job $job"
state=$(wait_job "$job" 60) || true
echo "job $job: $state"
cat "$STRAW_TEST_TMP/demo-$job.out" 2>/dev/null || true
echo "== the cache the loader filled ($cache): one folder for the cluster, and the link"
echo "   by which the loader finds it without loading the engine"
ls -l "$cache"
ls -l "$cache"/*_*/ "$cache"/*_*/conf/
