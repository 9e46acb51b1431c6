#!/usr/bin/env bash
# Build swim-sim-bench (optimised, in build-bench/) and print its table.
#
#   scripts/bench.sh [swim-sim-bench arguments...]
#
#   scripts/bench.sh                       quick: N = 10, 100; lan and 250ms
#   scripts/bench.sh --full                N = 10, 100, 1000, 2000 (takes a while)
#   scripts/bench.sh --n 5,50,200 --profiles lan --trials 5   the N of docs/simulator.md's baseline
#   scripts/bench.sh --speed 1000          wall time of 1000 members x 60 virtual s
#   scripts/bench.sh --sizes 1000,2000 --idle-seconds 240   the scale table
#   scripts/bench.sh --sizes 10000 --large --waves 4        N above 2000; the bootstrap in waves
#   SIM_SEED=7 scripts/bench.sh            another seed
#
# The build uses RelWithDebInfo (-O2): GCC 12 at -O3 raises a false -Wrestrict
# positive in std::string code, and warnings are errors.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build="$root/build-bench"

case "${1:-}" in
  -h|--help) sed -n '2,15p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
esac

cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
      -DCACHECLUSTER_BUILD_TESTS=OFF >/dev/null
cmake --build "$build" -j2 --target swim-sim-bench >/dev/null
exec "$build/bench/swim-sim-bench" "$@"
