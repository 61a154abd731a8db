#!/bin/sh
# Runs one test suite for `make test`:  scripts/run-suite.sh LOGDIR NAME COMMAND [ARG...]
#
# `make -jN test` runs N suites at once, and their output, interleaved, would be unreadable. So
# the command's output goes to LOGDIR/NAME.log, its result to LOGDIR/NAME.status ("passed" or
# "failed", read by the Makefile's `test` target), and one report is printed when it is over:
# the whole log when the command failed, else the log from GoogleTest's final summary on (the
# "[  PASSED  ] N tests." line that .ci/run adds up, and any skipped tests), or the whole log of a
# command that is not a GoogleTest suite. Always exits 0, so
# that make goes on with the other suites; `make test` fails afterwards if one did.
logdir=$1
name=$2
shift 2
log="$logdir/$name.log"
mkdir -p "$logdir"
start=$(date +%s)
if "$@" >"$log" 2>&1; then status=passed; else status=failed; fi
echo "$status" >"$logdir/$name.status"
elapsed=$(($(date +%s) - start))

report="$logdir/$name.report"
{
  if [ "$status" = passed ]; then
    echo "== $name: passed in $elapsed s (log: $log)"
    summary='^\[==========\] [0-9]* tests\{0,1\} from .* ran\.'
    if grep -q "$summary" "$log"; then sed -n "/$summary/,\$p" "$log"; else cat "$log"; fi
  else
    echo "== $name: FAILED in $elapsed s: $*"
    cat "$log"
    echo "== $name: FAILED (log: $log)"
  fi
} >"$report"
# One report at a time, where flock(1) exists: two suites ending together do not mix their lines.
if command -v flock >/dev/null 2>&1; then
  flock "$logdir/.print-lock" cat "$report"
else
  cat "$report"
fi
exit 0
