#!/bin/bash
# test_packages.sh - straw as it is installed, against the real loopback
# slurmctld: the command, the man pages, the pkg-config file and headers, the
# loader through LD_PRELOAD and through /etc/ld.so.preload (in a private
# mount namespace: the machine's real file is never touched), and every
# example of docs/examples/ run the way the example says.
#
# What "installed" means:
#   STRAW_INSTALLED=1   the files the packages put on this machine (set by
#                       tests/packaging/check-installed.sh after apt install)
#   otherwise           `make install` into a temporary DESTDIR, with the
#                       packages' paths (PREFIX=/usr, Debian multiarch LIBDIR),
#                       built in a folder of its own: the same tree a .deb
#                       unpacks, used where it lies
set -u
. "$STRAW_TOP/tests/lib/common.sh"
cluster_up

top=$STRAW_TOP
examples=$top/docs/examples
ma=$(dpkg-architecture -qDEB_HOST_MULTIARCH 2>/dev/null || gcc -print-multiarch)
version=$(sed -n 's/.*STRAW_VERSION_STRING "\([^"]*\)".*/\1/p' "$top/include/straw/straw.h")
user=$(straw_test_user)
work=$(mktemp -d /tmp/straw-pkg.XXXXXX)
chmod 0755 "$work"
trap 'rm -rf "$work"; cluster_down' EXIT

# Nothing from the caller may name a controller, token or config: each case
# sets exactly what it means to test.
unset SLURM_CONF SLURM_CONF_SERVER STRAW_SERVERS SLURM_JWT STRAW_JWT_FILE STRAW_CONF \
	STRAW_CACHE_DIR STRAW_AUTH STRAW_PROTOCOL STRAW_DEBUG STRAW_DISABLE STRAW_OVERRIDE \
	LD_PRELOAD LD_LIBRARY_PATH

# What the examples run needs sudo (batchspawner's prefix) and a YAML
# reader; the man pages, man and groff.
if ! command -v sudo >/dev/null 2>&1 || ! /usr/bin/python3 -c 'import yaml' 2>/dev/null ||
	! command -v man >/dev/null 2>&1 || ! command -v groff >/dev/null 2>&1; then
	"$top/tests/cluster/install-deps.sh" sudo python3-yaml man-db groff-base >/dev/null 2>&1
fi

if [ "${STRAW_INSTALLED:-0}" = 1 ]; then
	root=
	diag "testing the installed packages: $(dpkg-query -W -f='${Package} ${Version}  ' straw straw-munge libstraw-dev 2>/dev/null)"
	libpath=
else
	root=$work/root
	diag "testing make install into $root"
	out=$(env -u SANITIZE make -s -C "$top" install SANITIZE= DESTDIR="$root" PREFIX=/usr \
		LIBDIR="/usr/lib/$ma" SYSCONFDIR=/etc BUILD="$work/build" 2>&1); rc=$?
	check_eq "make install DESTDIR PREFIX=/usr LIBDIR=/usr/lib/$ma: exit 0" 0 "$rc"
	[ "$rc" -eq 0 ] || diag "$out"
	# A bare LD_PRELOAD name is looked up like a library: here, in the DESTDIR.
	libpath=$root/usr/lib/$ma
fi
straw=$root/usr/bin/straw
libdir=$root/usr/lib/$ma
loader=$libdir/libstraw-preload.so
token=$(token_for "$user" 900)
printf '%s\n' "$token" >"$work/jwt"
chmod 0644 "$work/jwt"

# mkcache NAME: a cache folder for the test user (mode 0700, the user's),
# so nothing is left in /dev/shm.
mkcache() {
	install -d -m 0700 -o "$user" "$work/$1"
	echo "$work/$1"
}

# cached DIR: the cache DIR holds a published configuration.
cached() {
	compgen -G "$1/*/conf/slurm.conf" >/dev/null
}

# ------------------------------------------------------------ the files

files=(usr/bin/straw "usr/lib/$ma/libstraw.so.1" "usr/lib/$ma/libstraw-preload.so"
	"usr/lib/$ma/straw/auth_jwt.so" "usr/lib/$ma/straw/auth_munge.so"
	"usr/lib/$ma/libstraw.so" "usr/lib/$ma/pkgconfig/straw.pc"
	usr/include/straw/straw.h usr/include/straw/plugin.h)
[ -f "$top/plugin/spank/Makefile" ] && files+=("usr/lib/$ma/straw/straw_spank.so")
for f in "${files[@]}"; do
	[ -e "$root/$f" ] && ok "installed: /$f" || fail "installed: /$f"
