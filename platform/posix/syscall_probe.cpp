// Run-time probes of system calls (see syscall_probe.hpp). Each probe makes one harmless call
// whose arguments a kernel that has the call rejects or ignores in a known way, so the answer
// tells "exists and allowed" apart from ENOSYS (old kernel) and EPERM (a seccomp filter).

#include "syscall_probe.hpp"

#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>

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

bool posix_spawn_reports_exec_errors() noexcept {
  static std::atomic<int> known{-1};  // -1: not probed yet; 0: it does not report; 1: it does.
  int k = known.load(std::memory_order_acquire);
  if (k >= 0) return k == 1;
  static const char kNoSuchProgram[] = "/nonexistent-modhost-exec-probe/program";
  char* argv[] = {const_cast<char*>(kNoSuchProgram), nullptr};
  char* envp[] = {nullptr};
  pid_t pid = -1;
  int err = ::posix_spawn(&pid, kNoSuchProgram, nullptr, nullptr, argv, envp);
  if (err == 0) {
    // The child exists and exits 127 at once; it is ours to reap (by pid only, never -1).
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    known.store(0, std::memory_order_release);
    return false;
  }
  if (err != EAGAIN && err != ENOMEM) known.store(1, std::memory_order_release);
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
