#pragma once
// Internal to platform/posix/: run-time probes of the Linux system calls that the spawn paths
// depend on indirectly (through glibc) and that an old kernel lacks or a sandbox refuses. A
// seccomp filter may answer ENOSYS or EPERM for a call the kernel has; both mean "not usable".

namespace modhost::detail {

// True when close_range(2) works here (Linux >= 5.9, not refused). Probed once; thread-safe.
bool close_range_usable() noexcept;

// True when clone3(2) is refused with something other than ENOSYS (older container seccomp
// profiles answer EPERM). glibc falls back to clone(2) only on ENOSYS, so its posix_spawn fails
// then, while fork() (plain clone) still works. Asked again on each call (a filter may be
// installed at any time), so call it only after a posix_spawn failed with EPERM.
bool clone3_refused() noexcept;

// True when /proc/self/fd can be opened now (no /proc in minimal containers or early boot).
bool proc_fd_listable() noexcept;

// True when glibc's posix_spawn() cannot close the inherited fds here: neither close_range nor
// /proc/self/fd is available (its closefrom file action fails, and the failure is reported as
// the program's). The fork path has a last-resort loop for that.
bool posix_spawn_unusable_here() noexcept;

// True when posix_spawn() reports an exec failure as its own error, as glibc does by running the
// child with CLONE_VFORK and shared memory. An emulator that runs the vfork-style child as a
// plain fork (qemu-user) returns success and lets the child exit 127 instead; then the fork
// path, which reports exec failures over a pipe, is used. Probed once, on first use, by spawning
// a program that cannot exist (a probe that cannot start, e.g. EAGAIN, answers true and is tried
// again next time); thread-safe.
bool posix_spawn_reports_exec_errors() noexcept;

}  // namespace modhost::detail
