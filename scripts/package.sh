#!/usr/bin/env bash
# Build the Debian packages: cachecluster, libpeerlib0 and libpeerlib-dev.
#
#   scripts/package.sh [options]
#
#   --build-dir DIR   build directory (default build-pkg/), configured for /usr
#   --out DIR         where the .deb files go (default: the build directory's packages/)
#   --jobs N          parallel compile jobs (default: all cores)
#   --no-install      do not call scripts/install-deps.sh
#   -h, --help        this text
#
# Install the result with:  sudo apt install ./build-pkg/packages/cachecluster_*.deb
# Prints each package's path and size. Needs dpkg-dev (dpkg-shlibdeps) and cmake's cpack.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

usage() { sed -n '2,13p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; }

build_dir=$root/build-pkg
out_dir=
jobs=$(nproc 2>/dev/null || echo 2)
install=1
while [[ $# -gt 0 ]]; do
  case "$1" in
    --build-dir) build_dir=${2:?--build-dir needs a directory}; shift ;;
    --build-dir=*) build_dir=${1#--build-dir=} ;;
    --out) out_dir=${2:?--out needs a directory}; shift ;;
    --out=*) out_dir=${1#--out=} ;;
    --jobs) jobs=${2:?--jobs needs a number}; shift ;;
    --jobs=*) jobs=${1#--jobs=} ;;
    --no-install) install=0 ;;
    -h | --help) usage; exit 0 ;;
    *) echo "package.sh: unknown option '$1'" >&2; usage >&2; exit 64 ;;
  esac
  shift
done
case "$build_dir" in /*) ;; *) build_dir=$PWD/$build_dir ;; esac
[[ -n $out_dir ]] || out_dir=$build_dir/packages
case "$out_dir" in /*) ;; *) out_dir=$PWD/$out_dir ;; esac

run() {
  echo "+ $*" >&2
  "$@"
}

if [[ $install -eq 1 ]]; then
  run "$root/scripts/install-deps.sh" --build
fi
for tool in cmake cpack dpkg-shlibdeps; do
  command -v "$tool" >/dev/null 2>&1 || {
    echo "package.sh: $tool not found (Debian: cmake, dpkg-dev)" >&2
    exit 1
  }
done

# The same build type and flags as scripts/test.sh, so ccache serves what a test build compiled;
# installed files are stripped by cpack. Only the packaged targets are built: the install step
# does not depend on `all` (tests, benchmarks and examples are not packaged).
configure=(cmake -S "$root" -B "$build_dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo
           -DCMAKE_INSTALL_PREFIX=/usr -DCACHECLUSTER_BUILD_TESTS=OFF -DCACHECLUSTER_SANITIZE=
           -DCMAKE_SKIP_INSTALL_ALL_DEPENDENCY=ON -DPEERLIB_BUILD_SHARED=ON)
if [[ ! -f $build_dir/CMakeCache.txt ]] && command -v ninja >/dev/null 2>&1; then
  configure+=(-G Ninja)
fi
if command -v ccache >/dev/null 2>&1; then
  configure+=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
  export CCACHE_BASEDIR=$root CCACHE_NOHASHDIR=1
fi
run "${configure[@]}"
run cmake --build "$build_dir" --parallel "$jobs" --target cachecluster peerlib_static peerlib_shared

mkdir -p "$out_dir"
rm -f "$out_dir"/*.deb
(cd "$build_dir" && run cpack -G DEB -B "$out_dir" >&2)
rm -rf "$out_dir/_CPack_Packages"

shopt -s nullglob
debs=("$out_dir"/*.deb)
if [[ ${#debs[@]} -ne 3 ]]; then
  echo "package.sh: expected 3 packages in $out_dir, found ${#debs[@]}" >&2
  exit 1
fi
for deb in "${debs[@]}"; do
  printf '%s\t%s bytes\n' "$deb" "$(stat -c %s "$deb")"
done
