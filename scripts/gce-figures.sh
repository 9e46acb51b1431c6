#!/usr/bin/env bash
# Discovery figures on the GCE emulator, entirely on loopback (127.0.7.x).
#
#   scripts/gce-figures.sh [--build-dir DIR] [--steady-seconds S] [--accelerated]
#
# Prints:
#  (a) Compute API calls per minute for the whole cluster at N = 5 and N = 20,
#      counted by the emulator (GET /admin/stats) over S seconds of steady state
#      after the cold start, both clusters running side by side; and the cold
#      start's calls per agent (every call until all agents see every peer).
#  (b) time from an agent's start to its log showing every peer joined: median
#      and max over the agents of a 5- and of a 20-agent cold start, and for one
#      agent joining the running 20-agent cluster.
# Defaults: [gce] api_calls_per_minute = 10 (cluster-wide) and the 60 s poll
# floor, S = 180. --accelerated sets min_poll_interval = 2s and a budget of 60
# so that the steady state shows within a minute (said so in the output).
# Needs built `cachecluster` and `gce-emulator` (default build dir: build).
# Every process it starts is killed on exit, by PID.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build_dir=${BUILD_DIR:-$root/build}
steady=180
accelerated=0
while [[ $# -gt 0 ]]; do
  case "$1" in
    --build-dir) build_dir=$2; shift ;;
    --steady-seconds) steady=$2; shift ;;
    --accelerated) accelerated=1 ;;
    -h | --help) sed -n '2,19p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "gce-figures.sh: unknown argument $1 (see --help)" >&2; exit 64 ;;
  esac
  shift
done
cc=$build_dir/agent/cachecluster
emulator=$build_dir/gce/gce-emulator
for b in "$cc" "$emulator"; do
  [[ -x $b ]] || { echo "gce-figures.sh: $b not built (cmake --build $build_dir --target cachecluster gce-emulator)" >&2; exit 1; }
done
budget=10
floor=60s
if [[ $accelerated -eq 1 ]]; then budget=60; floor=2s; fi

# shellcheck source=scripts/lib/processes.sh
source "$root/scripts/lib/processes.sh"
cc_start_work cachecluster-figures

vm() {  # name ip
  printf '{"name":"%s","zone":"us-central1-a","networkIP":"%s","tags":["cache-node"],"status":"RUNNING"}' "$1" "$2"
}

# ---- emulators: A (N = 5) on 127.0.7.1, B (N = 20, then a joiner) on 127.0.7.2 ------
declare -A emu_port
start_emulator() {  # label ip first_vm_octet count
  local label=$1 ip=$2 first=$3 count=$4 i sep=
  {
    printf '{"project":"figures","zones":["us-central1-a"],"instances":['
    for ((i = 0; i < count; i++)); do
      printf '%s%s' "$sep" "$(vm "$label-$((i + 1))" "127.0.7.$((first + i))")"
      sep=,
    done
    printf ']}\n'
  } >"$work/$label.json"
  "$emulator" --instances "$work/$label.json" --listen "$ip:0" >"$work/$label-emulator.log" 2>&1 &
  pids+=($!)
  local port=
  for _ in $(seq 200); do
    port=$(sed -n 's/.*listening on [0-9.]*:\([0-9]*\).*/\1/p' "$work/$label-emulator.log")
    [[ -n $port ]] && break
    sleep 0.05
  done
  [[ -n $port ]] || { cat "$work/$label-emulator.log"; echo "gce-figures.sh: emulator $label did not start" >&2; exit 1; }
  emu_port[$label]=$port
  cat >"$work/$label.ini" <<INI
[cluster]
discovery = gce
[match]
tags = cache-node
[gce]
api_endpoint = http://$ip:$port/compute/v1/
api_calls_per_minute = $budget
min_poll_interval = $floor
INI
}

admin() {  # ip port METHOD PATH [JSON] -> response body on stdout
  local body=${5:-}
  exec 9<>"/dev/tcp/$1/$2"
  printf '%s %s HTTP/1.1\r\nHost: %s\r\nContent-Type: application/json\r\nContent-Length: %d\r\nConnection: close\r\n\r\n%s' \
    "$3" "$4" "$1" "${#body}" "$body" >&9
  sed '1,/^\r$/d' <&9
  exec 9<&-
}
compute_total() {  # ip port
  admin "$1" "$2" GET /admin/stats | sed -n 's/.*"compute_total": *\([0-9]*\).*/\1/p'
}

