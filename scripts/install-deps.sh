#!/usr/bin/env bash
# Install the Debian 12 packages cachecluster needs to build and test.
#
#   scripts/install-deps.sh           build dependencies and test tools (default)
#   scripts/install-deps.sh --build   build dependencies only
#   scripts/install-deps.sh --check   report what is missing; install nothing (exit 1 if any)
#   scripts/install-deps.sh --list    print the package names and exit
#
# Idempotent: each package is checked with dpkg-query; when all are present the
# script does nothing (no apt-get update). Otherwise it runs `apt-get update`
# once and installs exactly the missing packages. Runs apt-get directly as
# root, through sudo otherwise.
set -euo pipefail

# Compilers, build tools and libraries (headers) for the build itself.
build_packages=(
  cmake ninja-build g++ pkg-config ccache
  libboost-dev libcurl4-openssl-dev nlohmann-json3-dev
  libspdlog-dev doctest-dev libcli11-dev libssl-dev
  libkainjow-mustache-dev
)
# Tools the tests call: serf (interop), Go + groupcache (hash vector
# generation), clang + its runtime (libFuzzer), iproute2/procps/curl
# (integration tests), util-linux's setpriv (integration tests that run the
# CLI as another uid; Essential in Debian, listed to say so), dpkg-dev and
# fakeroot (scripts/package.sh and the package test: dpkg-shlibdeps, cpack),
# memcached, nutcracker, nginx-light and haproxy (the rendered-file tests run
# them and their own config checks; the cache check's test stops and restarts
# memcached), yamllint and python3-yaml (the examples/kubernetes check).
test_packages=(
  serf golang-go golang-github-golang-groupcache-dev
  clang libclang-rt-14-dev
  iproute2 procps curl util-linux
  dpkg-dev fakeroot
  memcached nutcracker nginx-light haproxy
  yamllint python3-yaml
)

usage() { sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//'; }

mode=install
groups=all
for arg in "$@"; do
  case "$arg" in
    --build) groups=build ;;
    --check) mode=check ;;
    --list) mode=list ;;
    -h | --help) usage; exit 0 ;;
    *) echo "install-deps.sh: unknown option '$arg'" >&2; usage >&2; exit 64 ;;
  esac
done

packages=("${build_packages[@]}")
if [[ $groups == all ]]; then
  packages+=("${test_packages[@]}")
fi

if [[ $mode == list ]]; then
  printf '%s\n' "${packages[@]}"
  exit 0
fi

if ! command -v dpkg-query >/dev/null 2>&1; then
  echo "install-deps.sh: dpkg-query not found; this script supports Debian 12 only." >&2
  echo "Install these packages (or their equivalents) by hand: ${packages[*]}" >&2
  exit 1
fi

# A package counts as present only when dpkg says "install ok installed"
# (not "deinstall ok config-files" or half-installed states).
is_installed() {
  dpkg-query -W -f='${Status}\n' "$1" 2>/dev/null | grep -qx 'install ok installed'
}

missing=()
for pkg in "${packages[@]}"; do
  is_installed "$pkg" || missing+=("$pkg")
done

if [[ ${#missing[@]} -eq 0 ]]; then
  echo "install-deps.sh: all ${#packages[@]} packages present"
  exit 0
fi

echo "install-deps.sh: missing ${#missing[@]} of ${#packages[@]} packages: ${missing[*]}"
if [[ $mode == check ]]; then
  exit 1
fi

if ! command -v apt-get >/dev/null 2>&1; then
  echo "install-deps.sh: apt-get not found; install by hand: ${missing[*]}" >&2
  exit 1
fi

# Root runs apt-get directly; anyone else needs sudo.
as_root=()
if [[ $(id -u) -ne 0 ]]; then
  if command -v sudo >/dev/null 2>&1; then
    as_root=(sudo)
  else
    echo "install-deps.sh: not root and sudo is not installed." >&2
    echo "As root, run: apt-get update && apt-get install -y --no-install-recommends ${missing[*]}" >&2
    exit 1
  fi
fi

# env passes DEBIAN_FRONTEND through sudo, which resets the environment.
apt=("${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get)

echo "+ ${apt[*]} update"
if ! "${apt[@]}" update; then
  echo "install-deps.sh: 'apt-get update' failed (network, proxy or sources.list?)." >&2
  exit 1
fi
echo "+ ${apt[*]} install -y --no-install-recommends ${missing[*]}"
if ! "${apt[@]}" install -y --no-install-recommends "${missing[@]}"; then
  echo "install-deps.sh: 'apt-get install' failed for: ${missing[*]}" >&2
  echo "Check that the packages exist in your sources (Debian 12 'bookworm', main)." >&2
  exit 1
fi

# Verify: apt-get can succeed without installing a package it could not find
# under that exact name on some derivatives.
still_missing=()
for pkg in "${missing[@]}"; do
  is_installed "$pkg" || still_missing+=("$pkg")
done
if [[ ${#still_missing[@]} -gt 0 ]]; then
  echo "install-deps.sh: still missing after install: ${still_missing[*]}" >&2
  exit 1
fi
echo "install-deps.sh: installed ${missing[*]}"
