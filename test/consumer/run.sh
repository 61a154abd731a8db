#!/usr/bin/env bash
# Builds test/consumer/main.cpp against modhost through each integration path a user has:
# 1. as a Meson subproject (dependency('modhost')), tests, benchmarks and the tool not built;
# 2. vendored: the folders copied into the consumer's tree, one compiler command, no configure.
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
# The one command a vendoring user writes: the portable sources and one platform folder.
c++ -std=c++17 -Wall -Wextra -Wpedantic -Werror -I"$v/include" -I"$v/src" \
  "$here/main.cpp" "$v"/src/*.cpp "$v"/src/backend/*.cpp "$v"/platform/posix/*.cpp \
  -pthread -o "$work/vendor/consumer"
"$work/vendor/consumer"
