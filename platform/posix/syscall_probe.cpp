// Run-time probes of system calls (see syscall_probe.hpp). Each probe makes one harmless call
// whose arguments a kernel that has the call rejects or ignores in a known way, so the answer
// tells "exists and allowed" apart from ENOSYS (old kernel) and EPERM (a seccomp filter).

#include "syscall_probe.hpp"

#include <errno.h>
#include <fcntl.h>
#include <sys/syscall.h>
#include <unistd.h>

namespace modhost::detail {

bool close_range_usable() noexcept {
#if defined(__linux__) && defined(SYS_close_range)
  // first = last = ~0U names no open fd: the kernel returns 0 without closing anything.
  static const bool usable = ::syscall(SYS_close_range, ~0U, ~0U, 0u) == 0;
  return usable;
#else
  return false;
#endif
}

bool clone3_refused() noexcept {
#if defined(__linux__) && defined(SYS_clone3)
  // A NULL argument block of size 0 is below the smallest version: a kernel with clone3 answers
  // EINVAL before creating anything.
  long r = ::syscall(SYS_clone3, nullptr, 0ul);
  return r < 0 && errno != EINVAL && errno != ENOSYS;
#else
  return false;
#endif
}

bool proc_fd_listable() noexcept {
  int fd = ::open("/proc/self/fd", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return false;
  ::close(fd);
  return true;
}

bool posix_spawn_unusable_here() noexcept {
#if defined(__GLIBC__)
  return !close_range_usable() && !proc_fd_listable();
#else
  return false;
#endif
}

}  // namespace modhost::detail