done

out=$("$straw" -V 2>&1); rc=$?
check_eq "straw -V names version $version" "0:straw $version" "$rc:$out"

rp=$(readelf -d "$straw" 2>/dev/null | sed -n 's/.*(RUNPATH).*\[\(.*\)\]/\1/p')
case $rp in
'' | '$ORIGIN/'*) ok "straw has no absolute RUNPATH (${rp:-none})" ;;
*) fail "straw has no absolute RUNPATH" "RUNPATH: $rp" ;;
esac

# Each page is where man looks, renders, and warns about nothing; the paths
# in it are the installed ones.
for p in man1/straw.1 man5/straw.conf.5 man8/straw-preload.8; do
	f=$(ls "$root/usr/share/man/$p" "$root/usr/share/man/$p.gz" 2>/dev/null | head -n 1)
	if [ -z "$f" ]; then
		fail "man page $p installed"
		continue
	fi
	ok "man page $p installed"
	w=$(LC_ALL=C.UTF-8 MANROFFSEQ='' MANWIDTH=80 man --warnings -E UTF-8 -l -Tutf8 "$f" 2>&1 >/dev/null)
	check_eq "man page $p renders without warnings" "" "$w"
done
for p in straw.1 straw.conf.5 straw-preload.8; do
	w=$(groff -man -ww -z -Tutf8 "$top/docs/$p" 2>&1)
	check_eq "docs/$p: groff -man -ww finds nothing to warn about" "" "$w"
done
f=$(ls "$root/usr/share/man/man8/straw-preload.8"* 2>/dev/null | head -n 1)
txt=$(MANWIDTH=200 man -l "$f" 2>/dev/null)
check_contains "straw-preload(8) names the installed loader" "$txt" "/usr/lib/$ma/libstraw-preload.so"

# libstraw-dev: a program built with pkg-config's flags links and runs.
cat >"$work/pc.c" <<'EOF'
#include <stdio.h>
#include <straw/straw.h>
#include <straw/plugin.h>

int main(void)
{
	size_t n = 0;
	const uint16_t *v = straw_protocol_versions(&n);

	printf("%s %d\n", n ? straw_protocol_name(v[0]) : "none", STRAW_PLUGIN_VERSION);
	return n ? 0 : 1;
}
EOF
flags=$(PKG_CONFIG_SYSROOT_DIR=$root PKG_CONFIG_LIBDIR=$libdir/pkgconfig pkg-config --cflags --libs straw 2>&1); rc=$?
check_eq "pkg-config --cflags --libs straw: exit 0" "0" "$rc"
[ "$rc" -eq 0 ] || diag "$flags"
check_eq "pkg-config --modversion straw is $version" "$version" \
	"$(PKG_CONFIG_SYSROOT_DIR=$root PKG_CONFIG_LIBDIR=$libdir/pkgconfig pkg-config --modversion straw 2>&1)"
# shellcheck disable=SC2086
out=$(cc -o "$work/pc" "$work/pc.c" $flags 2>&1 && LD_LIBRARY_PATH=$libpath "$work/pc" 2>&1); rc=$?
check_eq "a program built against libstraw-dev runs" "0:26.05 1" "$rc:$out"

# ------------------------------------------------------------ the command

conf_dir=$(dirname "$STRAW_TEST_CONF")
install -d -o "$user" "$work/jwt-out" "$work/munge-out"
out=$(SLURM_JWT=$token in_container --jwt --as "$user" -- "$straw" -o "$work/jwt-out" "$STRAW_TEST_SERVER" 2>&1); rc=$?
check_eq "installed straw, JWT, as $user in a container: exit 0" "0" "$rc${out:+ $out}"
check "installed straw, JWT: slurm.conf identical to the controller's" cmp "$conf_dir/slurm.conf" "$work/jwt-out/slurm.conf"

out=$(in_container --as "$user" -- "$straw" --auth munge -o "$work/munge-out" "$STRAW_TEST_SERVER" 2>&1); rc=$?
check_eq "installed straw, munge plugin: exit 0" "0" "$rc${out:+ $out}"
check "installed straw, munge: slurm.conf identical" cmp "$conf_dir/slurm.conf" "$work/munge-out/slurm.conf"

# ------------------------------------------------------------ LD_PRELOAD

