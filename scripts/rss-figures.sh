#!/usr/bin/env bash
# The memory and CPU of idle agents: K agents on loopback (127.0.0.101 ... by default), each
# with a config file holding a static join list (no discovery), its peer-list socket and its
# HTTP listener. Once every agent lists all K members alive, they idle for IDLE_SECONDS, then
# the script reads /proc of each and prints:
#
#   figures over the K agents (median and max of each column on its own):
#     VmRSS    resident set (/proc/PID/status), MiB
#     Pss      proportional set: shared pages divided by the processes mapping them
#              (/proc/PID/smaps_rollup), MiB; what K agents on one host cost each
#     RssAnon  the agent's own memory: heap, stacks, anonymous maps (/proc/PID/status), MiB
#     RssFile  resident pages of mapped files: the binary and shared libraries, MiB
#     CPU%     utime+stime over the idle window (/proc/PID/stat) / window length
#   then, for the median agent and the largest (by VmRSS), the resident KiB of each mapped
#   file and of [anon]/[heap]/[stack] (/proc/PID/smaps, Rss and Pss summed per path), the
#   TOP largest, and one line "rss-figures: K=.. median VmRSS=.. ..." to grep.
#
# Usage: scripts/rss-figures.sh [K]
#   env: CACHECLUSTER_BIN (default build/agent/cachecluster; nothing is built here),
#        K (50), IDLE_SECONDS (30), NET (127.0.0: agents on NET.FIRST ... NET.FIRST+K-1),
#        FIRST (101), TOP (12), EXTRA_INI (lines appended to every agent's config, e.g.
#        "[encrypt]\nkey = BASE64")
# Every process this script starts is killed on exit (by PID), whatever happens.
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
bin="${CACHECLUSTER_BIN:-$root/build/agent/cachecluster}"
k="${1:-${K:-50}}"
idle="${IDLE_SECONDS:-30}"
net="${NET:-127.0.0}"
first="${FIRST:-101}"
top="${TOP:-12}"
[[ -x "$bin" ]] || { echo "rss-figures: $bin is not an executable; build the cachecluster target or set CACHECLUSTER_BIN" >&2; exit 1; }
[[ "$k" =~ ^[0-9]+$ && "$k" -ge 2 && $(( first + k - 1 )) -le 254 ]] || { echo "rss-figures: K must be 2..$(( 255 - first ))" >&2; exit 64; }

# shellcheck source=scripts/lib/processes.sh
source "$root/scripts/lib/processes.sh"
# shellcheck source=scripts/lib/proc_memory.sh
source "$root/scripts/lib/proc_memory.sh"
cc_start_work cc-rss

ip_of() { echo "$net.$(( first + $1 - 1 ))"; }

# Three seeds, the same list for everyone: each agent retries them until it has joined.
seeds="$(ip_of 1):7946, $(ip_of 2):7946, $(ip_of 3):7946"
for i in $(seq 1 "$k"); do
  ip=$(ip_of "$i")
  {
    printf '[node]\nname = r%d\n' "$i"
    printf '[cluster]\nbind = %s\nport = 7946\ndiscovery = static\njoin = %s\n' "$ip" "$seeds"
    printf '[publish]\nsocket = %s/r%d.sock\n' "$work" "$i"
    printf '[http]\nlisten = %s:9101\n' "$ip"
    printf '[log]\nlevel = warn\n'
    [[ -n "${EXTRA_INI:-}" ]] && printf '%b\n' "$EXTRA_INI"
  } >"$work/r$i.ini"
  "$bin" agent --config "$work/r$i.ini" >"$work/r$i.log" 2>&1 &
  pids+=("$!")
done

alive_at() { "$bin" members --status alive --socket "$work/r$1.sock" 2>/dev/null | grep -c . || true; }
all_see_all() {
  local i
  for i in $(seq 1 "$k"); do
    kill -0 "${pids[$((i - 1))]}" 2>/dev/null || { echo "rss-figures: agent r$i exited:" >&2; tail -5 "$work/r$i.log" >&2; exit 1; }
    [[ "$(alive_at "$i")" == "$k" ]] || return 1
  done
}
t0=$(now_ms)
until all_see_all; do
  if (( $(now_ms) - t0 > 180000 )); then echo "rss-figures: the $k agents did not all see each other within 180 s" >&2; exit 1; fi
  sleep 0.5
done
converged_s=$(awk -v d=$(( $(now_ms) - t0 )) 'BEGIN { printf "%.1f", d / 1000 }')

declare -A t_start
for p in "${pids[@]}"; do t_start[$p]=$(ticks "$p"); done
w0=$(now_ms)
sleep "$idle" &
s=$!; pids+=("$s"); wait "$s" || true
hz=$(getconf CLK_TCK)

# One line per agent: pid VmRSS Pss RssAnon RssFile cpu% (KiB, KiB, KiB, KiB, %).
for p in "${pids[@]:0:$k}"; do
  window_ms=$(( $(now_ms) - w0 ))
  cpu=$(awk -v a="$(ticks "$p")" -v b="${t_start[$p]}" -v hz="$hz" -v ms="$window_ms" \
    'BEGIN { printf "%.2f", (a - b) / hz * 100000 / ms }')
  echo "$p $(memory_kib "$p") $cpu"
done >"$work/agents"

col_stats() {  # column number -> "median max"
  awk -v c="$1" '{ print $c }' "$work/agents" | sort -g |
    awk '{ v[NR] = $1 } END { m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2; printf "%s %s", m, v[NR] }'
}

echo "$("$bin" version 2>/dev/null | head -1)   binary: $bin"
echo "K=$k agents on $(ip_of 1)..$(ip_of "$k"), all saw all after ${converged_s} s, idle ${idle} s; cores: $(nproc)"
printf '%-10s %10s %10s\n' "" median max
for spec in "VmRSS:2" "Pss:3" "RssAnon:4" "RssFile:5"; do
  read -r med max <<<"$(col_stats "${spec#*:}")"
  printf '%-10s %7s MiB %6s MiB\n' "${spec%%:*}" "$(mib "$med")" "$(mib "$max")"
done
read -r cmed cmax <<<"$(col_stats 6)"
printf '%-10s %9s%% %9s%%\n' "CPU" "$cmed" "$cmax"

# The agents sorted by VmRSS: the median one and the largest.
sort -k2,2n "$work/agents" >"$work/by_rss"
med_pid=$(awk -v n="$(( (k + 1) / 2 ))" 'NR == n { print $1 }' "$work/by_rss")
max_pid=$(tail -1 "$work/by_rss" | awk '{ print $1 }')

for who in "median:$med_pid" "max:$max_pid"; do
  p=${who#*:}
  read -r _ rss pss anon file cpu < <(awk -v p="$p" '$1 == p' "$work/agents")
  echo
  echo "${who%%:*} agent (pid $p): VmRSS $(mib "$rss") MiB, Pss $(mib "$pss") MiB, RssAnon $(mib "$anon") MiB, CPU ${cpu}%"
  echo "  Rss KiB  Pss KiB  mapping (top $top)"
  breakdown "$p" "$top" | sed 's/^/ /'
done

read -r rmed rmax <<<"$(col_stats 2)"
read -r pmed pmax <<<"$(col_stats 3)"
read -r amed amax <<<"$(col_stats 4)"
echo
echo "rss-figures: K=$k median VmRSS=$(mib "$rmed") Pss=$(mib "$pmed") RssAnon=$(mib "$amed") CPU=${cmed}%" \
  "max VmRSS=$(mib "$rmax") Pss=$(mib "$pmax") RssAnon=$(mib "$amax") CPU=${cmax}% (MiB)"
