#pragma once
// Internal to platform/posix/: Linux process file descriptors (pidfds), the exit handles of the
// POSIX platform. Everything here reports ENOSYS (or false) where the kernel or the OS has none,
// which is what selects the SIGCHLD self-pipe path.

#include <sys/types.h>

#include "modhost/child_process.hpp"

namespace modhost::detail {

// True when this kernel has pidfd_open (Linux >= 5.3, and no seccomp filter refusing it). Probed
// once, on first use; thread-safe.
bool pidfds_supported() noexcept;

// pidfd_open(pid): a close-on-exec descriptor at 3 or above that turns readable when `pid` exits,
// or -1 with errno set.
int open_pidfd(pid_t pid) noexcept;

// The exit status of the (already reaped) process behind `pidfd` from the kernel's own record
// (PIDFD_GET_INFO with PIDFD_INFO_EXIT, Linux >= 6.15): the status of a child the kernel reaped
// for a host that ignores SIGCHLD. False when the kernel keeps no such record.
bool pidfd_exit_status(int pidfd, ExitStatus& status) noexcept;

}  // namespace modhost::detail
