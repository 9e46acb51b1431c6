#!/usr/bin/env bash
# Cold start of N agents that find each other through GCE discovery, on loopback only.
#
#   bench/cold-start.sh [--sizes 50,100,200] [--spread SECONDS] [--limit SECONDS]
#                       [--build-dir DIR] [--keep-logs]
#
# For each N: gce-emulator on 127.31.250.1 serves N RUNNING VMs tagged cache-node at
# 127.31.X.Y (one loopback address per VM: the emulator's metadata server tells the VMs
# apart by source address); N agents start with `[cluster] discovery = gce` and the
# default API budget (api_calls_per_minute = 10, min_poll_interval = 60s), one every
# SPREAD/N seconds (default spread 10 s); then every agent's /v1/members is polled until
# each lists all N alive (or LIMIT seconds pass, default 300). At that moment the script
# reads every agent's /metrics and /proc, and the emulator's /admin/stats, and prints one
# row:
#
#   N          agents started
#   spread     seconds from the first launch to the last
#   converge   seconds from the last launch until every agent listed all N alive
#              ("-" when LIMIT passed first; the row then says how many agents had)
#   p50/p90    seconds from the last launch until half, and 90 %, of the agents had
#              (negative: before the last launch)
#   pp_total   cachecluster_push_pulls_total summed over the agents (each exchange counts
#              once at each end)
#   pp/agent   pp_total / N, and the largest single agent's count
#   joins      cachecluster_joins_total summed (join push-pulls that succeeded)
#   udp_MB     cachecluster_gossip_sent_bytes_total / _received_bytes_total summed, MB
#   tcp_ping   cachecluster_tcp_fallback_pings_total summed: probes whose UDP ack came late
#              (a sign of a saturated CPU, not of the network)
#   suspect    cachecluster_suspicions_raised_total summed (false suspicions: nobody died)
#   compute    Compute API calls the emulator counted (compute_total), whole cluster
#   metadata   metadata server requests it counted (metadata_total; the preemption
#              watches' long polls included)
#   exited     agents that were no longer running (their log tails are printed)
#   rss_MiB    VmRSS median / max over the running agents
#   cores      CPU time the agents used (utime + stime) from the first launch until the
#              row was taken, divided by that wall time: cores busy on average
#
# Not a test: ctest and CI never run it. It starts only its own processes and kills exactly
# those (by PID) when a size is done and on exit, whatever happens. All traffic stays on
# 127.0.0.0/8. Needs built `cachecluster` and `gce-emulator` (it builds nothing) and
# python3 (the poller). A 2-core machine holds about 250 agents; see docs/deploy-gce.md
# ("Cold start at hundreds of agents") for measured rows and where it stops.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build_dir=${BUILD_DIR:-$root/build}
sizes=50,100,200
spread=10
limit=300
keep_logs=0
while [[ $# -gt 0 ]]; do
  case "$1" in
    --sizes) sizes=$2; shift ;;
    --spread) spread=$2; shift ;;
    --limit) limit=$2; shift ;;
    --build-dir) build_dir=$2; shift ;;
    --keep-logs) keep_logs=1 ;;
    -h | --help) awk 'NR > 1 && !/^#/ { exit } NR > 1 { sub(/^# ?/, ""); print }' "${BASH_SOURCE[0]}"; exit 0 ;;
    *) echo "cold-start.sh: unknown argument $1 (see --help)" >&2; exit 64 ;;
  esac
  shift
done
cc=$build_dir/agent/cachecluster
emulator=$build_dir/gce/gce-emulator
for b in "$cc" "$emulator"; do
  [[ -x $b ]] || { echo "cold-start.sh: $b not built (cmake --build $build_dir --target cachecluster gce-emulator)" >&2; exit 1; }