# ---- agents ----------------------------------------------------------------------
declare -A start_ms
now_ms_of_day() { date '+%H %M %S %N' | awk '{ print ((($1 * 60) + $2) * 60 + $3) * 1000 + int($4 / 1000000) }'; }
start_agent() {  # label index ip emu_ip
  local name=$1-$2
  start_ms[$name]=$(now_ms_of_day)
  GCE_METADATA_HOST=$4:${emu_port[$1]} "$cc" agent --config "$work/$1.ini" --node "$name" \
    --bind "$3" --socket "$work/$name.sock" --http "$3:9101" --log-level info \
    >"$work/$name.log" 2>&1 &
  pids+=($!)
}
alive_count() {  # name
  "$cc" members --socket "$work/$1.sock" 2>/dev/null | awk '$3 == "alive" { n++ } END { print n + 0 }'
}
wait_all_see() {  # n names...
  local n=$1 a ok
  shift
  for _ in $(seq 1800); do
    ok=1
    for a in "$@"; do [[ $(alive_count "$a") -eq $n ]] || { ok=0; break; }; done
    [[ $ok -eq 1 ]] && return 0
    sleep 0.1
  done
  echo "gce-figures.sh: agents did not converge to $n within 180 s" >&2
  exit 1
}
# ms from the agent's start to the log line of the last of `peers` other members joining.
time_to_all() {  # name peers
  awk -v start="${start_ms[$1]}" -v peers="$2" '
    / member .* joined / {
      split(substr($1, 12, 12), t, /[:.]/)
      ms = ((t[1] * 60 + t[2]) * 60 + t[3]) * 1000 + t[4]
      for (i = 1; i <= NF; i++) if ($i == "member") name = $(i + 1)
      if (!(name in seen)) { seen[name] = 1; count++; if (count == peers) { last = ms; exit } }
    }
    END {
      if (count < peers) { print "-"; exit }
      d = last - start
      if (d < 0) d += 86400000
      print d
    }' "$work/$1.log"
}
summary() {  # values... -> "median X ms, max Y ms"
  printf '%s\n' "$@" | sort -n | awk '{ v[NR] = $1 } END {
    m = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
    printf "median %d ms, max %d ms (over %d agents)", m, v[NR], NR }'
}

cold_start() {  # label emu_ip first_octet n
  local label=$1 ip=$2 first=$3 n=$4 i names=() times=()
  admin "$ip" "${emu_port[$label]}" POST /admin/stats/reset >/dev/null
  for ((i = 1; i <= n; i++)); do start_agent "$label" "$i" "127.0.7.$((first + i - 1))" "$ip"; names+=("$label-$i"); done
  wait_all_see "$n" "${names[@]}"
  sleep 3  # every first poll is due within 2 s of its start
  local calls
  calls=$(compute_total "$ip" "${emu_port[$label]}")
  for i in "${names[@]}"; do times+=("$(time_to_all "$i" $((n - 1)))"); done
  printf 'N = %-3d cold start: %s Compute calls = %s per agent; start -> sees every peer: %s\n' \
    "$n" "$calls" "$(awk -v c="$calls" -v n="$n" 'BEGIN { printf "%.2f", c / n }')" "$(summary "${times[@]}")"
}

start_emulator a 127.0.7.1 10 5
start_emulator b 127.0.7.2 20 20
echo "gce-figures: budget api_calls_per_minute = $budget (whole cluster), min_poll_interval = $floor$(
  [[ $accelerated -eq 1 ]] && echo ' (ACCELERATED: a test knob, not the defaults)' || echo ' (defaults)')"
echo "(b) cold starts, one at a time"
cold_start a 127.0.7.1 10 5
cold_start b 127.0.7.2 20 20

echo "(a) steady state: both clusters running side by side for $steady s"
a0=$(compute_total 127.0.7.1 "${emu_port[a]}")
b0=$(compute_total 127.0.7.2 "${emu_port[b]}")
sleep "$steady"
a1=$(compute_total 127.0.7.1 "${emu_port[a]}")
b1=$(compute_total 127.0.7.2 "${emu_port[b]}")
per_min() { awk -v c="$1" -v s="$steady" 'BEGIN { printf "%.1f", c * 60 / s }'; }
expect() {  # n -> the policy's expectation min(N x 60 / floor_s, budget) with C = 1
  awk -v n="$1" -v b="$budget" -v f="${floor%s}" 'BEGIN { e = n * 60 / f; if (e > b) e = b; printf "%.1f", e }'
}
printf 'N = 5 : %d Compute calls in %d s = %s calls/min for the cluster (policy: %s/min)\n' \
  $((a1 - a0)) "$steady" "$(per_min $((a1 - a0)))" "$(expect 5)"
printf 'N = 20: %d Compute calls in %d s = %s calls/min for the cluster (policy: %s/min)\n' \
  $((b1 - b0)) "$steady" "$(per_min $((b1 - b0)))" "$(expect 20)"

echo "(b) one agent joining the running 20-agent cluster"
admin 127.0.7.2 "${emu_port[b]}" POST /admin/instances "$(vm b-21 127.0.7.40)" >/dev/null
start_agent b 21 127.0.7.40 127.0.7.2
names=()
for i in $(seq 21); do names+=("b-$i"); done
wait_all_see 21 "${names[@]}"
printf 'joiner: start -> sees all 20 peers: %s ms\n' "$(time_to_all b-21 20)"
