#!/usr/bin/env bash
# The memory and CPU of one idle agent that knows K peers. K real agents do not fit on a small
# machine, so the peers are one `peer-swarm` process (bench/peer_swarm.cpp) impersonating K
# memberlist members swarm-0 ... swarm-(K-1) at 127.0.0.1:BASE_PORT ... BASE_PORT+K-1: it acks
# every ping and indirect ping and answers every push-pull with all K members alive. One real
# agent (127.0.0.2:7946, static join to the first swarm member, its peer-list socket and HTTP
# listener) joins it; once the agent lists K+1 members alive (the swarm and itself) it waits
# SETTLE_SECONDS (the join's gossip about K new members takes a minute or two to die down at
# K = 2000), idles for IDLE_SECONDS, then the script reads /proc of the agent and prints:
#
#     VmRSS    resident set (/proc/PID/status), MiB
#     Pss      proportional set (/proc/PID/smaps_rollup), MiB
#     RssAnon  the agent's own memory: heap, stacks, anonymous maps (/proc/PID/status), MiB
#     RssFile  resident pages of mapped files: the binary and shared libraries, MiB
#     CPU%     the agent's utime+stime over the idle window (/proc/PID/stat) / window length
#   the TOP largest mappings (Rss and Pss KiB per path, as scripts/rss-figures.sh), the swarm's
#   counters over the idle window and over the whole run (pings, indirect pings, push-pulls it
#   answered; messages it ignored, mostly the agent's gossip) and its CPU% over the window,
#   and one line "peers-figures: K=.. VmRSS=.. Pss=.. RssAnon=.. CPU%=.." to grep.
#
# Usage: scripts/peers-figures.sh [K]
#   env: CACHECLUSTER_BIN (default build/agent/cachecluster), PEER_SWARM_BIN (default
#        build/bench/peer-swarm); nothing is built here.
#        K (2000), IDLE_SECONDS (60), SETTLE_SECONDS (0), PROFILE (lan; empty: no profile line, so the agent runs
#        its default heartbeat or what EXTRA_INI sets), EXTRA_INI (lines appended to the
#        agent's config, e.g. "[cluster]\nheartbeat = 250ms"), BASE_PORT (20000),
#        SWARM_IP (127.0.0.1), AGENT_IP (127.0.0.2), WAIT_SECONDS (180), TOP (8),
#        SWARM_ARGS (more peer-swarm arguments, e.g. "--meta-bytes 100")
#   e.g. scripts/peers-figures.sh 2000
#        PROFILE= EXTRA_INI='[cluster]\nheartbeat = 250ms' scripts/peers-figures.sh 2000
# Every process this script starts is killed on exit (by PID), whatever happens. All traffic
# stays on 127.0.0.0/8.
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
bin="${CACHECLUSTER_BIN:-$root/build/agent/cachecluster}"
swarm_bin="${PEER_SWARM_BIN:-$root/build/bench/peer-swarm}"
k="${1:-${K:-2000}}"
idle="${IDLE_SECONDS:-60}"
settle="${SETTLE_SECONDS:-0}"
profile="${PROFILE-lan}"
base="${BASE_PORT:-20000}"
swarm_ip="${SWARM_IP:-127.0.0.1}"
agent_ip="${AGENT_IP:-127.0.0.2}"
wait_s="${WAIT_SECONDS:-180}"
top="${TOP:-8}"
[[ -x "$bin" ]] || { echo "peers-figures: $bin is not an executable; build the cachecluster target or set CACHECLUSTER_BIN" >&2; exit 1; }
[[ -x "$swarm_bin" ]] || { echo "peers-figures: $swarm_bin is not an executable; build the peer-swarm target or set PEER_SWARM_BIN" >&2; exit 1; }
[[ "$k" =~ ^[0-9]+$ && "$k" -ge 1 ]] || { echo "peers-figures: K must be a positive integer" >&2; exit 64; }
[[ "$idle" =~ ^[0-9]+$ && "$idle" -ge 1 ]] || { echo "peers-figures: IDLE_SECONDS must be a positive integer" >&2; exit 64; }
[[ "$settle" =~ ^[0-9]+$ ]] || { echo "peers-figures: SETTLE_SECONDS must be a whole number of seconds" >&2; exit 64; }
for ip in "$swarm_ip" "$agent_ip"; do
  [[ "$ip" =~ ^127\.[0-9]+\.[0-9]+\.[0-9]+$ ]] || { echo "peers-figures: $ip is not in 127.0.0.0/8" >&2; exit 64; }
done

# shellcheck source=scripts/lib/processes.sh
source "$root/scripts/lib/processes.sh"
# shellcheck source=scripts/lib/proc_memory.sh
source "$root/scripts/lib/proc_memory.sh"
cc_start_work cc-peers


# The swarm first: the agent's join must find it listening.
# shellcheck disable=SC2086 # SWARM_ARGS is a list of words
"$swarm_bin" --count "$k" --ip "$swarm_ip" --base-port "$base" ${SWARM_ARGS:-} 2>"$work/swarm.log" &
swarm_pid=$!
pids+=("$swarm_pid")
t0=$(now_ms)
until grep -q ' members ' "$work/swarm.log" 2>/dev/null; do
  kill -0 "$swarm_pid" 2>/dev/null || { echo "peers-figures: peer-swarm exited:" >&2; cat "$work/swarm.log" >&2; exit 1; }
  if (( $(now_ms) - t0 > 30000 )); then echo "peers-figures: peer-swarm did not open its sockets within 30 s" >&2; exit 1; fi
  sleep 0.1
done

