#!/usr/bin/env bash
# The Debian packages, built by scripts/package.sh, inspected and installed into a scratch
# root (dpkg -x; no maintainer scripts run, nothing touches the system):
#   - names, dependencies (dpkg-shlibdeps, and libcurl4 and libssl3, loaded at run time),
#     conffiles, maintainer scripts, copyright (MIT);
#   - the installed `cachecluster version` and `check-config` on the installed config;
#   - the system user from the installed sysusers.d file (systemd-sysusers --root);
#   - the unit: systemd-analyze verify without a warning, and its exposure score;
#   - libpeerlib-dev: a consumer built against the scratch root, with find_package
#     (the shared library) and with pkg-config.
#
#   tests/package/run_package_test.sh BUILD_DIR [package.sh options...]
# BUILD_DIR is package.sh's build directory; the test's files go in BUILD_DIR/package-test.
set -euo pipefail

root_src=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
build=${1:?usage: run_package_test.sh BUILD_DIR [package.sh options]}
shift
mkdir -p "$build"
build=$(cd "$build" && pwd)
work=$build/package-test
rm -rf "$work" && mkdir -p "$work"

fail() {
  echo "FAIL: $*" >&2
  exit 1
}
check_contains() {  # check_contains WHAT TEXT NEEDLE
  grep -qF -- "$3" <<<"$2" || fail "$1 lacks '$3':"$'\n'"$2"
}

"$root_src/scripts/package.sh" --no-install --build-dir "$build" --out "$work/debs" "$@" \
  >"$work/package.log" 2>&1 || { cat "$work/package.log" >&2; fail "scripts/package.sh"; }
version=$(sed -n 's/^project(cachecluster VERSION \([0-9.]*\).*/\1/p' "$root_src/CMakeLists.txt")
[[ -n $version ]] || fail "no version in CMakeLists.txt"
deb_cc=$work/debs/cachecluster_${version}-1_amd64.deb
deb_lib=$work/debs/libpeerlib0_${version}-1_amd64.deb
deb_dev=$work/debs/libpeerlib-dev_${version}-1_amd64.deb
arch=$(dpkg --print-architecture)
deb_cc=${deb_cc/amd64/$arch} deb_lib=${deb_lib/amd64/$arch} deb_dev=${deb_dev/amd64/$arch}
for d in "$deb_cc" "$deb_lib" "$deb_dev"; do
  [[ -f $d ]] || fail "missing $d (have: $(ls "$work/debs"))"
  printf '%s\t%s bytes\n' "$(basename "$d")" "$(stat -c %s "$d")"
done

# ---- control data ----
f=$(dpkg-deb -f "$deb_cc")
check_contains "cachecluster control" "$f" "Package: cachecluster"
check_contains "cachecluster control" "$f" "Version: ${version}-1"
for dep in libc6 "libcurl4 (>= 7.85.0)" "libssl3 (>= 3.0.0)" libstdc++6; do
  check_contains "cachecluster Depends" "$(dpkg-deb -f "$deb_cc" Depends)" "$dep"
done
# sd_notify without libsystemd (agent/notify_socket).
if grep -q libsystemd <<<"$(dpkg-deb -f "$deb_cc" Depends)"; then
  fail "cachecluster Depends on libsystemd: $(dpkg-deb -f "$deb_cc" Depends)"
fi
check_contains "libpeerlib-dev Depends" "$(dpkg-deb -f "$deb_dev" Depends)" \
  "libpeerlib0 (= ${version}-1)"
ctl=$work/control
rm -rf "$ctl" && dpkg-deb -e "$deb_cc" "$ctl"
[[ $(cat "$ctl/conffiles") == /etc/cachecluster/cachecluster.ini ]] ||
  fail "conffiles: $(cat "$ctl/conffiles")"
for s in postinst prerm postrm; do
  [[ -x $ctl/$s ]] || fail "maintainer script $s missing or not executable"
  sh -n "$ctl/$s" || fail "$s: syntax"
done
check_contains postinst "$(cat "$ctl/postinst")" "systemd-sysusers cachecluster.conf"
check_contains postinst "$(cat "$ctl/postinst")" "deb-systemd-helper"
rm -rf "$ctl" && dpkg-deb -e "$deb_lib" "$ctl"
check_contains "libpeerlib0 shlibs" "$(cat "$ctl/shlibs")" "libpeerlib 0 libpeerlib0"

# ---- files ----
list=$(dpkg-deb -c "$deb_cc")
for p in ./usr/bin/cachecluster ./etc/cachecluster/cachecluster.ini \
         ./usr/lib/systemd/system/cachecluster.service ./usr/lib/sysusers.d/cachecluster.conf \
         ./usr/share/doc/cachecluster/copyright ./usr/share/doc/cachecluster/deploy-gce.md; do
  check_contains "cachecluster files" "$list" "$p"
done
check_contains "config mode" "$(grep cachecluster.ini <<<"$list")" "-rw-r-----"
list=$(dpkg-deb -c "$deb_dev")
for p in ./usr/include/peerlib/client.hpp ./usr/include/peerlib/version.hpp \
         "/libpeerlib.a" "/libpeerlib.so -> libpeerlib.so.0" "/pkgconfig/peerlib.pc" \
         "/cmake/peerlib/peerlibConfig.cmake" ./usr/share/doc/libpeerlib-dev/copyright; do
  check_contains "libpeerlib-dev files" "$list" "$p"
