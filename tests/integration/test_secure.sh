#!/bin/bash
# test_secure.sh - the loader in a setuid program (AT_SECURE): inert.  It is
# loaded through /etc/ld.so.preload (bind-mounted in a private mount
# namespace: the machine's file is never touched), which the dynamic linker
# honours for setuid programs too, while LD_PRELOAD would be ignored.
set -u
. "$STRAW_TOP/tests/lib/common.sh"

user=$(straw_test_user)
probe=$BUILD/tests/loader_getenv
loader=$BUILD/lib/libstraw-preload.so
work=$(mktemp -d /tmp/straw-secure.XXXXXX)
chmod 0755 "$work"
trap 'rm -rf "$work"' EXIT
cp "$probe" "$work/probe-plain"
cp "$probe" "$work/probe-setuid"
chown root:root "$work/probe-setuid"
chmod 4755 "$work/probe-setuid"
if [ -n "${SANITIZE:-}" ]; then
	# The sanitizer runtime must come first, in the preload file too.
	echo "$(gcc -print-file-name=libasan.so) $loader" >"$work/ld.so.preload"
else
	echo "$loader" >"$work/ld.so.preload"
fi
mkdir -m 0777 "$work/caches"

if [ -n "${SANITIZE:-}" ]; then
	# A sanitizer runtime cannot be put first for a setuid program: skip the
	# setuid half, say so, and still run the plain half.
	diag "SANITIZE build: the setuid probe cannot load the ASan runtime first; only the plain half runs"
fi

# run PROBE CACHE: the probe as $user with only straw's variables, the
# loader named in /etc/ld.so.preload.  Prints what it printed, then rc=N.
run() {
	rm -rf "$work/upper" "$work/wd"
	mkdir -p "$work/upper" "$work/wd"
	unshare -m --propagation private -- /bin/sh -c '
		set -e
		# /etc/ld.so.preload may not exist: an overlay over /etc holds ours.
		mount -t overlay straw-etc -o lowerdir=/etc,upperdir="$5/upper",workdir="$5/wd" /etc
		cat "$1" >/etc/ld.so.preload
		set +e
		shift
		exec setpriv --reuid="$1" --regid="$1" --clear-groups -- env -i PATH=/usr/bin:/bin \
			ASAN_OPTIONS=detect_leaks=0 \
			STRAW_SERVERS=127.0.0.1:1 STRAW_CONNECT_TIMEOUT=0.2 STRAW_DEADLINE=1 \
			STRAW_CACHE_DIR="$2" STRAW_PLUGIN_DIR=/nonexistent "$3"
	' sh "$work/ld.so.preload" "$(id -u "$user")" "$2" "$1" "$work" 2>&1
	echo "rc=$?"
}

if [ -z "${SANITIZE:-}" ]; then
	out=$(run "$work/probe-setuid" "$work/caches/s")
	check_contains "setuid program: SLURM_CONF left unset (the loader is inert)" "$out" "(unset)"
	case $out in *straw:*) fail "setuid program: the loader says nothing" "$out" ;; *) ok "setuid program: the loader says nothing" ;; esac
	[ ! -e "$work/caches/s" ] && ok "setuid program: no cache folder made" || fail "setuid program: no cache folder made"
fi

# The same program without the setuid bit: the loader acts (and, with no
# controller on port 1, says so in one line) - so the test above can fail.
out=$(run "$work/probe-plain" "$work/caches/p")
check_eq "plain program: the loader acts (one straw: line for the refused controller)" "1" \
	"$(printf '%s\n' "$out" | grep -c '^straw: ')"
[ -e "$work/caches/p" ] && ok "plain program: the cache folder was made" || fail "plain program: the cache folder was made"
finish
