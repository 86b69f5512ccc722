#!/bin/bash
# check-rpm.sh - opt-in check of the RPM packages: build them (make rpm, from
# a tarball of the tree, %check running the unit tests) and read their file
# lists and dependencies. Nothing is installed.
#
# usage (as root on Debian, which installs rpm when missing):
#   tests/packaging/check-rpm.sh            build, then check
#   tests/packaging/check-rpm.sh --no-build check what is in build/rpm
set -u
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
export STRAW_TOP=$top
# shellcheck source=../lib/common.sh
. "$top/tests/lib/common.sh"

out=$top/build/rpm
log=$top/build/check-rpm.log
build=1
case ${1:-} in
--no-build) build=0 ;;
'') ;;
*) echo "usage: $0 [--no-build]" >&2; exit 2 ;;
esac

if [ "$build" -eq 1 ]; then
	t0=$(date +%s)
	mkdir -p "$top/build"
	if ! make -C "$top" rpm >"$log" 2>&1; then
		tail -n 40 "$log"
		fail "make rpm"
		finish
	fi
	ok "make rpm ($(($(date +%s) - t0)) s; log in build/check-rpm.log)"
	check_contains "%check ran the unit tests, all passing" "$(grep '^unit:' "$log")" " 0 failed"
fi

rpmfile() {
	ls "$out"/RPMS/*/"$1"-[0-9]*.rpm 2>/dev/null | head -n 1
}
files() {
	rpm -qlp "$(rpmfile "$1")" 2>/dev/null
}
has() { # has DESC PKG REGEX
	if files "$2" | grep -Eq "$3"; then ok "$1"; else fail "$1" "$(files "$2")"; fi
}
lacks() { # lacks DESC PKG REGEX
	if files "$2" | grep -Eq "$3"; then fail "$1" "$(files "$2" | grep -E "$3")"; else ok "$1"; fi
}

want="straw straw-munge straw-devel"
[ -f "$top/plugin/spank/Makefile" ] && want="$want straw-spank"
for p in $want; do
	[ -n "$(rpmfile "$p")" ] && ok "built: $p" || fail "built: $p"
done
[ -n "$(ls "$out"/SRPMS/straw-*.src.rpm 2>/dev/null)" ] && ok "built: the source RPM" ||
	fail "built: the source RPM"

has "straw: the command" straw '^/usr/bin/straw$'
has "straw: the engine" straw '/libstraw\.so\.1$'
has "straw: the loader" straw '/libstraw-preload\.so$'
has "straw: the JWT plugin" straw '/straw/auth_jwt\.so$'
has "straw: the man pages" straw '/man8/straw-preload\.8'
lacks "straw: not the munge plugin" straw 'auth_munge'
lacks "straw: not the SPANK plugin" straw 'straw_spank'
lacks "straw: no headers" straw '\.h$'
has "straw-munge: the munge plugin" straw-munge '/straw/auth_munge\.so$'
check_contains "straw-munge requires libmunge" "$(rpm -qp --requires "$(rpmfile straw-munge)" 2>/dev/null)" "libmunge.so.2"
check_contains "straw-munge requires straw of its version" \
	"$(rpm -qp --requires "$(rpmfile straw-munge)" 2>/dev/null)" "straw(x86-64) = "
case $(rpm -qp --requires "$(rpmfile straw)" 2>/dev/null) in
*munge*) fail "straw does not require munge" ;;
*) ok "straw does not require munge" ;;
esac
has "straw-devel: the headers" straw-devel '^/usr/include/straw/straw\.h$'
has "straw-devel: straw.pc" straw-devel '/pkgconfig/straw\.pc$'
has "straw-devel: the development link" straw-devel '/libstraw\.so$'
if [ -f "$top/plugin/spank/Makefile" ]; then
	has "straw-spank: the SPANK plugin" straw-spank '/straw/straw_spank\.so$'
fi
srpm=$(ls "$out"/SRPMS/straw-*.src.rpm 2>/dev/null | head -n 1)
reqs=$(rpm -qp --requires "$srpm" 2>/dev/null)
check_contains "libjwt pinned: >= 1.10" "$reqs" "libjwt-devel >= 1.10"
check_contains "libjwt pinned: < 3" "$reqs" "libjwt-devel < 3"
for p in $want; do
	case $(rpm -qlp "$(rpmfile "$p")" 2>/dev/null) in
	*/etc/ld.so.preload*) fail "$p: no /etc/ld.so.preload" ;;
	*) ok "$p: no /etc/ld.so.preload" ;;
	esac
	case $(rpm -qp --scripts "$(rpmfile "$p")" 2>/dev/null) in
	*ld.so.preload*) fail "$p: no script touches /etc/ld.so.preload" ;;
	*) ok "$p: no script touches /etc/ld.so.preload" ;;
	esac
done
finish
