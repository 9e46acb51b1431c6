#!/usr/bin/env bash
# A local cachecluster demo on an emulated GCE, entirely on loopback.
#
#   scripts/demo.sh [--keep-running] [--no-install]
#
# Installs what is missing, builds, then starts the GCE emulator (metadata
# server + Compute API) with 5 VMs tagged `cache-node` on 127.0.0.11-15 and one
# VM without the tag on 127.0.0.16, and one agent per matching VM. Agents find
# each other through the emulated Compute API and gossip from there. The demo
# then scales out by one VM, preempts one, and kill -9s one, printing after each
# step how every agent sees the cluster and how long the change took to reach
# them all. It ends by itself within about a minute and stops every process it
# started; --keep-running leaves the cluster up, refreshing the table, until
# Ctrl-C.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build_dir=${BUILD_DIR:-$root/build}
keep_running=0
install=1
for arg in "$@"; do
  case "$arg" in
    --keep-running) keep_running=1 ;;
    --no-install) install=0 ;;
    -h | --help) sed -n '2,16p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "demo.sh: unknown argument $arg (see --help)" >&2; exit 64 ;;
  esac
done

say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
run() { echo "+ $*" >&2; "$@"; }

cd "$root"
[[ $install -eq 1 ]] && run "$root/scripts/install-deps.sh" --build
configure=(cmake -S "$root" -B "$build_dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo)
if [[ ! -f $build_dir/CMakeCache.txt ]] && command -v ninja >/dev/null 2>&1; then
  configure+=(-G Ninja)
fi
if command -v ccache >/dev/null 2>&1; then configure+=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache); fi
run "${configure[@]}" >/dev/null
run cmake --build "$build_dir" --parallel "$(nproc 2>/dev/null || echo 2)" \
  --target cachecluster gce-emulator
cc=$build_dir/agent/cachecluster
emulator=$build_dir/gce/gce-emulator

# shellcheck source=scripts/lib/processes.sh
source "$root/scripts/lib/processes.sh"
cc_start_work cachecluster-demo

# ---- the emulated project -------------------------------------------------
emu_ip=127.0.0.10
vm() {  # name ip tag
  printf '{"name":"%s","zone":"us-central1-a","networkIP":"%s","tags":["%s"],"labels":{"app":"cache"},"status":"RUNNING"}' "$1" "$2" "$3"
}
{
  printf '{"project":"demo-project","zones":["us-central1-a"],"instances":['
  for i in 1 2 3 4 5; do printf '%s,' "$(vm "cache-$i" "127.0.0.1$i" cache-node)"; done
  printf '%s]}\n' "$(vm batch-1 127.0.0.16 batch)"
} >"$work/instances.json"

"$emulator" --instances "$work/instances.json" --listen "$emu_ip:0" >"$work/emulator.log" 2>&1 &
pids+=($!)
emu_port=
for _ in $(seq 100); do
  emu_port=$(sed -n 's/.*listening on [0-9.]*:\([0-9]*\).*/\1/p' "$work/emulator.log")
  [[ -n $emu_port ]] && break
  sleep 0.05
done
[[ -n $emu_port ]] || { cat "$work/emulator.log"; echo "demo.sh: the emulator did not start" >&2; exit 1; }

# Admin calls to the emulator, with bash's /dev/tcp (no HTTP client needed).
admin() {  # METHOD PATH [JSON]
  local body=${3:-}
  exec 9<>"/dev/tcp/$emu_ip/$emu_port"
  printf '%s %s HTTP/1.1\r\nHost: %s\r\nContent-Type: application/json\r\nContent-Length: %d\r\nConnection: close\r\n\r\n%s' \
    "$1" "$2" "$emu_ip" "${#body}" "$body" >&9
  cat <&9 >/dev/null
  exec 9<&-
}

cat >"$work/cachecluster.ini" <<INI
[cache]
port = 8080
[match]
tags = cache-node
[gce]
api_endpoint = http://$emu_ip:$emu_port/compute/v1/
INI

