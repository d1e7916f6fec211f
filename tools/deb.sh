#!/usr/bin/env bash
# `make deb`: builds samband-agent, samband-broker and samband-tools .debs with debhelper into
# OUT (default build-packages/), then runs lintian on them and fails on any error.
#   DEB_VERSION   the package version; default: the project version in CMakeLists.txt (the one
#                 --version prints). make package-test passes a higher one for its upgrade.
#   LINTIAN=0     skip lintian (the package test's second, upgrade build).
#   BUILD         the CMake tree whose binaries go into the packages (`make deb` passes the one
#                 `make build` made); unset: debhelper configures and compiles build-deb/.
set -euo pipefail
cd "$(dirname "$0")/.."
out=${DEB_OUT:-build-packages}
project_version=$(sed -n 's/^project(samband VERSION \([0-9][0-9.]*\).*/\1/p' CMakeLists.txt)
[ -n "$project_version" ] || { echo "deb.sh: no 'project(samband VERSION x.y.z' in CMakeLists.txt" >&2; exit 2; }
version=${DEB_VERSION:-$project_version}
case "$version" in
  "$project_version"|"$project_version"[+~.]*) ;;
  *) echo "deb.sh: DEB_VERSION $version must start with the project version $project_version" >&2; exit 2 ;;
esac

dpkg-checkbuilddeps || { echo "deb.sh: install the missing build dependencies (make deps deb-deps)" >&2; exit 2; }

# debian/changelog is generated: the version lives in CMakeLists.txt only.
{
  echo "samband ($version) unstable; urgency=medium"
  echo
  echo "  * Package of Samband $version (the project's git history is the change log)."
  echo
  echo " -- Samband maintainers <maintainers@users.noreply.b-seed-3c88c6e1.example>  $(date -R)"
} > debian/changelog

# Let every debhelper step run again (a standalone build keeps build-deb/ between runs, so a
# rebuild only compiles what changed).
rm -rf debian/.debhelper debian/debhelper-build-stamp debian/files debian/*.debhelper.log \
  debian/*.substvars debian/*.debhelper
mkdir -p "$out"
rm -f "$out"/samband-*_"$version"_*.deb

root=""
[ "$(id -u)" = 0 ] || root=fakeroot
build_dir=""
[ -n "${BUILD:-}" ] && build_dir=$(cd "$BUILD" && pwd)
SAMBAND_BUILD_DIR="$build_dir" SAMBAND_DEB_DIR="$(pwd)/$out" SAMBAND_JOBS="${JOBS:-2}" \
  $root debian/rules binary

debs=("$out"/samband-agent_"$version"_*.deb "$out"/samband-broker_"$version"_*.deb
      "$out"/samband-tools_"$version"_*.deb)
for d in "${debs[@]}"; do [ -f "$d" ] || { echo "deb.sh: $d was not built" >&2; exit 1; }; done
if [ "${LINTIAN:-1}" != 0 ]; then
  echo "lintian ${debs[*]}"
  lintian --fail-on error --info --tag-display-limit 0 "${debs[@]}"
fi
ls -l "${debs[@]}"
