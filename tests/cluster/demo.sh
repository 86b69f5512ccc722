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

###########################################################################
# PLACEHOLDER - the straw part of the demo goes here (lead to fill in).
# Available: $STRAW_TEST_SERVER, $STRAW_TEST_CONF, $STRAW_TEST_JWT_KEY,
# $STRAW_TEST_MUNGE_SOCKET; helpers from tests/lib/common.sh:
#   user=$(straw_test_user); tok=$(token_for "$user")
#   in_container --jwt --as "$user" -- env SLURM_JWT="$tok" ... sinfo
###########################################################################
echo "== (placeholder) Slurm's own configless fetch, for comparison:"
user=$(straw_test_user)
tok=$(token_for "$user" 300)
in_container --jwt --as "$user" -- env SLURM_CONF_SERVER="$STRAW_TEST_SERVER" SLURM_JWT="$tok" sinfo