declare -A agent_pid
start_agent() {  # index
  local i=$1
  GCE_METADATA_HOST=$emu_ip:$emu_port "$cc" agent --config "$work/cachecluster.ini" \
    --node "cache-$i" --bind "127.0.0.1$i" --socket "$work/cache-$i.sock" \
    --http "127.0.0.1$i:9101" --log-level warn >"$work/cache-$i.log" 2>&1 &
  pids+=($!)
  agent_pid[$i]=$!
}

# ---- views --------------------------------------------------------------------
running=()
state_of() {  # observer subject -> alive|suspect|dead|left|-
  "$cc" members --socket "$work/cache-$1.sock" 2>/dev/null |
    awk -v n="cache-$2" '$1 == n { print $3; found = 1 } END { if (!found) print "-" }'
}
table() {
  local subjects=("$@") o s
  printf '%-10s' "agent"
  for s in "${subjects[@]}"; do printf '%-9s' "cache-$s"; done
  printf '\n'
  for o in "${running[@]}"; do
    printf '%-10s' "cache-$o"
    for s in "${subjects[@]}"; do printf '%-9s' "$(state_of "$o" "$s")"; done
    printf '\n'
  done
}
# wait_all SUBJECT STATE...: until every running agent (but the subject) sees it in one of STATEs.
wait_all() {
  local subject=$1 o st ok
  shift
  local start=$(date +%s%N)
  for _ in $(seq 600); do
    ok=1
    for o in "${running[@]}"; do
      [[ $o == "$subject" ]] && continue
      st=$(state_of "$o" "$subject")
      [[ " $* " == *" $st "* ]] || { ok=0; break; }
    done
    if [[ $ok -eq 1 ]]; then
      printf 'reached every agent in %d ms\n' $((($(date +%s%N) - start) / 1000000))
      return 0
    fi
    sleep 0.05
  done
  echo "demo.sh: cache-$subject did not reach state $* everywhere within 30 s" >&2
  return 1
}
remove() {  # drop an index from running
  local keep=() o
  for o in "${running[@]}"; do [[ $o != "$1" ]] && keep+=("$o"); done
  running=("${keep[@]}")
}

# ---- the story ------------------------------------------------------------------
say "Emulated GCE on $emu_ip:$emu_port: cache-1..5 (tag cache-node, 127.0.0.11-15), batch-1 (no tag, 127.0.0.16)"
t0=$(date +%s%N)
for i in 1 2 3 4 5; do start_agent "$i"; running+=("$i"); done
for i in 1 2 3 4 5; do
  for _ in $(seq 200); do [[ -S $work/cache-$i.sock ]] && break; sleep 0.05; done
done
for i in 1 2 3 4 5; do wait_all "$i" alive >/dev/null; done
printf 'all 5 agents see each other %d ms after start (batch-1 is never listed)\n' \
  $((($(date +%s%N) - t0) / 1000000))
table 1 2 3 4 5

say "Scale out: the group adds cache-6 (127.0.0.17)"
admin POST /admin/instances "$(vm cache-6 127.0.0.17 cache-node)"
start_agent 6
running+=(6)
for _ in $(seq 200); do [[ -S $work/cache-6.sock ]] && break; sleep 0.05; done
wait_all 6 alive
table 1 2 3 4 5 6

say "Preemption: GCE preempts cache-2; its agent leaves at once"
admin POST /admin/instances/cache-2/preempt
remove 2
wait_all 2 left
table 1 2 3 4 5 6

say "Crash: kill -9 of cache-4's agent"
{ kill -9 "${agent_pid[4]}" && wait "${agent_pid[4]}"; } 2>/dev/null || true
remove 4
wait_all 4 dead
table 1 2 3 4 5 6

printf '\nA peer-list snapshot as cache nodes receive it (cache-1, %s):\n' "$work/cache-1.sock"
timeout 1 "$cc" watch --socket "$work/cache-1.sock" 2>/dev/null | head -1 | cut -c1-400 || true
printf '...\n'

if [[ $keep_running -eq 1 ]]; then
  say "Cluster left running; Ctrl-C stops it and cleans up"
  echo "Try: $cc members --socket $work/cache-1.sock    or    curl http://127.0.0.11:9101/metrics"
  while true; do
    sleep 2
    say "$(date +%T)"
    table 1 2 3 4 5 6
  done
fi
say "Done: stopping every process the demo started"
