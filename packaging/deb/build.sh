#!/bin/bash
# build.sh - `make deb`: build straw's Debian packages (straw, straw-munge,
# libstraw-dev) with dpkg-buildpackage from a copy of the tree, so the tree
# itself is never touched, then check them with lintian.
#
# usage: packaging/deb/build.sh [OUTDIR]      (default build/deb)
#   OUTDIR receives the .deb files (and .changes, .buildinfo, lintian.txt);
#   the copy is built in OUTDIR/src. LINTIAN=no skips lintian.
#   Extra options for dpkg-buildpackage may be given in DPKG_BUILDPACKAGE_OPTS.
set -euo pipefail

top=$(cd "$(dirname "$0")/../.." && pwd)
out=${1:-$top/build/deb}
mkdir -p "$out"
out=$(cd "$out" && pwd)

# What building needs: debhelper, dpkg-dev, lintian, and the libraries.
# Quick when everything is there; installs what is missing when root.
"$top/tests/cluster/install-deps.sh" debhelper dpkg-dev fakeroot lintian >&2

version=$(sed -n 's/.*STRAW_VERSION_STRING "\([^"]*\)".*/\1/p' "$top/include/straw/straw.h")
debversion=$(dpkg-parsechangelog -l "$top/packaging/deb/debian/changelog" -S Version)
if [ "${debversion%-*}" != "$version" ]; then
	echo "build.sh: debian/changelog says $debversion but straw.h says $version:" \
		"add a changelog entry (dch -v $version-1)" >&2
	exit 1
fi

# A fresh copy of the tree, without build products or git metadata, with
# debian/ at its top as dpkg-buildpackage wants it.
src=$out/src
rm -rf "$src"
mkdir -p "$src/straw-$version"
tar -C "$top" --exclude=./build --exclude=./.git --exclude=./debian -cf - . |
	tar -C "$src/straw-$version" -xf -
cp -a "$top/packaging/deb/debian" "$src/straw-$version/debian"
rm -f "$out"/*.deb "$out"/*.ddeb "$out"/*.changes "$out"/*.buildinfo "$out"/lintian.txt

# shellcheck disable=SC2086
(cd "$src/straw-$version" && dpkg-buildpackage -us -uc -b ${DPKG_BUILDPACKAGE_OPTS:-})

# The automatic debug symbol packages go aside, so that build/deb/*.deb is
# exactly the packages to install.
mkdir -p "$out/dbgsym"
rm -f "$out"/dbgsym/*
for f in "$src"/*-dbgsym_*.deb "$src"/*.ddeb; do
	if [ -e "$f" ]; then mv "$f" "$out/dbgsym/"; fi
done
mv "$src"/*.deb "$src"/*.changes "$src"/*.buildinfo "$out"/
rm -rf "$src"

echo "build.sh: packages in $out:"
for d in "$out"/*.deb; do
	echo "== $(basename "$d")"
	dpkg-deb -f "$d" Depends | sed 's/^/   Depends: /'
	dpkg-deb -c "$d" | awk '$1 !~ /^d/ { s = "  "; for (i = 6; i <= NF; i++) s = s " " $i; print s }'
done

if [ "${LINTIAN:-yes}" != no ]; then
	echo "build.sh: lintian"
	rc=0
	lintian --fail-on error --display-info "$out"/*.deb >"$out/lintian.txt" 2>&1 || rc=$?
	grep -v '^running with root privileges' "$out/lintian.txt" || true
	if [ "$rc" -ne 0 ]; then
		echo "build.sh: lintian reports errors (exit $rc)" >&2
		exit 1
	fi
	echo "build.sh: lintian: no errors"
fi