cache=$(mkcache cache-preload)
out=$(LD_LIBRARY_PATH=$libpath LD_PRELOAD=libstraw-preload.so STRAW_SERVERS=$STRAW_TEST_SERVER \
	SLURM_JWT=$token STRAW_CACHE_DIR=$cache STRAW_DEBUG=1 \
	in_container --jwt --as "$user" -- sinfo -h -o '%P %a' 2>"$work/preload.err"); rc=$?
check_eq "sinfo with LD_PRELOAD=libstraw-preload.so (installed loader)" "0:debug* up" "$rc:$out"
check_contains "the loader set SLURM_CONF into its cache" "$(cat "$work/preload.err")" "SLURM_CONF=$cache/"
case $(cat "$work/preload.err") in
*"$token"*) fail "the loader's debug output never shows the token" ;;
*) ok "the loader's debug output never shows the token" ;;
esac

# ------------------------------------------------------------ /etc/ld.so.preload

# The gateway set-up of straw-preload(8): the loader's full path in
# /etc/ld.so.preload, the controllers in /etc/straw.conf (the example file,
# its servers line made ours), munge on the host, and no variable at all.
# Both files are bind-mounted over an overlay of /etc inside a private mount
# namespace, so the machine's own /etc is never written.
sed "s|^servers = .*|servers = $STRAW_TEST_SERVER|" "$examples/straw.conf" >"$work/straw.conf"
printf '%s\n' "$loader" >"$work/ld.so.preload"
before=$(ls -l --time-style=full-iso /etc/ld.so.preload 2>&1; md5sum /etc/ld.so.preload 2>&1)
before_conf=$(ls -l --time-style=full-iso /etc/straw.conf 2>&1)
gw_cache=$(mkcache cache-gateway)
# shellcheck disable=SC2016
gateway() {
	unshare -m --propagation private -- bash -c '
		set -e
		. "$STRAW_TOP/tests/lib/common.sh"
		w=$1; shift
		mount -t tmpfs -o mode=0755,size=16m straw-etc "$w/ovl"
		mkdir "$w/ovl/upper" "$w/ovl/work"
		mount -t overlay straw-etc -o "lowerdir=/etc,upperdir=$w/ovl/upper,workdir=$w/ovl/work" /etc
		touch /etc/ld.so.preload /etc/straw.conf
		mount --bind "$w/ld.so.preload" /etc/ld.so.preload
		mount --bind "$w/straw.conf" /etc/straw.conf
		in_container "$@"
	' gateway "$work" "$@"
}
mkdir -p "$work/ovl"
out=$(STRAW_CACHE_DIR=$gw_cache STRAW_DEBUG=1 gateway --as "$user" -- sinfo -h -o '%P %a' 2>"$work/gw.err"); rc=$?
check_eq "sinfo through /etc/ld.so.preload and /etc/straw.conf, no variables" "0:debug* up" "$rc:$out"
check_contains "/etc/ld.so.preload: the loader set SLURM_CONF" "$(cat "$work/gw.err")" "SLURM_CONF=$gw_cache/"
[ "$rc" -eq 0 ] || diag "$(cat "$work/gw.err")"
out=$(STRAW_CACHE_DIR=$gw_cache gateway --as "$user" -- sh -c 'squeue -h; echo rc=$?' 2>&1)
check_eq "/etc/ld.so.preload: squeue from the warm cache, silent" "rc=0" "$out"
out=$(STRAW_CACHE_DIR=$gw_cache gateway --as "$user" -- sh -c 'echo "${SLURM_CONF:-unset}"' 2>&1)
check_eq "/etc/ld.so.preload: a shell that never asks stays untouched" "unset" "$out"
after=$(ls -l --time-style=full-iso /etc/ld.so.preload 2>&1; md5sum /etc/ld.so.preload 2>&1)
check_eq "the machine's /etc/ld.so.preload is untouched" "$before" "$after"
check_eq "the machine's /etc/straw.conf is untouched" "$before_conf" "$(ls -l --time-style=full-iso /etc/straw.conf 2>&1)"

# ------------------------------------------------------------ docs/examples

# Dockerfile: its ENV and CMD, in a JWT-only container as an ordinary user;
# only the controller and the token's path are this cluster's.
env_line=$(awk '/^ENV /{ on = 1 } on { l = $0; more = sub(/\\$/, "", l); printf "%s ", l; if (!more) exit }' \
	"$examples/Dockerfile")
