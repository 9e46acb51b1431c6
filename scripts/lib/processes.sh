# shellcheck shell=bash
# Sourced by the scripts that start agents, swarms and emulators (demo.sh, gce-figures.sh,
# rss-figures.sh, peers-figures.sh): one temporary directory and one list of the processes the
# script started, both gone when it exits, whatever happens.
#
#   cc_start_work PREFIX   sets $work (a new directory /tmp/PREFIX.XXXXXX) and an empty $pids;
#                          on exit every PID the script appended to $pids is killed (SIGKILL,
#                          only those) and reaped, and $work is removed; INT and TERM exit 130.
#   now_ms                 milliseconds since the epoch.

cc_start_work() {
  work="$(mktemp -d "/tmp/$1.XXXXXX")"
  pids=()
  trap cc_cleanup EXIT
  trap 'exit 130' INT TERM
}

cc_cleanup() {
  local p
  for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  rm -rf "$work"
}

now_ms() { echo $(( $(date +%s%N) / 1000000 )); }
