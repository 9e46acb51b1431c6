#!/usr/bin/env bash
# Serf and cachecluster side by side in the membership lab (bench/lab), in one
# sitting, and one markdown table with the ratios.
#
#   sudo scripts/lab-figures.sh                 the full set (about 37 min, see below)
#   sudo scripts/lab-figures.sh --quick         N=10, short windows, one run each (about 15 min)
#   sudo scripts/lab-figures.sh --only serf,cachecluster   a subset of the three agents
#   sudo scripts/lab-figures.sh --batches B     a subset of the batches below
#
# Agents: serf (Debian's serf 0.9.4, -profile=lan), cachecluster (default
# timings, 250 ms heartbeat) and cachecluster-lan (--profile lan, Serf's timings).
# Each agent runs five batches, one lab each; the batches are interleaved
# (serf, cachecluster, cachecluster-lan, then the next batch) so that a change in
# the machine's load hits all three alike:
#   A  N=50: crash x3, silent-crash x3, leave x3
#   B  N=50: loss (30 % of all inbound packets on every host, 120 s) x1,
#            burst (10 at once) x1, silent-burst x1
#   C  N=50: recreate x3 (SIGKILL, the same name at once on a new address; an agent
#            that exits is started again after 1 s, as a service manager would)
#   D  N=20: grey (80 % inbound loss on one member, 120 s) x1
#   E  N=50: silent-recreate x3 (as C, and the old address goes silent)
# A batch takes 1-6 min per agent (Serf's recreates are the longest); the whole
# sitting about 37 min on 2 cores, plus any wait for LAB_LOCK.
#
# Output (into bench/lab/results/, or --out-dir):
#   lab-YYYY-MM-DD.jsonl  every run, one JSON object per line (-HHMM added when
#                         that name is taken)
#   lab-YYYY-MM-DD.md     the side-by-side table (medians; min..max over runs),
#                         the command behind each row, then every scenario's table
#
# env:
#   CACHECLUSTER_BIN  the agent binary (default: cachecluster on PATH, else
#                     build/agent/cachecluster). It is copied once at the start, so
#                     a rebuild during the sitting does not change what is measured.
#   LAB_LOCK          a lock file held (flock) during each batch and released between
#                     batches, e.g. the lock your builds take, so that no compile
#                     runs while a batch measures. Unset: no lock.
#   N (50), GREY_N (20)
# Needs root, iproute2, nftables (apt-get install nftables), serf, python3.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
lab="$root/bench/lab"
out_dir="$lab/results"
quick=0
only="serf,cachecluster,cachecluster-lan"
batches="A,B,C,D,E"
while [[ $# -gt 0 ]]; do
  case "$1" in
    --quick) quick=1 ;;
    --only) only=$2; shift ;;
    --only=*) only=${1#--only=} ;;
    --batches) batches=$2; shift ;;
    --batches=*) batches=${1#--batches=} ;;
    --out-dir) out_dir=$2; shift ;;
    --out-dir=*) out_dir=${1#--out-dir=} ;;
    -h | --help) sed -n '2,39p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "lab-figures.sh: unknown option '$1'" >&2; exit 64 ;;
  esac
  shift
done

IFS=, read -r -a batch_list <<<"$batches"
for b in "${batch_list[@]}"; do
  [[ $b =~ ^[A-E]$ ]] || { echo "lab-figures.sh: unknown batch '$b' (A-E)" >&2; exit 64; }
done
[[ $(id -u) -eq 0 ]] || { echo "lab-figures.sh: needs root (network namespaces)" >&2; exit 1; }
for tool in ip nft serf python3 flock; do
  command -v "$tool" >/dev/null || { echo "lab-figures.sh: $tool not found" >&2; exit 1; }
done

n=${N:-50}
grey_n=${GREY_N:-20}
repeat=3
loss_window=120
grey_window=120
burst=10
if [[ $quick -eq 1 ]]; then
  n=${N:-10}; grey_n=${GREY_N:-8}; repeat=1; loss_window=20; grey_window=30; burst=3
fi

# Hold LAB_LOCK (if set) while running "$@".
locked() {
  if [[ -n "${LAB_LOCK:-}" ]]; then
    flock "$LAB_LOCK" "$@"
  else
    "$@"
  fi
}

