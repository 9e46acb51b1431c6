#!/usr/bin/env bash
# Format our C++ sources with clang-format (style in .clang-format).
#
#   scripts/format.sh           rewrite files in place
#   scripts/format.sh --check   change nothing; list files that need formatting and
#                               exit 1 if any do
#   scripts/format.sh FILE...   only these files (with or without --check)
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"

check=0
files=()
for arg in "$@"; do
  case "$arg" in
    --check) check=1 ;;
    -h | --help) sed -n '2,7p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
    -*) echo "format.sh: unknown option '$arg'" >&2; exit 64 ;;
    *) files+=("$arg") ;;
  esac
done

clang_format=${CLANG_FORMAT:-clang-format}
if ! command -v "$clang_format" >/dev/null 2>&1; then
  echo "format.sh: clang-format not found: apt-get install clang-format" >&2
  exit 1
fi

if [[ ${#files[@]} -eq 0 ]]; then
  # Tracked and new (not ignored) sources in our folders; never build trees.
  dirs=(agent bench examples gce peerlib swim tests)
  if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
    mapfile -t files < <(git ls-files --cached --others --exclude-standard -- "${dirs[@]}" |
      grep -E '\.(cpp|hpp|h|cc)$' | sort -u)
  else
    mapfile -t files < <(find "${dirs[@]}" -type f \( -name '*.cpp' -o -name '*.hpp' \
      -o -name '*.h' -o -name '*.cc' \) 2>/dev/null | sort)
  fi
  # Files listed by git but deleted in the work tree are skipped.
  existing=()
  for f in "${files[@]}"; do [[ -f $f ]] && existing+=("$f"); done
  files=("${existing[@]}")
fi

if [[ ${#files[@]} -eq 0 ]]; then
  echo "format.sh: no sources found"
  exit 0
fi

if [[ $check -eq 1 ]]; then
  bad=()
  for f in "${files[@]}"; do
    if ! "$clang_format" --dry-run --Werror "$f" >/dev/null 2>&1; then
      bad+=("$f")
    fi
  done
  if [[ ${#bad[@]} -gt 0 ]]; then
    echo "format.sh: ${#bad[@]} of ${#files[@]} files need formatting (run scripts/format.sh):"
    printf '  %s\n' "${bad[@]}"
    exit 1
  fi
  echo "format.sh: ${#files[@]} files formatted correctly"
else
  "$clang_format" -i "${files[@]}"
  echo "format.sh: formatted ${#files[@]} files"
fi
