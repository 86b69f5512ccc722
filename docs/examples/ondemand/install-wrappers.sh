#!/bin/sh
# install-wrappers.sh - a folder of Slurm command wrappers for Open OnDemand's
# Slurm adapter (cluster.yml: job.bin). Each wrapper runs the real command of
# the same name through `straw exec`, so it finds the cluster's configuration
# without a slurm.conf on the web node.
#
# usage (as root): sh install-wrappers.sh [DIR]
#   DIR          where the wrappers go (default /usr/local/libexec/straw-ood)
#   SLURM_BIN    where the real commands are (default /usr/bin)
#   STRAW        the straw command (default /usr/bin/straw)
#
# CI (tests/integration/test_packages.sh) runs this script and then the
# wrappers, as an ordinary user, against a real slurmctld.
set -eu

dir=${1:-/usr/local/libexec/straw-ood}
slurm_bin=${SLURM_BIN:-/usr/bin}
straw=${STRAW:-/usr/bin/straw}

install -d -m 0755 "$dir"
for cmd in sbatch squeue scancel scontrol sacct sinfo; do
	if [ ! -x "$slurm_bin/$cmd" ]; then
		echo "install-wrappers.sh: $slurm_bin/$cmd not found; skipped" >&2
		continue
	fi
	printf '#!/bin/sh\n# %s through straw (install-wrappers.sh)\nexec %s exec %s "$@"\n' \
		"$cmd" "$straw" "$slurm_bin/$cmd" >"$dir/$cmd.tmp"
	chmod 0755 "$dir/$cmd.tmp"
	mv -f "$dir/$cmd.tmp" "$dir/$cmd"
done
echo "install-wrappers.sh: wrappers in $dir; set job.bin: \"$dir\" in cluster.yml"