sock="$work/agent.sock"
{
  printf '[node]\nname = peers-agent\n'
  printf '[cluster]\nbind = %s\nport = 7946\ndiscovery = static\njoin = %s:%s\n' "$agent_ip" "$swarm_ip" "$base"
  [[ -n "$profile" ]] && printf 'profile = %s\n' "$profile"
  printf '[publish]\nsocket = %s\n' "$sock"
  printf '[http]\nlisten = %s:9101\n' "$agent_ip"
  printf '[log]\nlevel = warn\n'
  [[ -n "${EXTRA_INI:-}" ]] && printf '%b\n' "$EXTRA_INI"
} >"$work/agent.ini"
"$bin" agent --config "$work/agent.ini" >"$work/agent.log" 2>&1 &
agent_pid=$!
pids+=("$agent_pid")

alive() { "$bin" members --status alive --socket "$sock" 2>/dev/null | grep -c . || true; }
t0=$(now_ms)
until [[ "$(alive)" == "$(( k + 1 ))" ]]; do
  kill -0 "$agent_pid" 2>/dev/null || { echo "peers-figures: the agent exited:" >&2; tail -5 "$work/agent.log" >&2; exit 1; }
  kill -0 "$swarm_pid" 2>/dev/null || { echo "peers-figures: peer-swarm exited:" >&2; tail -5 "$work/swarm.log" >&2; exit 1; }
  if (( $(now_ms) - t0 > wait_s * 1000 )); then
    echo "peers-figures: the agent lists $(alive) members alive, not $(( k + 1 )), after $wait_s s" >&2
    tail -5 "$work/agent.log" >&2
    exit 1
  fi
  sleep 0.5
done
joined_s=$(awk -v d=$(( $(now_ms) - t0 )) 'BEGIN { printf "%.1f", d / 1000 }')

pause() {  # SECONDS, in a child this script owns (killed on exit like the others)
  sleep "$1" &
  local s=$!
  pids+=("$s")
  wait "$s" || true
}
(( settle > 0 )) && pause "$settle"

# The swarm prints its counters on SIGUSR1 ("peer-swarm now: pings=.. ..."): one line per call.
swarm_now() {
  local n want
  n=$(grep -c 'peer-swarm now:' "$work/swarm.log" || true)
  want=$(( n + 1 ))
  kill -USR1 "$swarm_pid"
  for _ in $(seq 1 50); do
    (( $(grep -c 'peer-swarm now:' "$work/swarm.log" || true) >= want )) && break
    sleep 0.1
  done
  grep 'peer-swarm now:' "$work/swarm.log" | sed -n "${want}p"
}
field() { sed -n "s/.* $1=\([0-9]*\).*/\1/p" <<<"$2"; }

c0="$(swarm_now)"
a0=$(ticks "$agent_pid")
s0=$(ticks "$swarm_pid")
w0=$(now_ms)
pause "$idle"
a1=$(ticks "$agent_pid")
s1=$(ticks "$swarm_pid")
window_ms=$(( $(now_ms) - w0 ))
c1="$(swarm_now)"
hz=$(getconf CLK_TCK)
pct() { awk -v d="$1" -v hz="$hz" -v ms="$window_ms" 'BEGIN { printf "%.2f", d / hz * 100000 / ms }'; }
cpu=$(pct $(( a1 - a0 )))
swarm_cpu=$(pct $(( s1 - s0 )))
read -r rss pss anon file <<<"$(memory_kib "$agent_pid")"

mappings="$(breakdown "$agent_pid" "$top")"
still_alive=$(alive)  # after the reads: the request itself allocates in the agent
in_window=""
for f in pings indirect push_pulls tcp_pings ignored malformed; do
  in_window="$in_window $f=$(( $(field "$f" "$c1") - $(field "$f" "$c0") ))"
done

# The swarm prints its totals when it is asked to stop.
kill -TERM "$swarm_pid" 2>/dev/null || true
wait "$swarm_pid" 2>/dev/null || true
pids=("$agent_pid")  # the swarm is gone (and reaped): never signal its PID again
counters="$(grep 'peer-swarm exit:' "$work/swarm.log" | tail -1 | sed 's/^peer-swarm exit: //')"

conf="profile=${profile:-none}"
[[ -n "${EXTRA_INI:-}" ]] && conf="$conf, extra: $(printf '%b' "$EXTRA_INI" | tr '\n' ' ' | sed 's/ *$//')"
echo "$("$bin" version 2>/dev/null | head -1)   binary: $bin"
echo "K=$k swarm members at $swarm_ip:$base..$(( base + k - 1 )), agent at $agent_ip:7946 ($conf);" \
  "K+1 alive after ${joined_s} s, settled ${settle} s, idle ${idle} s ($still_alive alive at the end); cores: $(nproc)"
printf '%-10s %8s MiB\n' VmRSS "$(mib "$rss")" Pss "$(mib "$pss")" RssAnon "$(mib "$anon")" RssFile "$(mib "$file")"
printf '%-10s %8s %%   (peer-swarm: %s %%)\n' CPU "$cpu" "$swarm_cpu"
echo "  Rss KiB  Pss KiB  mapping (top $top)"
printf '%s\n' "$mappings" | sed 's/^/ /'
echo "swarm, over the idle window:$in_window"
echo "swarm, over the whole run: ${counters:-no counters (peer-swarm did not exit cleanly)}"
echo
echo "peers-figures: K=$k VmRSS=$(mib "$rss") Pss=$(mib "$pss") RssAnon=$(mib "$anon") CPU%=$cpu" \
  "($conf; MiB)"
