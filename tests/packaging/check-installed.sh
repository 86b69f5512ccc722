#!/bin/bash
# check-installed.sh - opt-in check of the Debian packages on this machine:
# build them (make deb), read their file lists, install them with apt, run
# tests/integration/test_packages.sh and the loader's acceptance tests
# (test_loader.sh) against the installed files (their own loopback Slurm;
# the loader through LD_PRELOAD and through /etc/ld.so.preload in a private
# mount namespace), then remove them again
# (apt-get remove --purge), so the machine is left as it was.
#
# usage (as root, from anywhere):
#   tests/packaging/check-installed.sh            build, then check
#   tests/packaging/check-installed.sh --no-build check the .debs already in build/deb
# environment: STRAW_TEST_CTLD_PORT / STRAW_TEST_SLURMD_PORT (default 30817 /
#   30818, away from the other tests' clusters).
#
# It refuses to run when a straw package is already installed: removing it
# afterwards would change the machine.
set -u
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
export STRAW_TOP=$top
# shellcheck source=../lib/common.sh
. "$top/tests/lib/common.sh"

debs=$top/build/deb
build=1
case ${1:-} in
--no-build) build=0 ;;
'') ;;
*) echo "usage: $0 [--no-build]" >&2; exit 2 ;;
esac
[ "$(id -u)" -eq 0 ] || { echo "check-installed.sh: must run as root (apt, users, namespaces)" >&2; exit 1; }
export DEBIAN_FRONTEND=noninteractive
export STRAW_TEST_CTLD_PORT=${STRAW_TEST_CTLD_PORT:-30817}
export STRAW_TEST_SLURMD_PORT=${STRAW_TEST_SLURMD_PORT:-30818}

ours="straw straw-munge straw-spank libstraw-dev"
for p in $ours; do
	st=$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)
	if [ -n "$st" ] && [ "$st" != not-installed ] && [ "$st" != config-files ]; then
		echo "check-installed.sh: $p is already installed ($st); remove it first" >&2
		exit 1
	fi
done

if [ "$build" -eq 1 ]; then
	t0=$(date +%s)
	mkdir -p "$top/build"
	if ! make -C "$top" deb >"$top/build/check-installed-deb.log" 2>&1; then
		tail -n 40 "$top/build/check-installed-deb.log"
		fail "make deb"
		finish
	fi
	ok "make deb ($(($(date +%s) - t0)) s; log in build/check-installed-deb.log)"
fi

# ---------------------------------------------------------------- file lists

# contents PKG: the paths a package installs, one a line, without "./".
contents() {
	local f
	f=$(ls "$debs/$1"_*.deb 2>/dev/null | head -n 1)
	[ -n "$f" ] || return 1
	dpkg-deb -c "$f" | awk '{ print $6 }' | sed 's|^\./|/|'
}
depends() {
	dpkg-deb -f "$(ls "$debs/$1"_*.deb | head -n 1)" Depends
}
has() { # has DESC PKG REGEX
	if contents "$2" | grep -Eq "$3"; then ok "$1"; else fail "$1" "$(contents "$2")"; fi
}
lacks() { # lacks DESC PKG REGEX
	if contents "$2" | grep -Eq "$3"; then fail "$1" "$(contents "$2" | grep -E "$3")"; else ok "$1"; fi
}

want="straw straw-munge libstraw-dev"
[ -f "$top/plugin/spank/Makefile" ] && want="$want straw-spank"
for p in $want; do
	[ -n "$(ls "$debs/${p}"_*.deb 2>/dev/null)" ] && ok "built: $p" || fail "built: $p"
done
has "straw: the command" straw '^/usr/bin/straw$'
has "straw: the engine" straw '^/usr/lib/[^/]+/libstraw\.so\.1$'
has "straw: the loader" straw '^/usr/lib/[^/]+/libstraw-preload\.so$'
has "straw: the JWT plugin" straw '^/usr/lib/[^/]+/straw/auth_jwt\.so$'
has "straw: straw(1)" straw '^/usr/share/man/man1/straw\.1\.gz$'
has "straw: straw.conf(5)" straw '^/usr/share/man/man5/straw\.conf\.5\.gz$'
has "straw: straw-preload(8)" straw '^/usr/share/man/man8/straw-preload\.8\.gz$'
has "straw: the examples" straw '^/usr/share/doc/straw/examples/Dockerfile$'
lacks "straw: not the munge plugin" straw 'auth_munge'
lacks "straw: no headers, no development link" straw '(\.h|/libstraw\.so)$'
lacks "straw: nothing in /etc" straw '^/etc/'
has "straw-munge: the munge plugin" straw-munge '^/usr/lib/[^/]+/straw/auth_munge\.so$'
check_contains "straw-munge depends on libmunge2" "$(depends straw-munge)" "libmunge2"
check_contains "straw-munge depends on straw of its version" "$(depends straw-munge)" "straw (= "
case $(depends straw) in
*munge*) fail "straw does not depend on munge" "$(depends straw)" ;;
*) ok "straw does not depend on munge" ;;
esac
has "libstraw-dev: the headers" libstraw-dev '^/usr/include/straw/straw\.h$'
has "libstraw-dev: straw.pc" libstraw-dev '^/usr/lib/[^/]+/pkgconfig/straw\.pc$'
has "libstraw-dev: the development link" libstraw-dev '^/usr/lib/[^/]+/libstraw\.so$'
if [ -f "$top/plugin/spank/Makefile" ]; then
	has "straw-spank: the SPANK plugin" straw-spank '/straw_spank\.so$'
	lacks "straw: not the SPANK plugin" straw 'straw_spank'