done
check_contains "libpeerlib0 files" "$(dpkg-deb -c "$deb_lib")" "/libpeerlib.so.0 -> libpeerlib.so.${version}"

# ---- install into a scratch root ----
root=$work/root
rm -rf "$root" && mkdir -p "$root"
for d in "$deb_cc" "$deb_lib" "$deb_dev"; do dpkg -x "$d" "$root"; done
copyright=$(cat "$root/usr/share/doc/cachecluster/copyright")
check_contains copyright "$copyright" "License: MIT"
check_contains copyright "$copyright" " Copyright (c) 2026 The cachecluster authors"
check_contains copyright "$copyright" " Permission is hereby granted, free of charge"
cmp -s "$root/usr/share/doc/cachecluster/copyright" "$root/usr/share/doc/libpeerlib0/copyright" ||
  fail "the packages' copyright files differ"

# libcurl and libcrypto are loaded at run time (declared in Depends above), never linked.
if readelf -d "$root/usr/bin/cachecluster" | grep -qE 'NEEDED.*(libcurl|libcrypto)'; then
  fail "the agent links libcurl: $(readelf -d "$root/usr/bin/cachecluster" | grep NEEDED)"
fi
out=$("$root/usr/bin/cachecluster" version)
[[ $out == "cachecluster $version" ]] || fail "version printed '$out'"
out=$("$root/usr/bin/cachecluster" check-config --config "$root/etc/cachecluster/cachecluster.ini" 2>&1) ||
  fail "check-config on the installed config:"$'\n'"$out"
check_contains check-config "$out" "cachecluster.ini: OK"
echo "installed: $("$root/usr/bin/cachecluster" version); check-config OK"

# The system user, as postinst creates it (sysusers.d), in the scratch root's passwd.
if command -v systemd-sysusers >/dev/null 2>&1; then
  mkdir -p "$root/etc"
  systemd-sysusers --root="$root" "$root/usr/lib/sysusers.d/cachecluster.conf" >/dev/null 2>&1 ||
    fail "systemd-sysusers"
  grep -q '^cachecluster:x:[0-9]*:[0-9]*:cachecluster agent:/nonexistent:/usr/sbin/nologin$' \
    "$root/etc/passwd" || fail "no cachecluster user: $(cat "$root/etc/passwd")"
fi

# The unit, with ExecStart pointing at the scratch binary: no warning from verify.
if command -v systemd-analyze >/dev/null 2>&1; then
  unit_dir=$work/unit
  rm -rf "$unit_dir" && mkdir -p "$unit_dir"
  sed "s|/usr/bin/cachecluster|$root/usr/bin/cachecluster|g" \
    "$root/usr/lib/systemd/system/cachecluster.service" >"$unit_dir/cachecluster.service"
  out=$(systemd-analyze verify --man=no "$unit_dir/cachecluster.service" 2>&1) ||
    fail "systemd-analyze verify:"$'\n'"$out"
  [[ -z $out ]] || fail "systemd-analyze verify warns:"$'\n'"$out"
  check_contains unit "$(cat "$unit_dir/cachecluster.service")" "Type=notify"
  score=$(systemd-analyze security --offline=yes "$unit_dir/cachecluster.service" 2>&1 |
    sed -n 's/.*Overall exposure level for cachecluster.service: \([0-9.]*\).*/\1/p')
  [[ -n $score ]] || fail "no exposure level from systemd-analyze security"
  awk -v s="$score" 'BEGIN { exit !(s <= 2.5) }' || fail "exposure level $score > 2.5"
  echo "unit: verify clean, exposure level $score"
fi

# libpeerlib-dev: the consumer of tests/install, built against the scratch root.
libdir=$(dirname "$(find "$root/usr/lib" -name libpeerlib.so.0 | head -1)")
if ! { cmake -S "$root_src/tests/install/consumer" -B "$work/consumer" -DCMAKE_BUILD_TYPE=Release \
         -DCMAKE_PREFIX_PATH="$root/usr" && cmake --build "$work/consumer"; } >"$work/consumer.log" 2>&1; then
  cat "$work/consumer.log" >&2
  fail "consumer with find_package(peerlib)"
fi
LD_LIBRARY_PATH=$libdir "$work/consumer/consumer" || fail "consumer (find_package) failed"
readelf -d "$work/consumer/consumer" | grep -q 'NEEDED.*\[libpeerlib\.so\.0\]' ||
  fail "the find_package consumer does not use libpeerlib.so.0"
flags=$(PKG_CONFIG_PATH=$libdir/pkgconfig pkg-config --cflags --libs peerlib)
# shellcheck disable=SC2086  # pkg-config's flags are words
c++ -std=c++17 "$root_src/tests/install/consumer/main.cpp" $flags -pthread -o "$work/consumer_pc"
LD_LIBRARY_PATH=$libdir "$work/consumer_pc" || fail "consumer (pkg-config) failed"
echo "package test: OK"
