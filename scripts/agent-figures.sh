#!/usr/bin/env bash
# Measure the agent's figures on loopback (127.0.5.x) and print them as a table:
#   (a) memory (VmRSS, VmHWM) and CPU seconds (utime+stime) of one idle agent
#       in a 5-member cluster after it has idled for IDLE_SECONDS, next to a
#       `serf agent` measured the same way in a 5-member serf cluster;
#   (b) the time from `kill -9` of one member until every other member lists
#       it dead (or has forgotten it), polled every 50 ms, over TRIALS trials,
#       for the default heartbeat profile and for --profile lan.
#
#   (c) gossip bytes sent per member per minute while idle, from /metrics.
#
# Usage: scripts/agent-figures.sh [path/to/cachecluster]
#   env: TRIALS (5), IDLE_SECONDS (60), SERF (serf in PATH), SKIP_SERF=1,
#        ENCRYPT=BASE64KEY (gossip encryption: --encrypt for ours, -encrypt for serf)
# Every process this script starts is killed on exit, whatever happens.
set -euo pipefail

here="$(cd "$(dirname "$0")/.." && pwd)"
bin="${1:-${CACHECLUSTER_BIN:-}}"
if [[ -z "$bin" ]]; then
  for b in "$here"/build-integ/agent/cachecluster "$here"/build/agent/cachecluster; do
    [[ -x "$b" ]] && { bin="$b"; break; }
  done
fi
[[ -x "$bin" ]] || { echo "cachecluster binary not found; pass its path or build the cachecluster target" >&2; exit 1; }
trials="${TRIALS:-5}"
idle="${IDLE_SECONDS:-60}"
serf="${SERF:-$(command -v serf || true)}"
net=127.0.5  # integration tests use 127.0.1-4.x

