#!/usr/bin/env bash
# Builds test/consumer/main.cpp against modhost through each integration path a user has, and
# runs it:
# 1. as a Meson subproject (dependency('modhost')), tests, benchmarks and the tool not built;
# 2. vendored: the folders copied into the consumer's tree, compiled with the one command
#    `make print-vendor-sources` prints (generated from the same source lists as the builds);
# 3. installed by `make install` (PREFIX and DESTDIR) and found through pkg-config;
# 4. installed by `meson install` and found through pkg-config.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

echo "-- Meson subproject"
cp -r "$here/meson" "$work/meson"
cp "$here/main.cpp" "$work/main.cpp"
mkdir -p "$work/meson/subprojects"
# A copy of the tracked files, as a subproject checkout would be (no build dirs).
mkdir -p "$work/meson/subprojects/modhost"
(cd "$root" && git ls-files -z | xargs -0 cp --parents -t "$work/meson/subprojects/modhost")
meson setup "$work/meson/build" "$work/meson" >/dev/null
ninja -C "$work/meson/build"
if [ -e "$work/meson/build/subprojects/modhost/test_core" ]; then
  echo "error: the subproject built its tests" >&2; exit 1
fi
meson test -C "$work/meson/build" --print-errorlogs

echo "-- plain vendoring"
v="$work/vendor/third_party/modhost"
mkdir -p "$v"
cp -r "$root/include" "$root/src" "$root/platform" "$v/"
# The command the README tells a vendoring user to get, with the consumer's own file added.
vendor_cmd=$(make -s -C "$root" print-vendor-sources VENDOR_DIR="$v")
echo "$vendor_cmd"
$vendor_cmd -Wall -Wextra -Wpedantic -Werror "$here/main.cpp" -o "$work/vendor/consumer"
# A host's own headers, on a later -I of the same command line, with the generic names internal
# headers tend to have: each must be the host's, never one of modhost's.
own="$work/vendor/own"
mkdir -p "$own"
for name in platform process_state spawn_support cancellation_internal text strings \
    log_level_internal log_level_words level_text level_fast; do
  echo "#define OWN_${name} 1" > "$own/$name.hpp"
  printf '#include "%s.hpp"\n#ifndef OWN_%s\n#error "%s.hpp is not the host own one"\n#endif\n' \
    "$name" "$name" "$name" >> "$work/vendor/own.cpp"
done
# shellcheck disable=SC2046  # the -I words of the vendoring command, as they are
c++ -std=c++17 -fsyntax-only $(printf '%s\n' $vendor_cmd | grep '^-I') -I"$own" "$work/vendor/own.cpp"
echo "a host's own platform.hpp, process_state.hpp, ... win over modhost's: ok"
"$work/vendor/consumer"

jobs=$(nproc 2>/dev/null || echo 2)
# pkg_consumer NAME PKG_CONFIG_PATH: builds and runs the consumer with the flags pkg-config gives.
pkg_consumer() {
  local flags
  flags=$(PKG_CONFIG_PATH="$2" pkg-config --cflags --libs modhost)
  echo "pkg-config --cflags --libs modhost: $flags"
  # shellcheck disable=SC2086  # the flags are words
  c++ -std=c++17 -Wall -Wextra -Wpedantic -Werror "$here/main.cpp" $flags -o "$work/$1-consumer"
  "$work/$1-consumer"
}

echo "-- make install (PREFIX, DESTDIR), then pkg-config"
# Staged under DESTDIR as a package build does; PKG_CONFIG_SYSROOT_DIR makes pkg-config point
# into the stage, so what is checked is what a package would put under /opt/modhost.
make -s -C "$root" -j"$jobs" install BUILD="$work/make-build" PREFIX=/opt/modhost DESTDIR="$work/stage"
for f in include/modhost/child_process.hpp include/modhost/detail/line_splitter_impl.hpp \
         lib/libmodhost.a lib/pkgconfig/modhost.pc bin/modhost; do
  [ -f "$work/stage/opt/modhost/$f" ] || { echo "error: make install did not install $f" >&2; exit 1; }
done
PKG_CONFIG_SYSROOT_DIR="$work/stage" pkg_consumer make "$work/stage/opt/modhost/lib/pkgconfig"

echo "-- meson install, then pkg-config"
meson setup "$work/meson-build" "$root" --prefix="$work/meson-prefix" --libdir=lib \
  -Dtests=false -Dbenchmarks=false -Dtool=false >/dev/null
ninja -C "$work/meson-build" >/dev/null
meson install -C "$work/meson-build" >/dev/null
pkg_consumer meson "$work/meson-prefix/lib/pkgconfig"