fi
# No maintainer script of any package goes near /etc/ld.so.preload.
scripts=$(mktemp -d /tmp/straw-debctl.XXXXXX)
for d in "$debs"/*.deb; do
	dpkg-deb -e "$d" "$scripts/$(basename "$d")"
done
if grep -rl 'ld\.so\.preload' "$scripts" >/dev/null 2>&1; then
	fail "no package script mentions /etc/ld.so.preload" "$(grep -rl 'ld\.so\.preload' "$scripts")"
else
	ok "no package script mentions /etc/ld.so.preload"
fi
rm -rf "$scripts"
if [ -f "$debs/lintian.txt" ]; then
	check_eq "lintian: no errors" "" "$(grep '^E:' "$debs/lintian.txt")"
fi

# ---------------------------------------------------------------- install, use, remove

installed=
_remove() {
	if [ -n "$installed" ]; then
		# shellcheck disable=SC2086
		apt-get -o DPkg::Lock::Timeout=300 remove -y --purge $installed >/dev/null 2>&1 ||
			echo "check-installed.sh: could not remove $installed" >&2
		installed=
	fi
}
trap _remove EXIT
out=$(apt-get -o DPkg::Lock::Timeout=300 install -y --no-install-recommends "$debs"/*.deb 2>&1); rc=$?
for p in $ours; do
	[ "$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null)" = installed ] && installed="$installed $p"
done
check_eq "apt-get install -y ./build/deb/*.deb" 0 "$rc"
[ "$rc" -eq 0 ] || { diag "$out"; finish; }
check_contains "dpkg -L straw lists the loader" "$(dpkg -L straw)" "/libstraw-preload.so"
check_eq "/etc/ld.so.preload left alone by the install" "absent" \
	"$([ -e /etc/ld.so.preload ] && grep -l straw /etc/ld.so.preload || echo absent)"

# The loader's acceptance tests take their files from $BUILD: a folder of
# links to the installed files stands in for it, so every library they load
# is the installed one (the loader finds the engine, and the engine its
# plugins, beside themselves: the links lead back to /usr/lib).
ma=$(dpkg-architecture -qDEB_HOST_MULTIARCH)
shadow=$(mktemp -d /tmp/straw-installed.XXXXXX)
chmod 0755 "$shadow"
mkdir -p "$shadow/bin" "$shadow/lib"
ln -s /usr/bin/straw "$shadow/bin/straw"
for f in libstraw.so.1 libstraw-preload.so straw; do
	ln -s "/usr/lib/$ma/$f" "$shadow/lib/$f"
done
tests=test_packages
[ -f "$top/tests/integration/test_loader.sh" ] && tests="test_loader $tests"
# shellcheck disable=SC2086
out=$(BUILD=$shadow SANITIZE= STRAW_INSTALLED=1 "$top/tests/integration/run.sh" $tests 2>&1); rc=$?
rm -rf "$shadow"
printf '%s\n' "$out"
sum=$(printf '%s\n' "$out" | sed -n 's/^integration: \([0-9]*\) passed, \([0-9]*\) failed$/\1 \2/p' | tail -n 1)
if [ -n "$sum" ]; then
	set -- $sum
	_straw_n=$((_straw_n + $1 + $2))
	_straw_passed=$((_straw_passed + $1))
	_straw_failed=$((_straw_failed + $2))
fi
if [ -z "$sum" ]; then
	fail "$tests against the installed files ran to a summary" "exit $rc"
elif [ "$rc" -ne 0 ] && [ "$2" -eq 0 ]; then
	fail "$tests against the installed files exited $rc"
fi

_remove
left=
for p in $ours; do
	st=$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)
	[ -z "$st" ] || [ "$st" = not-installed ] || left="$left $p($st)"
done
check_eq "apt-get remove --purge: no straw package left" "" "$left"
finish
