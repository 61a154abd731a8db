#!/usr/bin/env bash
# Cross-builds modhost for a foreign architecture with Debian's toolchains and runs test suites
# under qemu-user:  scripts/qemu-test.sh aarch64|armhf|s390x [suite...]   (default: every suite)
#
# Needs: qemu-user and g++-aarch64-linux-gnu / g++-arm-linux-gnueabihf / g++-s390x-linux-gnu.
# The tests spawn foreign binaries of their own (the helper child, the tool), which the kernel
# runs through qemu only with a binfmt_misc handler: the script registers one for the arch when
# none is (that needs root, as in CI). Limits of qemu-user itself are detected by the tests at run
# time and reported as skips (docs/portability.md lists them).
set -euo pipefail
cd "$(dirname "$0")/.."

arch=${1:?usage: scripts/qemu-test.sh aarch64|armhf|s390x [suite...]}
shift
# The ELF header patterns are those qemu's own binfmt configuration uses for each machine.
case "$arch" in
  aarch64) triple=aarch64-linux-gnu qemu=aarch64
    magic='\x7fELF\x02\x01\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x02\x00\xb7\x00'
    mask='\xff\xff\xff\xff\xff\xff\xff\x00\xff\xff\xff\xff\xff\xff\xff\xff\xfe\xff\xff\xff' ;;
  armhf) triple=arm-linux-gnueabihf qemu=arm
    magic='\x7fELF\x01\x01\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x02\x00\x28\x00'
    mask='\xff\xff\xff\xff\xff\xff\xff\x00\xff\xff\xff\xff\xff\xff\xff\xff\xfe\xff\xff\xff' ;;
  s390x) triple=s390x-linux-gnu qemu=s390x
    magic='\x7fELF\x02\x02\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x02\x00\x16'
    mask='\xff\xff\xff\xff\xff\xff\xff\x00\xff\xff\xff\xff\xff\xff\xff\xff\xff\xfe\xff\xff' ;;
  *) echo "unknown arch '$arch' (aarch64, armhf or s390x)" >&2; exit 2 ;;
esac
suites=("$@")
[ ${#suites[@]} -gt 0 ] || suites=(core process backend cli)

command -v "qemu-$qemu" >/dev/null || { echo "qemu-$qemu not found (apt-get install qemu-user)" >&2; exit 2; }
command -v "$triple-g++" >/dev/null || { echo "$triple-g++ not found" >&2; exit 2; }

binfmt=/proc/sys/fs/binfmt_misc
if [ ! -e "$binfmt/register" ]; then
  mount -t binfmt_misc binfmt_misc "$binfmt" 2>/dev/null || true
fi
if ! grep -qs '^enabled' "$binfmt/qemu-$qemu"; then
  # Registered by hand when no package did: the handler's own name, magic and mask, the
  # interpreter, no flags (argv[0] becomes the program's full path, which the tests accept).
  if ! printf '%s' ":qemu-$qemu:M::$magic:$mask:$(command -v "qemu-$qemu"):" > "$binfmt/register"; then
    echo "cannot register a binfmt_misc handler for $arch (needs root); children cannot run" >&2
    exit 2
  fi
fi
build=build-$arch
# Linked statically: a child started with a cleared environment would not see QEMU_LD_PREFIX, so
# qemu could not find the target's dynamic loader for it.
# Only what the chosen suites need: their binaries, the helper programs, and the tool for "cli".
targets=("$build/modhost_test_child" "$build/line_writer")
for suite in "${suites[@]}"; do targets+=("$build/test_$suite"); done
[[ " ${suites[*]} " == *" cli "* ]] && targets+=("$build/modhost")
make -j"$(nproc)" "${targets[@]}" CROSS="$triple-" BUILD="$build" EXTRA_LDFLAGS=-static

rc=0
for suite in "${suites[@]}"; do
  echo "== $arch: test_$suite"
  "$build/test_$suite" || rc=1
done
exit $rc
