#!/usr/bin/env bash
# Size benchmark: libmodhost.a, the tool (dynamic and static), and a minimal static host using
# ChildProcess only (test/size/host.cpp) against a static baseline using the same standard-library
# parts (test/size/baseline.cpp), each at -O2 and with MINSIZE=1 (-Os, sections, --gc-sections),
# stripped. Usage: scripts/size-report.sh [CROSS-prefix]   e.g. aarch64-linux-gnu-
# Prints a Markdown table; docs/benchmarks.md keeps the figures.
set -euo pipefail
cd "$(dirname "$0")/.."
cross=${1:-}
cxx=${cross}g++
strip=${cross}strip
machine=$($cxx -dumpmachine)
jobs=$(nproc)

size_of() { stat -c %s "$1"; }
kb() { awk -v b="$1" 'BEGIN { printf "%.0f KB", b / 1024 }'; }

echo "| $machine | -O2 | MINSIZE=1 |"
echo "|---|---|---|"
declare -A row
for variant in o2 min; do
  build=build-size-$machine-$variant
  knobs=(CROSS="$cross" BUILD="$build")
  flags=(-O2)
  ldflags=()
  if [ $variant = min ]; then
    knobs+=(MINSIZE=1)
    flags=(-Os -ffunction-sections -fdata-sections)
    ldflags=(-Wl,--gc-sections)
  fi
  make -s -j"$jobs" lib tool "${knobs[@]}" OPT="${flags[0]}" >/dev/null
  cli_objs=$(find "$build/obj/src/cli" "$build/obj/platform/posix/cli" -name '*.o' | sort)
  $cxx $cli_objs "$build/libmodhost.a" -pthread -static "${ldflags[@]}" -o "$build/modhost-static"
  for prog in host baseline; do
    $cxx -std=c++17 "${flags[@]}" -D_TIME_BITS=64 -D_FILE_OFFSET_BITS=64 -Iinclude \
      "test/size/$prog.cpp" $([ $prog = host ] && echo "$build/libmodhost.a") \
      -pthread -static "${ldflags[@]}" -o "$build/size-$prog"
  done
  for f in modhost modhost-static size-host size-baseline; do $strip "$build/$f"; done
  row[lib,$variant]=$(size_of "$build/libmodhost.a")
  row[tool,$variant]=$(size_of "$build/modhost")
  row[static,$variant]=$(size_of "$build/modhost-static")
  row[host,$variant]=$(size_of "$build/size-host")
  row[base,$variant]=$(size_of "$build/size-baseline")
done
echo "| libmodhost.a (not stripped) | $(kb "${row[lib,o2]}") | $(kb "${row[lib,min]}") |"
echo "| modhost tool, dynamic | $(kb "${row[tool,o2]}") | $(kb "${row[tool,min]}") |"
echo "| modhost tool, static | $(kb "${row[static,o2]}") | $(kb "${row[static,min]}") |"
echo "| minimal static host (ChildProcess) | $(kb "${row[host,o2]}") | $(kb "${row[host,min]}") |"
echo "| static baseline (same std parts) | $(kb "${row[base,o2]}") | $(kb "${row[base,min]}") |"
echo "| **added by modhost** | $(kb $((row[host,o2] - row[base,o2]))) | $(kb $((row[host,min] - row[base,min]))) |"
