#!/usr/bin/env bash
# Thin wrapper around lab.py:   lab.sh up|run|cleanup|report|compare [args]
#   lab.sh up -n 10 --hold 600           start a lab (serf by default) and hold it
#   lab.sh run -n 20 --scenarios crash   run scenarios (see lab.py run -h)
#   lab.sh cleanup [--prefix P]          remove leftovers of a crashed run
# Besides lab.py's own teardown, an EXIT trap removes the prefix's namespaces
# even if python dies hard.
set -u
here=$(cd "$(dirname "$0")" && pwd)
prefix=cclab
prev=""
for a in "$@"; do
  case "$a" in --prefix=*) prefix=${a#--prefix=};; esac
  [ "$prev" = "--prefix" ] && prefix=$a
  prev=$a
done
case "${1:-}" in
  up|run)
    trap 'python3 "$here/lab.py" cleanup --prefix "$prefix" >/dev/null 2>&1' EXIT
    trap 'exit 130' INT TERM HUP
    ;;
esac
python3 "$here/lab.py" "$@"
