#!/usr/bin/env bash
# Smoke test of the lab itself (about 3 min, needs root): every scenario with
# the toy agent over the 'line' socket poller and the members_cmd poller, and
# serf at N=4. Fails if any record reports an error, a non-converged join or an
# undetected crash/leave/recreate.
set -u
cd "$(dirname "$0")" || exit 1
out=$(mktemp -d)
trap 'python3 lab.py cleanup --prefix cctest >/dev/null 2>&1; rm -rf "$out"' EXIT
short=(--repeat 1 --recreate-restart 1 --loss udp:20 --loss-window 5 --grey-window 5 --burst 2 --idle 3
       --observe 3 --settle 1 --prefix cctest)
all=join,crash,silent-crash,leave,pause,loss,grey,recreate,silent-recreate,burst,silent-burst,resources
python3 lab.py run --agent agents/toy.json -n 5 "${short[@]}" --poller socket --scenarios $all --out "$out/r.jsonl" >/dev/null || exit 1
python3 lab.py run --agent agents/toy.json -n 3 "${short[@]}" --poller cmd --scenarios join,crash,leave --out "$out/r.jsonl" >/dev/null || exit 1
python3 lab.py run --agent serf -n 4 "${short[@]}" --scenarios join,crash,silent-crash,leave,recreate,burst,resources \
  --out "$out/r.jsonl" >/dev/null || exit 1
python3 - "$out/r.jsonl" <<'PY'
import json, sys
recs = [json.loads(l) for l in open(sys.argv[1])]
bad = [r for r in recs if "error" in r or r.get("converged") is False
       or r.get("detected_by_all") is False or r.get("all_saw_left") is False]
for r in recs:
    print(r["agent"], r["n"], r["scenario"], {k: r[k] for k in r if k.startswith("t_all") or k == "t_converged_s"})
print("%d passed, %d failed" % (len(recs) - len(bad), len(bad)))
sys.exit(1 if bad or len(recs) < 20 else 0)
PY