# The agent binary, copied (under the lock: not in the middle of a link) and
# checked; retried while it does not start.
bin_src="${CACHECLUSTER_BIN:-$(command -v cachecluster || echo "$root/build/agent/cachecluster")}"
work=$(mktemp -d /tmp/lab-figures-XXXXXX)
trap 'rm -rf "$work"' EXIT
for attempt in $(seq 1 20); do
  # shellcheck disable=SC2016  # $1 and $2 belong to the inner shell
  if locked sh -c 'cp "$1" "$2/cachecluster" && "$2/cachecluster" version' _ "$bin_src" "$work" \
      >"$work/version" 2>&1; then
    break
  fi
  echo "lab-figures.sh: $bin_src does not start (a build in progress?); retrying in 30 s" >&2
  [[ $attempt -eq 20 ]] && { cat "$work/version" >&2; exit 1; }
  sleep 30
done
export PATH="$work:$PATH"
version=$(cat "$work/version")
sha=$(sha256sum "$work/cachecluster" | cut -c1-16)
rev=$(git -C "$root" describe --always --dirty 2>/dev/null || echo unknown)
serf_version="serf $(dpkg-query -W -f='${Version}' serf 2>/dev/null || serf version | head -1)"

mkdir -p "$out_dir"
stamp=$(date +%F)
base="$out_dir/lab-$stamp"
[[ -e "$base.jsonl" || -e "$base.md" ]] && base="$out_dir/lab-$stamp-$(date +%H%M)"
jsonl="$base.jsonl"
md="$base.md"
: >"$jsonl"

common=(--interval 0.1 --settle 2 --observe 10 --seed 1 --out "$jsonl"
        --tag "cachecluster_version=$version" --tag "cachecluster_sha256=$sha"
        --tag "source=$rev" --tag "serf_version=$serf_version")
batch_args() {  # batch letter -> lab.py run arguments
  case "$1" in
    A) echo "-n $n --scenarios crash,silent-crash,leave --repeat $repeat" ;;
    B) echo "-n $n --scenarios loss,burst,silent-burst --loss all:30 --loss-window $loss_window --burst $burst" ;;
    C) echo "-n $n --scenarios recreate --repeat $repeat --recreate-restart 1" ;;
    D) echo "-n $grey_n --scenarios grey --grey-loss 80 --grey-window $grey_window" ;;
    E) echo "-n $n --scenarios silent-recreate --repeat $repeat --recreate-restart 1" ;;
  esac
}
agent_args() {  # label -> profile arguments
  case "$1" in
    serf) echo "--agent serf --label serf" ;;
    cachecluster) echo "--agent cachecluster --label cachecluster" ;;
    cachecluster-lan) echo "--agent cachecluster --label cachecluster-lan --extra=--profile=lan" ;;
    *) echo "lab-figures.sh: unknown agent '$1'" >&2; exit 64 ;;
  esac
}

IFS=, read -r -a agents <<<"$only"
for a in "${agents[@]}"; do agent_args "$a" >/dev/null; done

t_start=$(date +%s)
echo "lab-figures: $version ($sha, $rev), $serf_version; N=$n (grey $grey_n); results in $base.*" >&2
for b in "${batch_list[@]}"; do
  for a in "${agents[@]}"; do
    read -r -a args <<<"$(agent_args "$a") $(batch_args "$b")"
    echo "lab-figures: batch $b, $a: lab.py run ${args[*]}" >&2
    t=$(date +%s)
    locked "$lab/lab.sh" run "${args[@]}" "${common[@]}" >/dev/null ||
      echo "lab-figures: batch $b, $a failed (rc $?); going on" >&2
    echo "lab-figures: batch $b, $a took $(( $(date +%s) - t )) s" >&2
  done
done
elapsed=$(( $(date +%s) - t_start ))

others=$(IFS=,; echo "${agents[*]}" | sed 's/^serf,\{0,1\}//; s/,serf//')
{
  echo "# Serf and cachecluster in the membership lab, $stamp"
  echo
  echo "cachecluster: \`$version\` (binary sha256 $sha…, source $rev); serf: \`$serf_version\`."
  echo "N=$n (grey: N=$grey_n), batches $batches. The whole sitting took $(( elapsed / 60 )) min."
  echo "Cells: median (min..max) over runs; [k/n]: only k of n runs reached the condition."
  echo "Ratios: agent / serf, below 1 is better for times and counts of false events."
  echo "\"Not alive\" counts cachecluster's \`suspect\` state, which Serf does not show; \"failed/gone\" and"
  echo "\"removals from the peer list\" (a suspect member stays a peer) compare like with like."
  echo "See bench/lab/README.md for every field."
  echo
  python3 "$lab/lab.py" compare --base serf ${others:+--labels "$others"} "$jsonl"
  echo
  echo "## Every scenario"
  python3 "$lab/lab.py" report "$jsonl"
} >"$md"
cat "$md"
echo >&2
echo "lab-figures: $(( elapsed / 60 )) min $(( elapsed % 60 )) s; wrote $jsonl and $md" >&2
