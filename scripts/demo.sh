#!/usr/bin/env bash
# Local demo cluster on an emulated GCE: NOT AVAILABLE YET.
#
# Today this script installs the build dependencies and builds the
# `cachecluster` binary, then explains what the demo will do and exits with
# status 2. It does not start any cluster.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build_dir=${BUILD_DIR:-$root/build}

run() {
  echo "+ $*" >&2
  "$@"
}

cd "$root"
run "$root/scripts/install-deps.sh" --build

configure=(cmake -S "$root" -B "$build_dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo)
if [[ ! -f $build_dir/CMakeCache.txt ]] && command -v ninja >/dev/null 2>&1; then
  configure+=(-G Ninja)
fi
run "${configure[@]}"
run cmake --build "$build_dir" --parallel "$(nproc 2>/dev/null || echo 2)" --target cachecluster

cat <<MSG

Built $build_dir/agent/cachecluster.

The demo is not available yet: the GCE emulator it needs has not been written.
When it exists, this script will:
  1. start a local emulator of the GCE metadata server and Compute API,
     serving a fake managed instance group;
  2. start several cachecluster agents on loopback addresses, each believing
     it runs on one of the emulated instances;
  3. show every agent's live peer list, then add and stop instances so you can
     watch peers join, fail and leave within a second or two.

What works today: scripts/test.sh builds and runs the tests, and
  $build_dir/agent/cachecluster check-config --config cachecluster.ini
validates a configuration file.
MSG
exit 2
