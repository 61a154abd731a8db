#!/bin/sh
# Runs each API example and checks it:  scripts/check-examples.sh EXPECTED_DIR PROGRAM...
#
# A program passes when it exits with 0 and its stdout is exactly EXPECTED_DIR/<name>.expected
# (<name> is the program's file name without .exe). Its stderr is shown only when it fails. Used
# by `make test` and by Meson's `examples` test; exits non-zero if any example failed.
expected_dir=$1
shift
tmp=$(mktemp -d) || exit 2
trap 'rm -rf "$tmp"' EXIT
failed=0
for program in "$@"; do
  name=$(basename "$program" .exe)
  expected="$expected_dir/$name.expected"
  "$program" >"$tmp/out" 2>"$tmp/err"
  rc=$?
  if [ $rc -eq 0 ] && cmp -s "$expected" "$tmp/out"; then
    echo "example $name: ok"
  else
    failed=1
    echo "example $name: FAILED (exit $rc); stdout against $expected:"
    diff -u "$expected" "$tmp/out"
    echo "stderr:"
    cat "$tmp/err"
  fi
done
exit $failed
