#!/usr/bin/env bash
# Build the libFuzzer targets with clang in build-fuzz/, seed their corpora from
# the golden captures, and run each one for a while.
#
#   scripts/fuzz.sh [seconds]      seconds per target (default 60)
#
# Needs the Debian packages clang and libclang-rt-14-dev on top of
# scripts/install-deps.sh. Exits non-zero if any target crashes, leaks, hits
# UB or times out; the reproducer is left in build-fuzz/artifacts/.
# Environment: CXX (default clang++, else clang++-14), FUZZ_JOBS (default 2).
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
seconds=${1:-60}
if ! [[ $seconds =~ ^[0-9]+$ ]] || [[ $seconds -eq 0 ]]; then
  echo "fuzz.sh: seconds must be a positive integer, got '$seconds'" >&2
  exit 64
fi
build=$root/build-fuzz
jobs=${FUZZ_JOBS:-2}

cxx=${CXX:-}
if [[ -z $cxx ]]; then
  for c in clang++ clang++-14; do
    if command -v "$c" >/dev/null; then cxx=$c; break; fi
  done
fi
if [[ -z $cxx ]] || ! "$cxx" --version 2>/dev/null | grep -q clang; then
  echo "fuzz.sh: clang++ not found (apt-get install clang libclang-rt-14-dev)" >&2
  exit 69
fi

generator=()
command -v ninja >/dev/null && generator=(-G Ninja)

# -Wno-unknown-warning-option: the shared warning list has GCC-only spellings (-Wshadow=local).
cmake -S "$root" -B "$build" "${generator[@]}" \
  -DCMAKE_CXX_COMPILER="$cxx" \
  -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCMAKE_CXX_FLAGS="-Wno-unknown-warning-option" \
  -DCACHECLUSTER_FUZZ=ON
targets=(fuzz_unpack_packet fuzz_parse_stream fuzz_lzw_decompress)
cmake --build "$build" -j "$jobs" --target "${targets[@]}" fuzz_seeds

# Seeds: every UDP payload, TCP stream direction and LZW buffer in the captures.
"$build/tests/fuzz/fuzz_seeds" "$build" "$root"/tests/golden/*.pcap

declare -A corpus=(
  [fuzz_unpack_packet]=corpus-packet
  [fuzz_parse_stream]=corpus-stream
  [fuzz_lzw_decompress]=corpus-lzw
)
mkdir -p "$build/artifacts" "$build/logs"
failed=()
for t in "${targets[@]}"; do
  log=$build/logs/$t.log
  echo "== $t: ${seconds}s on $build/${corpus[$t]}"
  # New inputs found are added to the corpus directory, so later runs start further on.
  if "$build/tests/fuzz/$t" \
      -max_total_time="$seconds" \
      -timeout=10 \
      -rss_limit_mb=2048 \
      -max_len=65536 \
      -print_final_stats=1 \
      -artifact_prefix="$build/artifacts/$t-" \
      "$build/${corpus[$t]}" >"$log" 2>&1; then
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
    rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
    cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1 || true)
    echo "   ok: ${execs:-?} runs, ${rate:-?} exec/s, ${cov:-cov: ?}"
  else
    echo "   FAILED, log: $log" >&2
    grep -E 'ERROR|SUMMARY|Test unit written' "$log" | head -5 >&2 || true
    failed+=("$t")
  fi
done

if [[ ${#failed[@]} -gt 0 ]]; then
  echo "fuzz.sh: crashes in: ${failed[*]}" >&2
  exit 1
fi
echo "fuzz.sh: all targets ran ${seconds}s without a crash"