done
command -v python3 >/dev/null || { echo "cold-start.sh: needs python3" >&2; exit 1; }
[[ $sizes =~ ^[0-9]+(,[0-9]+)*$ ]] || { echo "cold-start.sh: --sizes N,N,..." >&2; exit 64; }
[[ $spread =~ ^[0-9]+([.][0-9]+)?$ ]] || { echo "cold-start.sh: --spread SECONDS" >&2; exit 64; }
for n in ${sizes//,/ }; do
  ((n >= 2 && n <= 2000)) || { echo "cold-start.sh: each size must be 2..2000" >&2; exit 64; }
done

emu_ip=127.31.250.1
http_port=9101
work=$(mktemp -d /tmp/cachecluster-cold-start.XXXXXX)
pids=()
stop_all() {
  local p
  for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  pids=()
}
cleanup() {
  stop_all
  if [[ $keep_logs -eq 1 ]]; then echo "cold-start.sh: logs kept in $work" >&2; else rm -rf "$work"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

vm_ip() { echo "127.31.$(($1 / 200)).$(($1 % 200 + 10))"; }  # VM i (1-based)

# The poller and the figures: python3 for concurrency (hundreds of HTTP requests a sweep).
cat >"$work/poll.py" <<'PY'
import concurrent.futures, json, statistics, sys, time, urllib.request

mode, n, port = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
ips = sys.argv[4].split(",")
pool = concurrent.futures.ThreadPoolExecutor(32)

def get(ip, path, timeout=2):
    try:
        with urllib.request.urlopen(f"http://{ip}:{port}{path}", timeout=timeout) as r:
            return r.read().decode()
    except Exception:
        return None

def alive(ip):
    body = get(ip, "/v1/members")
    if body is None:
        return -1
    try:
        return sum(1 for m in json.loads(body)["members"] if m["state"] == "alive")
    except (ValueError, KeyError):
        return -1

if mode == "wait":
    # Until every agent lists n alive, or the deadline. Prints how many did, and the seconds
    # from `since` (epoch) until half, 90 % and all of them had (first sweep seen; "-" = not).
    deadline = time.monotonic() + float(sys.argv[5])
    since = float(sys.argv[6])
    reached = {}
    while True:
        todo = [ip for ip in ips if ip not in reached]
        for ip, c in zip(todo, pool.map(alive, todo)):
            if c == n:
                reached[ip] = time.time() - since
        if len(reached) == len(ips) or time.monotonic() >= deadline:
            break
        time.sleep(0.2)
    t = sorted(reached.values())
    at = lambda f: f"{t[int(f * len(ips)) - 1]:.1f}" if int(f * len(ips)) <= len(t) else "-"
    print(len(t), at(0.5), at(0.9), at(1.0))
elif mode == "stats":  # the emulator's call counters; "- -" when it does not answer in 20 s
    body = get(ips[0], "/admin/stats", timeout=20)
    try:
        j = json.loads(body)
        print(j["compute_total"], j["metadata_total"])
    except (TypeError, ValueError, KeyError):
        print("- -")
elif mode == "procs":  # agents' PIDs in sys.argv[4]: "running exited rss_med/max cpu_seconds"
    import os
    hz = os.sysconf("SC_CLK_TCK")
    rss, cpu, exited = [], 0.0, 0
    for pid in ips:
        try:
            with open(f"/proc/{pid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            if fields[0] == "Z":
                raise OSError
            cpu += (int(fields[11]) + int(fields[12])) / hz
            with open(f"/proc/{pid}/status") as f:
                for line in f:
                    if line.startswith("VmRSS:"):
                        rss.append(int(line.split()[1]) / 1024)
        except (OSError, IndexError, ValueError):
            exited += 1
    r = f"{statistics.median(rss):.1f}/{max(rss):.1f}" if rss else "-"
    print(len(ips) - exited, exited, r, f"{cpu:.1f}")
elif mode == "metrics":  # sums of a few counters over the agents
    names = ["cachecluster_push_pulls_total", "cachecluster_joins_total",
             "cachecluster_gossip_sent_bytes_total", "cachecluster_gossip_received_bytes_total",
             "cachecluster_tcp_fallback_pings_total", "cachecluster_suspicions_raised_total"]
    per = []
    for body in pool.map(lambda ip: get(ip, "/metrics"), ips):
        v = dict.fromkeys(names, 0.0)
        for line in (body or "").splitlines():
            parts = line.split(" ")
            if len(parts) == 2 and parts[0] in v:
                v[parts[0]] = float(parts[1])
        per.append(v)
    pp = [v[names[0]] for v in per]
    print(int(sum(pp)), f"{sum(pp) / max(len(pp), 1):.1f}", int(max(pp or [0])),
          int(sum(v[names[1]] for v in per)),
          f"{sum(v[names[2]] for v in per) / 1e6:.1f}",
          f"{sum(v[names[3]] for v in per) / 1e6:.1f}",
          int(sum(v[names[4]] for v in per)), int(sum(v[names[5]] for v in per)))
PY

admin() {  # METHOD PATH [JSON] -> response body
  local body=${3:-}
  exec 9<>"/dev/tcp/$emu_ip/$emu_port"
  printf '%s %s HTTP/1.1\r\nHost: %s\r\nContent-Type: application/json\r\nContent-Length: %d\r\nConnection: close\r\n\r\n%s' \
    "$1" "$2" "$emu_ip" "${#body}" "$body" >&9
  sed '1,/^\r$/d' <&9
  exec 9<&-
}

printf '%-5s %-6s %-11s %-9s %-8s %-13s %-6s %-13s %-8s %-7s %-7s %-8s %-6s %-11s %s\n' \
  N spread p50/p90 converge pp_total "pp/agent(max)" joins "udp_MB(s/r)" tcp_ping suspect compute metadata exited rss_MiB cores

for n in ${sizes//,/ }; do
  dir=$work/n$n
  mkdir -p "$dir"
  # ---- the emulator with N VMs ----
  {
    printf '{"project":"cold-start","zones":["us-central1-a"],"instances":['
    sep=
    for ((i = 1; i <= n; i++)); do
      printf '%s{"name":"vm-%d","zone":"us-central1-a","networkIP":"%s","tags":["cache-node"],"status":"RUNNING"}' \
        "$sep" "$i" "$(vm_ip "$i")"
      sep=,
    done
    printf ']}\n'
  } >"$dir/instances.json"
  "$emulator" --instances "$dir/instances.json" --listen "$emu_ip:0" >"$dir/emulator.log" 2>&1 &
  pids+=($!)
  emu_port=
  for _ in $(seq 200); do
    emu_port=$(sed -n 's/.*listening on [0-9.]*:\([0-9]*\).*/\1/p' "$dir/emulator.log")
    [[ -n $emu_port ]] && break
    sleep 0.05
  done
  [[ -n $emu_port ]] || { cat "$dir/emulator.log"; echo "cold-start.sh: the emulator did not start" >&2; exit 1; }
  cat >"$dir/agent.ini" <<INI
[cluster]
discovery = gce
[match]
tags = cache-node
[gce]
api_endpoint = http://$emu_ip:$emu_port/compute/v1/
INI
  admin POST /admin/stats/reset >/dev/null

  # ---- N agents, one every SPREAD/N seconds (paced against the clock, not by sleeps alone) ----
  agent_pids=()
  ips=()
  t0=$EPOCHREALTIME
  t0_us=${t0/./}
  spread_us=$(awk -v s="$spread" 'BEGIN { printf "%d", s * 1000000 }')
  for ((i = 1; i <= n; i++)); do
    # No forks here: on a loaded machine two per launch would stretch the spread.
    due_us=$((t0_us + spread_us * (i - 1) / (n - 1)))
    now_us=${EPOCHREALTIME/./}
    if ((due_us > now_us)); then
      wait_us=$((due_us - now_us))
      sleep "$((wait_us / 1000000)).$(printf '%06d' $((wait_us % 1000000)))"
    fi
    ip=$(vm_ip "$i")
    GCE_METADATA_HOST=$emu_ip:$emu_port "$cc" agent --config "$dir/agent.ini" --node "vm-$i" \
      --bind "$ip" --socket "$dir/vm-$i.sock" --http "$ip:$http_port" --log-level info \
      >"$dir/vm-$i.log" 2>&1 &
    pids+=($!)
    agent_pids+=($!)
    ips+=("$ip")
  done
  t_last=$EPOCHREALTIME
  launched=$(awk -v a="$t0" -v b="$t_last" 'BEGIN { printf "%.1f", b - a }')
  ip_list=$(IFS=,; echo "${ips[*]}")

  # ---- wait until every agent lists all N alive ----
  read -r done_count t50 t90 t100 <<<"$(python3 "$work/poll.py" wait "$n" "$http_port" "$ip_list" "$limit" "$t_last")"
  converge=$t100
  ((done_count == n)) || converge="-($done_count/$n)"
  read -r pp_total pp_mean pp_max joins udp_out udp_in tcp_ping suspect <<<"$(python3 "$work/poll.py" metrics "$n" "$http_port" "$ip_list")"
  read -r compute metadata <<<"$(python3 "$work/poll.py" stats 0 "$emu_port" "$emu_ip")"
  pid_list=$(IFS=,; echo "${agent_pids[*]}")
  read -r _ exited rss cpu_s <<<"$(python3 "$work/poll.py" procs 0 0 "$pid_list")"
  if ((exited > 0)); then  # (an exited agent is a zombie until the script reaps it)
    for i in "${!agent_pids[@]}"; do
      if [[ $(cut -d' ' -f3 "/proc/${agent_pids[$i]}/stat" 2>/dev/null || echo Z) == Z ]]; then
        echo "--- vm-$((i + 1)) exited; log tail:" >&2
        tail -n 5 "$dir/vm-$((i + 1)).log" >&2
      fi
    done
  fi
  cores=$(awk -v c="$cpu_s" -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.2f", c / (b - a) }')
  printf '%-5s %-6s %-11s %-9s %-8s %-13s %-6s %-13s %-8s %-7s %-7s %-8s %-6s %-11s %s\n' \
    "$n" "$launched" "$t50/$t90" "$converge" "$pp_total" "$pp_mean($pp_max)" "$joins" "$udp_out/$udp_in" \
    "$tcp_ping" "$suspect" "$compute" "$metadata" "$exited" "$rss" "$cores"
  stop_all
done
