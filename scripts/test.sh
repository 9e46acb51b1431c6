#!/usr/bin/env bash
# Build cachecluster and run its tests.
#
#   scripts/test.sh [options] [ctest arguments...]
#
#   --sanitize        build in build-asan/ with AddressSanitizer + UBSan; unless
#                     ctest arguments are given, runs only the unit and sim labels
#   --build-dir DIR   build directory (default build/, or build-asan/ with --sanitize)
#   --no-install      do not call scripts/install-deps.sh
#   -h, --help        this text
#
# Anything else goes to ctest, e.g.  scripts/test.sh -L unit
#                                    scripts/test.sh -R unit_agent -V
# Labels: unit, sim, integration, interop.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

usage() { sed -n '2,14p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; }

sanitize=0
install=1
build_dir=
ctest_args=()
while [[ $# -gt 0 ]]; do
  case "$1" in
    --sanitize) sanitize=1 ;;
    --build-dir)
      [[ $# -ge 2 ]] || { echo "test.sh: --build-dir needs a directory" >&2; exit 64; }
      build_dir=$2
      shift
      ;;
    --build-dir=*) build_dir=${1#--build-dir=} ;;
    --no-install) install=0 ;;
    -h | --help) usage; exit 0 ;;
    --) shift; ctest_args+=("$@"); break ;;
    *) ctest_args+=("$1") ;;
  esac
  shift
done

if [[ -z $build_dir ]]; then
  if [[ $sanitize -eq 1 ]]; then build_dir=$root/build-asan; else build_dir=$root/build; fi
fi
# A relative --build-dir is relative to where the script was started.
case "$build_dir" in /*) ;; *) build_dir=$PWD/$build_dir ;; esac

run() {
  echo "+ $*" >&2
  "$@"
}

cd "$root"

if [[ $install -eq 1 ]]; then
  run "$root/scripts/install-deps.sh"
fi

configure=(cmake -S "$root" -B "$build_dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCACHECLUSTER_BUILD_TESTS=ON)
# The generator is fixed when a build directory is first configured.
if [[ ! -f $build_dir/CMakeCache.txt ]] && command -v ninja >/dev/null 2>&1; then
  configure+=(-G Ninja)
fi
if command -v ccache >/dev/null 2>&1; then
  configure+=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
  # Cache entries that do not depend on where the checkout lives, so a fresh clone elsewhere
  # (CI) reuses what an earlier build compiled.
  export CCACHE_BASEDIR=$root CCACHE_NOHASHDIR=1
fi
if [[ $sanitize -eq 1 ]]; then
  configure+=(-DCACHECLUSTER_SANITIZE=address,undefined)
  # Stop at the first report, with a stack trace, so ctest sees a failure.
  export ASAN_OPTIONS=${ASAN_OPTIONS:-abort_on_error=1:detect_leaks=1:strict_string_checks=1}
  export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
  if [[ ${#ctest_args[@]} -eq 0 ]]; then
    ctest_args=(-L '^(unit|sim)$')
  fi
else
  configure+=(-DCACHECLUSTER_SANITIZE=)
fi

jobs=$(nproc 2>/dev/null || echo 2)
run "${configure[@]}"
run cmake --build "$build_dir" --parallel "$jobs"
run ctest --test-dir "$build_dir" --output-on-failure "${ctest_args[@]}"