env_line=${env_line#ENV }
read -ra docker_env <<<"$env_line"
names=$(printf '%s\n' "${docker_env[@]}" | sed 's/=.*//' | sort | tr '\n' ' ')
check_eq "Dockerfile: ENV sets exactly LD_PRELOAD, SLURM_CONF_SERVER, STRAW_JWT_FILE" \
	"LD_PRELOAD SLURM_CONF_SERVER STRAW_JWT_FILE " "$names"
cmd=$(/usr/bin/python3 -c 'import json, re, sys
m = re.search(r"^CMD (.*)$", open(sys.argv[1]).read(), re.M)
print("\0".join(json.loads(m.group(1))), end="")' "$examples/Dockerfile" | tr '\0' '\n')
mapfile -t docker_cmd <<<"$cmd"
dk_cache=$(mkcache cache-docker)
out=$(export "${docker_env[@]}" SLURM_CONF_SERVER="$STRAW_TEST_SERVER" STRAW_JWT_FILE="$work/jwt" \
	LD_LIBRARY_PATH="$libpath" STRAW_CACHE_DIR="$dk_cache" &&
	in_container --jwt --as "$user" -- "${docker_cmd[@]}" 2>&1); rc=$?
check_eq "Dockerfile: CMD (${docker_cmd[*]}) exits 0" "0" "$rc"
check_contains "Dockerfile: sinfo lists the partition" "$out" "debug*"
cached "$dk_cache" && ok "Dockerfile: the loader fetched into the cache" ||
	fail "Dockerfile: the loader fetched into the cache" "$out"

# Kubernetes: the container's env and command; the token file is where the
# Secret's volume puts it (checked against the spec), here under $work.
k8s=$(/usr/bin/python3 - "$examples/kubernetes-pod.yaml" <<'EOF'
import sys, yaml
pod = yaml.safe_load(open(sys.argv[1]))
c = pod["spec"]["containers"][0]
vols = {v["name"]: v for v in pod["spec"]["volumes"]}
for m in c["volumeMounts"]:
    sec = vols[m["name"]]["secret"]
    for it in sec["items"]:
        print("FILE\t%s/%s" % (m["mountPath"], it["path"]))
for e in c["env"]:
    print("ENV\t%s=%s" % (e["name"], e["value"]))
print("USER\t%s" % pod["spec"]["securityContext"]["runAsUser"])
for a in c["command"]:
    print("CMD\t%s" % a)
EOF
)
k8s_env=() k8s_cmd=() k8s_file=
while IFS=$'\t' read -r kind val; do
	case $kind in
	ENV) k8s_env+=("$val") ;;
	CMD) k8s_cmd+=("$val") ;;
	FILE) k8s_file=$val ;;
	esac
done <<<"$k8s"
check_contains "Kubernetes: STRAW_JWT_FILE is the Secret's mounted file" " ${k8s_env[*]} " " STRAW_JWT_FILE=$k8s_file "
k8s_cache=$(mkcache cache-k8s)
out=$(export "${k8s_env[@]}" SLURM_CONF_SERVER="$STRAW_TEST_SERVER" STRAW_JWT_FILE="$work/jwt" \
	LD_LIBRARY_PATH="$libpath" STRAW_CACHE_DIR="$k8s_cache" &&
	in_container --jwt --as "$user" -- "${k8s_cmd[@]}" 2>&1); rc=$?
check_eq "Kubernetes: the container's command exits 0" "0" "$rc"
check_contains "Kubernetes: sinfo lists the partition" "$out" "debug*"
cached "$k8s_cache" && ok "Kubernetes: the loader fetched into the cache" ||
	fail "Kubernetes: the loader fetched into the cache" "$out"

