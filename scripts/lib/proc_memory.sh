# shellcheck shell=bash
# Sourced by rss-figures.sh and peers-figures.sh: what /proc says of a process's memory and CPU.
#
#   ticks PID        utime + stime of PID so far, in clock ticks (getconf CLK_TCK a second)
#   memory_kib PID   "VmRSS Pss RssAnon RssFile" of PID, in KiB (status and smaps_rollup)
#   breakdown PID N  resident and proportional KiB per mapped path ([anon] for anonymous
#                    maps), the N largest by Rss: "RSS PSS PATH" lines
#   mib KIB          KiB as MiB with two decimals

ticks() { sed 's/.*) //' "/proc/$1/stat" | awk '{ print $12 + $13 }'; }

memory_kib() {
  local rss anon file pss
  rss=$(awk '/^VmRSS:/ { print $2 }' "/proc/$1/status")
  anon=$(awk '/^RssAnon:/ { print $2 }' "/proc/$1/status")
  file=$(awk '/^RssFile:/ { print $2 }' "/proc/$1/status")
  pss=$(awk '/^Pss:/ { print $2 }' "/proc/$1/smaps_rollup")
  echo "$rss $pss $anon $file"
}

breakdown() {
  awk '
    /^[0-9a-f]+-[0-9a-f]+ / { path = (NF >= 6) ? $6 : "[anon]"; next }
    /^Rss:/ { rss[path] += $2 }
    /^Pss:/ { pss[path] += $2 }
    END { for (p in rss) if (rss[p] > 0) printf "%8d %8d  %s\n", rss[p], pss[p], p }
  ' "/proc/$1/smaps" | sort -rn | head -"$2"
}

mib() { awk -v v="$1" 'BEGIN { printf "%.2f", v / 1024 }'; }
