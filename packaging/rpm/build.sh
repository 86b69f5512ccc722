#!/bin/bash
# build.sh - `make rpm`: build straw's RPM packages (straw, straw-munge,
# straw-devel, straw-spank and the source RPM) with rpmbuild from a tarball
# of the tree, as a distribution's build system would from a release.
#
# usage: packaging/rpm/build.sh [OUTDIR]      (default build/rpm)
#   OUTDIR is rpmbuild's _topdir: RPMS/<arch>/*.rpm, SRPMS/*.src.rpm.
#
# On Debian (rpm from Debian's `rpm` package) the build needs are Debian's
# packages, which rpm's own database does not know: they are installed with
# tests/cluster/install-deps.sh and rpmbuild is told not to check them
# (--nodeps). Debian's rpm has no find-debuginfo, so no debuginfo package.
set -euo pipefail

top=$(cd "$(dirname "$0")/../.." && pwd)
out=${1:-$top/build/rpm}
mkdir -p "$out"
out=$(cd "$out" && pwd)

"$top/tests/cluster/install-deps.sh" rpm >&2

version=$(sed -n 's/.*STRAW_VERSION_STRING "\([^"]*\)".*/\1/p' "$top/include/straw/straw.h")
specversion=$(sed -n 's/^Version: *//p' "$top/packaging/rpm/straw.spec")
if [ "$specversion" != "$version" ]; then
	echo "build.sh: straw.spec says Version: $specversion but straw.h says $version" >&2
	exit 1
fi

rm -rf "$out/BUILD" "$out/BUILDROOT" "$out/RPMS" "$out/SRPMS" "$out/SOURCES" "$out/SPECS"
mkdir -p "$out/SOURCES" "$out/SPECS"
tar -C "$top" --exclude=./build --exclude=./.git --exclude=./debian \
	--transform "s,^\\.,straw-$version," -czf "$out/SOURCES/straw-$version.tar.gz" .
cp "$top/packaging/rpm/straw.spec" "$out/SPECS/"

defs=(--define "_topdir $out")
if ! command -v find-debuginfo >/dev/null 2>&1 && [ ! -x /usr/lib/rpm/find-debuginfo.sh ]; then
	defs+=(--define "debug_package %{nil}")
fi
nodeps=()
if [ -f /etc/debian_version ]; then
	nodeps=(--nodeps)
fi
rpmbuild -ba "${nodeps[@]}" "${defs[@]}" "$out/SPECS/straw.spec"
rm -rf "$out/BUILD" "$out/BUILDROOT"

echo "build.sh: packages in $out:"
for r in "$out"/RPMS/*/*.rpm "$out"/SRPMS/*.rpm; do
	echo "== ${r#"$out"/}"
	rpm -qp --requires "$r" 2>/dev/null | grep -v '^rpmlib(' | sed 's/^/   Requires: /'
	rpm -qlp "$r" 2>/dev/null | sed 's/^/   /'
done