work="$(mktemp -d /tmp/cc-figures-XXXXXX)"
pids=()  # children still running; stop() takes a pid off the list once it is killed
forget() {
  local keep=() q
  for q in "${pids[@]}"; do [[ "$q" == "$1" ]] || keep+=("$q"); done
  pids=("${keep[@]}")
}
stop() {
  kill -9 "$1" 2>/dev/null || true
  wait "$1" 2>/dev/null || true
  forget "$1"
}
# A long sleep in the background, so INT/TERM end the script at once (bash runs
# traps only between foreground commands).
pause() {
  sleep "$1" &
  local s=$!
  pids+=("$s")
  wait "$s" || true
  forget "$s"
}
cleanup() {
  local p
  for p in "${pids[@]}"; do stop "$p"; done
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

now_ms() { echo $(( $(date +%s%N) / 1000000 )); }

# start_cc NAME IP SEED PROFILE: start an agent in the background; sets $last_pid.
start_cc() {
  local name=$1 ip=$2 seed=$3 profile=$4 args=()
  [[ -n "$seed" ]] && args+=(--join "$seed:7946")
  [[ -n "$profile" ]] && args+=(--profile "$profile")
  [[ -n "${ENCRYPT:-}" ]] && args+=(--encrypt "$ENCRYPT")
  "$bin" agent --node "$name" --bind "$ip:7946" --socket "$work/$name.sock" \
    --http "$ip:9101" --log-level warn "${args[@]}" >"$work/$name.log" 2>&1 &
  last_pid=$!
  pids+=("$last_pid")
}

start_serf() {
  local name=$1 ip=$2 seed=$3 args=()
  # -retry-join: the seed may still be starting (a failed -join makes serf exit).
  [[ -n "$seed" ]] && args+=(-retry-join="$seed:7946" -retry-interval=1s)
  [[ -n "${ENCRYPT:-}" ]] && args+=(-encrypt="$ENCRYPT")
  "$serf" agent -node="$name" -bind="$ip:7946" -rpc-addr="$ip:7373" -log-level=warn \
    "${args[@]}" >"$work/$name.log" 2>&1 &
  last_pid=$!
  pids+=("$last_pid")
}

# count_alive_cc NAME: members alive in that agent's view (0 if it does not answer).
count_alive_cc() {
  "$bin" members --status alive --socket "$work/$1.sock" 2>/dev/null | grep -c . || true
}
count_alive_serf() {
  "$serf" members -status=alive -rpc-addr="$1:7373" 2>/dev/null | grep -c . || true
}

# wait_for DESCRIPTION SECONDS COMMAND...: poll every 50 ms until COMMAND succeeds.
wait_for() {
  local what=$1 secs=$2
  shift 2
  local deadline=$(( $(now_ms) + secs * 1000 ))
  until "$@"; do
    if (( $(now_ms) > deadline )); then
      echo "timed out after ${secs}s waiting for: $what" >&2
      return 1
    fi
    sleep 0.05
  done
}

# proc_figures PID: "rss_mib hwm_mib cpu_s" from /proc.
proc_figures() {
  local pid=$1 rss hwm ticks
  rss=$(awk '/^VmRSS:/ {print $2}' "/proc/$pid/status")
  hwm=$(awk '/^VmHWM:/ {print $2}' "/proc/$pid/status")
  # Fields 14 and 15 (utime, stime) counted after the ")" that ends the command name.
  ticks=$(sed 's/.*) //' "/proc/$pid/stat" | awk '{print $12 + $13}')
  awk -v r="$rss" -v h="$hwm" -v t="$ticks" -v hz="$(getconf CLK_TCK)" \
    'BEGIN { printf "%.1f %.1f %.2f", r / 1024, h / 1024, t / hz }'
}

all_alive_cc() { local n; for n in "$@"; do [[ "$(count_alive_cc "$n")" == 5 ]] || return 1; done; }
all_alive_serf() { local ip; for ip in "$@"; do [[ "$(count_alive_serf "$ip")" == 5 ]] || return 1; done; }

# ---- (a) idle footprint ------------------------------------------------------

echo "cachecluster: $("$bin" version)   serf: ${serf:-missing}   cores: $(nproc)   load: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "(a) idle footprint after ${idle}s in a 5-member cluster ..."
cc_pids=()
for i in 1 2 3 4 5; do
  start_cc "a$i" "$net.$i" "$([[ $i -gt 1 ]] && echo "$net.1")" ""
  cc_pids+=("$last_pid")
done
serf_pids=()
if [[ -n "$serf" && -z "${SKIP_SERF:-}" ]]; then
  for i in 1 2 3 4 5; do
    start_serf "s$i" "$net.1$i" "$([[ $i -gt 1 ]] && echo "$net.11")"
    serf_pids+=("$last_pid")
  done
fi
wait_for "5 cachecluster agents converged" 60 all_alive_cc a1 a2 a3 a4 a5
cc_t0=$(proc_figures "${cc_pids[1]}")
# sent_bytes: the first agent's gossip bytes sent so far (UDP and TCP payload, after encryption).
sent_bytes() {
  curl -s "http://$net.1:9101/metrics" |
    awk '/^cachecluster_gossip_sent_bytes_total / { b = $2 } /^cachecluster_gossip_packets_sent_total / { p = $2 } END { printf "%d %d", b, p }'
}
read -r cc_b0 cc_p0 <<<"$(sent_bytes)"
if (( ${#serf_pids[@]} )); then
  wait_for "5 serf agents converged" 60 all_alive_serf $net.11 $net.12 $net.13 $net.14 $net.15
  serf_t0=$(proc_figures "${serf_pids[1]}")
fi
pause "$idle"
read -r cc_b1 cc_p1 <<<"$(sent_bytes)"
cc_bytes_min=$(awk -v a="$cc_b1" -v b="$cc_b0" -v t="$idle" 'BEGIN { printf "%.0f", (a - b) * 60 / t }')
cc_pkts_min=$(awk -v a="$cc_p1" -v b="$cc_p0" -v t="$idle" 'BEGIN { printf "%.0f", (a - b) * 60 / t }')
read -r cc_rss cc_hwm cc_cpu <<<"$(proc_figures "${cc_pids[1]}")"
cc_idle_cpu=$(awk -v a="$cc_cpu" -v b="${cc_t0##* }" 'BEGIN { printf "%.2f", a - b }')
if (( ${#serf_pids[@]} )); then
  read -r serf_rss serf_hwm serf_cpu <<<"$(proc_figures "${serf_pids[1]}")"
  serf_idle_cpu=$(awk -v a="$serf_cpu" -v b="${serf_t0##* }" 'BEGIN { printf "%.2f", a - b }')
fi
for p in "${cc_pids[@]}" "${serf_pids[@]}"; do stop "$p"; done

# ---- (b) crash to removal ----------------------------------------------------

# victim_gone_everywhere VICTIM OBSERVERS...: every observer lists VICTIM dead, or not at all.
victim_gone_everywhere() {
  local victim=$1 o st
  shift
  for o in "$@"; do
    st=$("$bin" members --socket "$work/$o.sock" 2>/dev/null | awk -v v="$victim" '$1 == v {print $3}')
    [[ -z "$st" || "$st" == "dead" ]] || return 1
  done
}

# removal_trials PROFILE BASE OUT: appends one duration (ms) per trial to OUT.
# Four observers on .BASE+1..4 and a fresh victim per trial on its own IP, so no
# trial sees another's leftovers. Not run in a subshell: cleanup must see the pids.
removal_trials() {
  local profile=$1 base=$2 out=$3 observers=() obs_pids=() i t
  for i in 1 2 3 4; do
    start_cc "o$base-$i" "$net.$((base + i))" "$([[ $i -gt 1 ]] && echo "$net.$((base + 1))")" "$profile"
    observers+=("o$base-$i")
    obs_pids+=("$last_pid")
  done
  for t in $(seq 1 "$trials"); do
    local victim="v$base-$t" vip="$net.$((base + 10 + t))" vpid t0 t1
    start_cc "$victim" "$vip" "$net.$((base + 1))" "$profile"
    vpid=$last_pid
    wait_for "$victim alive at every member" 60 all_alive_cc "${observers[@]}" "$victim"
    pause 2  # let the new member settle (push-pulls, gossip) before the crash
    t0=$(now_ms)
    stop "$vpid"  # kill -9, reaped at once
    wait_for "$victim dead at every member" 120 victim_gone_everywhere "$victim" "${observers[@]}"
    t1=$(now_ms)
    echo $(( t1 - t0 )) >>"$out"
  done
  for i in "${obs_pids[@]}"; do stop "$i"; done
}

stats() {  # numbers on stdin -> "min median max"
  sort -n | awk '{ v[NR] = $1 } END {
    m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
    printf "%.2f %.2f %.2f", v[1] / 1000, m / 1000, v[NR] / 1000 }'
}

echo "(b) kill -9 to dead at all 4 other members, $trials trials per profile ..."
removal_trials "" 100 "$work/heartbeat.ms"
removal_trials lan 150 "$work/lan.ms"
hb=$(cat "$work/heartbeat.ms")
lan=$(cat "$work/lan.ms")
read -r hb_min hb_med hb_max <<<"$(stats <<<"$hb")"
read -r lan_min lan_med lan_max <<<"$(stats <<<"$lan")"

# ---- table -------------------------------------------------------------------

echo
printf "%-38s %10s %10s %14s %14s\n" "idle member of a 5-member cluster" "VmRSS MiB" "VmHWM MiB" "CPU s (total)" "CPU s (${idle}s idle)"
printf "%-38s %10s %10s %14s %14s\n" "cachecluster agent (heartbeat 250ms)" "$cc_rss" "$cc_hwm" "$cc_cpu" "$cc_idle_cpu"
if (( ${#serf_pids[@]} )); then
  printf "%-38s %10s %10s %14s %14s\n" "serf agent $("$serf" version | head -1 | cut -d' ' -f2) (lan 1s)" "$serf_rss" "$serf_hwm" "$serf_cpu" "$serf_idle_cpu"
fi
echo "cachecluster gossip sent while idle: $cc_bytes_min bytes/min, $cc_pkts_min packets/min per member (encryption: $([[ -n "${ENCRYPT:-}" ]] && echo on || echo off))"
echo
printf "%-38s %8s %8s %8s   %s\n" "kill -9 -> dead at all 4 others" "min s" "median s" "max s" "trials (ms)"
printf "%-38s %8s %8s %8s   %s\n" "cachecluster, heartbeat (default)" "$hb_min" "$hb_med" "$hb_max" "$(echo $hb)"
printf "%-38s %8s %8s %8s   %s\n" "cachecluster, --profile lan" "$lan_min" "$lan_med" "$lan_max" "$(echo $lan)"
