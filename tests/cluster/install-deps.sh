#!/bin/bash
# install-deps.sh - install the Debian 12 packages that building straw and
# running its test cluster need, if any is missing. Quick and silent-ish when
# all are present. Never starts the system's munge or Slurm daemons: the test
# cluster runs its own, and must not meet the distribution's.
#
# usage: tests/cluster/install-deps.sh [EXTRA-PACKAGE...]
set -eu

pkgs="build-essential pkg-config munge libmunge-dev slurmctld slurmd slurm-client
slurm-wlm-jwt-plugin libslurm-perl libslurm-dev libjwt-dev libcmocka-dev libssl-dev strace
python3 util-linux procps iproute2 $*"

missing=
for p in $pkgs; do
	st=$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)
	[ "$st" = installed ] || missing="$missing $p"
done
if [ -z "$missing" ]; then
	echo "install-deps.sh: all packages present"
	exit 0
fi
echo "install-deps.sh: missing:$missing"

if [ "$(id -u)" -ne 0 ]; then
	echo "install-deps.sh: must run as root to install packages" >&2
	exit 1
fi

# Without systemd, the packages' maintainer scripts start munged, slurmctld
# and slurmd through invoke-rc.d and /etc/init.d. A policy-rc.d that answers
# 101 ("action forbidden") stops that. One already in place is left as it is.
policy=/usr/sbin/policy-rc.d
if [ ! -e "$policy" ]; then
	printf '#!/bin/sh\n# temporary, from straw tests/cluster/install-deps.sh\nexit 101\n' >"$policy"
	chmod 0755 "$policy"
	trap 'rm -f "$policy"' EXIT
fi

apt-get update
# shellcheck disable=SC2086
DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends $pkgs

# Tell, but never touch: these are not ours to stop, and our cluster uses its
# own sockets and ports (tests hide /run/munge from clients).
for d in munged slurmctld slurmd; do
	if pgrep -x "$d" >/dev/null 2>&1; then
		echo "install-deps.sh: note: a $d not started by the tests is running; the test cluster ignores it" >&2
	fi
done
echo "install-deps.sh: done"
