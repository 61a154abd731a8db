#!/usr/bin/env bash
# Measures what a Procfile runner costs while it supervises idle processes: the runner's own
# process tree (every process but the `sleep` children themselves), as RSS and PSS in KiB, its
# thread count, and the CPU time it uses in 10 s of idleness. Produces the README's footprint table.
#
#   scripts/footprint.sh [RUNNER...]    RUNNER: modhost (build/modhost), foreman, honcho
#
# MODHOST=path measures another modhost binary (a static or MINSIZE build, say).
#
# A runner that is not installed is reported as such. Linux only (reads /proc).
set -u
cd "$(dirname "$0")/.."
root=$(pwd)
runners=("$@")
[ ${#runners[@]} -gt 0 ] || runners=(modhost foreman honcho)
idle_seconds=${IDLE_SECONDS:-10}
hz=$(getconf CLK_TCK)
modhost=$(realpath "${MODHOST:-build/modhost}" 2>/dev/null || echo build/modhost)

# Every descendant of $1 (its children, theirs, ...), one pid per line.
descendants() {
  local kids
  kids=$(cat /proc/"$1"/task/*/children 2>/dev/null)
  for k in $kids; do echo "$k"; descendants "$k"; done
}

# The runner's tree minus the sleeps: "$1" and its descendants whose command is not sleep.
tree_without_sleeps() {
  echo "$1"
  for p in $(descendants "$1"); do
    [ "$(cat /proc/"$p"/comm 2>/dev/null)" = sleep ] || echo "$p"
  done
}

sum_field() {  # sum_field FIELD PID... : adds up FIELD (kB) of smaps_rollup over the pids
  local f=$1 total=0 v; shift
  for p in "$@"; do
    v=$(awk -v f="$f:" '$1 == f {print $2}' /proc/"$p"/smaps_rollup 2>/dev/null)
    total=$((total + ${v:-0}))
  done
  echo "$total"
}

cpu_ticks() {  # utime+stime of the pids (fields 14 and 15 of /proc/PID/stat)
  local total=0 p
  for p in "$@"; do
    total=$((total + $(awk '{sub(/.*\) /, ""); print $12 + $13}' /proc/"$p"/stat 2>/dev/null || echo 0)))
  done
  echo "$total"
}

measure() {  # measure RUNNER N
  local runner=$1 n=$2 dir pid i cmd sleeps t0 t1 pids threads
  dir=$(mktemp -d)
  for i in $(seq 1 "$n"); do echo "p$i: exec sleep 1000" >> "$dir/Procfile"; done
  case $runner in
    modhost) cmd=("$modhost" start -f "$dir/Procfile") ;;
    foreman) cmd=(foreman start -f "$dir/Procfile") ;;
    honcho)  cmd=(honcho -f "$dir/Procfile" start) ;;
  esac
  (cd "$dir" && exec "${cmd[@]}" >/dev/null 2>&1) &
  pid=$!
  # Wait (up to 60 s) for all N sleeps to be running under the runner.
  for i in $(seq 1 600); do
    sleeps=0
    for p in $(descendants "$pid"); do
      [ "$(cat /proc/"$p"/comm 2>/dev/null)" = sleep ] && sleeps=$((sleeps + 1))
    done
    [ "$sleeps" -ge "$n" ] && break
    sleep 0.1
  done
  if [ "$sleeps" -lt "$n" ]; then
    echo "| $runner | $n | only $sleeps of $n started | | | |"
  else
    mapfile -t pids < <(tree_without_sleeps "$pid")
    t0=$(cpu_ticks "${pids[@]}")
    sleep "$idle_seconds"
    t1=$(cpu_ticks "${pids[@]}")
    threads=$(awk '/^Threads:/ {print $2}' /proc/"$pid"/status)
    printf '| %s | %d | %d | %d KiB | %d KiB | %d threads | %d ms |\n' "$runner" "$n" \
      "${#pids[@]}" "$(sum_field Rss "${pids[@]}")" "$(sum_field Pss "${pids[@]}")" "$threads" \
      $(((t1 - t0) * 1000 / hz))
  fi
  local started
  started=$(descendants "$pid")
  kill -TERM "$pid" 2>/dev/null
  wait "$pid" 2>/dev/null
  # A runner that stops badly may leave its sleeps behind; those are ours to remove.
  for p in $started; do
    [ "$(cat /proc/"$p"/comm 2>/dev/null)" = sleep ] && kill -KILL "$p" 2>/dev/null
  done
  rm -rf "$dir"
}

echo "| runner | children | processes besides the children | RSS | PSS | runner's threads | CPU in ${idle_seconds} s idle |"
echo "|---|---|---|---|---|---|---|"
for r in "${runners[@]}"; do
  case $r in
    modhost) [ -x "$modhost" ] || { echo "| modhost | $modhost missing: run make |"; continue; } ;;
    *) command -v "$r" >/dev/null 2>&1 || { echo "| $r | not installed |"; continue; } ;;
  esac
  for n in 10 100; do measure "$r" "$n"; done
done
