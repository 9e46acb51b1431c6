#!/usr/bin/env bash
# Regenerate tests/golden/groupcache_vectors.json with golang/groupcache itself
# (Debian: golang-go, golang-github-golang-groupcache-dev; scripts/install-deps.sh).
# Offline: GOPATH is Debian's source tree, modules and the proxy are off.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
out=${1:-$root/tests/golden/groupcache_vectors.json}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
GOPATH=/usr/share/gocode GO111MODULE=off GOPROXY=off GOFLAGS= GOCACHE="$tmp/cache" \
  go run "$root/scripts/groupcache_vectors/main.go" >"$tmp/out.json"
mv "$tmp/out.json" "$out"
echo "wrote $out"