# JupyterHub: the config file loaded with a stand-in for c; its commands run
# as batchspawner runs them (a shell, as root on the hub), the script on
# standard input; controllers from straw.conf (STRAW_CONF standing in for
# /etc/straw.conf, which sudo -E passes on), munge on the hub.
jh() {
	/usr/bin/python3 - "$examples/jupyterhub_config.py" "$@" <<'EOF'
import sys
class Node:
    def __init__(self):
        object.__setattr__(self, "_d", {})
    def __getattr__(self, k):
        if k.startswith("__"):
            raise AttributeError(k)
        return self._d.setdefault(k, Node())
    def __setattr__(self, k, v):
        self._d[k] = v
c = Node()
exec(compile(open(sys.argv[1]).read(), sys.argv[1], "exec"), {"get_config": lambda: c})
s = c.SlurmSpawner
what, user, job = sys.argv[2], sys.argv[3], sys.argv[4]
cmd = {"submit": s.batch_submit_cmd, "query": s.batch_query_cmd, "cancel": s.batch_cancel_cmd}[what]
print(s.exec_prefix.format(username=user) + " " + cmd.format(job_id=job, username=user))
EOF
}
jh_cache=$(mkcache cache-jh)
jh_run() {
	local cmd
	cmd=$(jh "$@")
	cmd=${cmd//\/usr\/bin\/straw/$straw}
	(cd "$STRAW_TEST_TMP" && STRAW_CONF=$work/straw.conf STRAW_CACHE_DIR=$jh_cache in_container -- sh -c "$cmd")
}
check_contains "JupyterHub: the prefix runs straw exec as the user" "$(jh submit "$user" 0)" \
	"sudo -E -u $user /usr/bin/straw exec sbatch"
job=$(printf '#!/bin/sh\n#SBATCH -o %s/jh-%%j.out\nsleep 30\n' "$STRAW_TEST_TMP" | jh_run submit "$user" 0 2>"$work/jh.err"); rc=$?
case $rc:$job in
0:[0-9]*) ok "JupyterHub: batch_submit_cmd through the prefix gives a job id ($job)" ;;
*) fail "JupyterHub: batch_submit_cmd through the prefix gives a job id" "exit $rc: $job" "$(cat "$work/jh.err")"; job=0 ;;
esac
out=$(jh_run query "$user" "$job" 2>&1); rc=$?
case $rc:$out in
0:PENDING* | 0:RUNNING* | 0:CONFIGURING*) ok "JupyterHub: batch_query_cmd reads the job ($out)" ;;
*) fail "JupyterHub: batch_query_cmd reads the job" "exit $rc: $out" ;;
esac
check_eq "JupyterHub: the job belongs to $user" "$user" \
	"$(SLURM_CONF=$STRAW_TEST_CONF squeue -h -j "$job" -o %u 2>&1)"
out=$(jh_run cancel "$user" "$job" 2>&1); rc=$?
check_eq "JupyterHub: batch_cancel_cmd exits 0" "0" "$rc${out:+ $out}"
if [ "$job" != 0 ]; then
	check_eq "JupyterHub: the job ends cancelled" "CANCELLED" "$(wait_job "$job" 30)"
else
	fail "JupyterHub: the job ends cancelled" "no job"
fi

# Open OnDemand: the wrappers made by the example's script, run as the
# adapter runs them (as the user, on a web node with munge, no slurm.conf).
out=$(STRAW=$straw sh "$examples/ondemand/install-wrappers.sh" "$work/ood-bin" 2>&1); rc=$?
check_eq "Open OnDemand: install-wrappers.sh exits 0" "0" "$rc"
bin=$(sed -n 's/^ *bin: *"\(.*\)".*/\1/p' "$examples/ondemand/cluster.yml")
check_contains "Open OnDemand: cluster.yml's bin is the script's default folder" \
	"$(sed -n 's/^dir=.*:-\(.*\)}$/\1/p' "$examples/ondemand/install-wrappers.sh")" "$bin"
ood_cache=$(mkcache cache-ood)
ood() {
	STRAW_CONF=$work/straw.conf STRAW_CACHE_DIR=$ood_cache in_container --as "$user" -- "$@"
}
out=$(ood "$work/ood-bin/sinfo" -h -o '%P %a' 2>&1); rc=$?
check_eq "Open OnDemand: the sinfo wrapper" "0:debug* up" "$rc:$out"
job=$(ood "$work/ood-bin/sbatch" --parsable -o "$STRAW_TEST_TMP/ood-%j.out" --wrap 'echo from ood' 2>&1); rc=$?
case $rc:$job in
0:[0-9]*) ok "Open OnDemand: the sbatch wrapper submits ($job)" ;;
*) fail "Open OnDemand: the sbatch wrapper submits" "exit $rc: $job"; job=0 ;;
esac
if [ "$job" != 0 ]; then
	check_eq "Open OnDemand: the job completes" "COMPLETED" "$(wait_job "$job" 60)"
else
	fail "Open OnDemand: the job completes" "no job"
fi
check_eq "Open OnDemand: its output" "from ood" "$(cat "$STRAW_TEST_TMP/ood-$job.out" 2>&1)"
out=$(ood "$work/ood-bin/scontrol" show partition debug 2>&1); rc=$?
check_contains "Open OnDemand: the scontrol wrapper" "$rc:$out" "0:PartitionName=debug"

finish
