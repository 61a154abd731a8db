// Linux pidfds (see pidfd.hpp). glibc 2.36 has no wrappers for these, so the system calls and the
// one ioctl structure are used directly; elsewhere every function reports "not available".

#include "pidfd.hpp"

#include <errno.h>
#include <string.h>
#include <unistd.h>

#if defined(__linux__)
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#endif

#include <cstdint>

#include "fd_util.hpp"

namespace modhost::detail {

namespace {

#if defined(__linux__)
// struct pidfd_info of <linux/pidfd.h>, version 0 (64 bytes, Linux 6.13; exit_code from 6.15). The
// kernel sizes the copy from the ioctl number, so this fixed layout stays valid as it grows.
struct PidfdInfo {
  std::uint64_t mask;
  std::uint64_t cgroupid;
  std::uint32_t pid, tgid, ppid, ruid, rgid, euid, egid, suid, sgid, fsuid, fsgid;
  std::int32_t exit_code;  // A wait status, as waitpid() reports it.
};
static_assert(sizeof(PidfdInfo) == 64, "PIDFD_INFO_SIZE_VER0");
constexpr unsigned long kPidfdGetInfo = _IOWR(0xFF, 11, PidfdInfo);
constexpr std::uint64_t kPidfdInfoExit = 1u << 3;
#endif

}  // namespace

int open_pidfd(pid_t pid) noexcept {
#if defined(__linux__) && defined(SYS_pidfd_open)
  long fd = ::syscall(SYS_pidfd_open, pid, 0u);
  if (fd < 0) return -1;
  return above_stdio(static_cast<int>(fd));
#else
  (void)pid;
  errno = ENOSYS;
  return -1;
#endif
}

bool pidfds_supported() noexcept {
  // Opening a pidfd for ourselves tells whether the call exists and is allowed. EMFILE would be a
  // passing shortage, not a missing feature: it counts as supported (the spawn then reports it).
  static const bool supported = [] {
    int fd = open_pidfd(::getpid());
    if (fd >= 0) {
      ::close(fd);
      return true;
    }
    return errno == EMFILE || errno == ENFILE || errno == ENOMEM;
  }();
  return supported;
}

bool pidfd_exit_status(int pidfd, ExitStatus& status) noexcept {
#if defined(__linux__)
  if (pidfd < 0) return false;
  PidfdInfo info;
  memset(&info, 0, sizeof info);
  info.mask = kPidfdInfoExit;
  if (::ioctl(pidfd, kPidfdGetInfo, &info) != 0 || (info.mask & kPidfdInfoExit) == 0) return false;
  int ws = info.exit_code;
  if (WIFEXITED(ws)) {
    status = ExitStatus::exited(WEXITSTATUS(ws));
  } else if (WIFSIGNALED(ws)) {
    status = ExitStatus::signaled(WTERMSIG(ws));
  } else {
    return false;
  }
  return true;
#else
  (void)pidfd;
  (void)status;
  return false;
#endif
}

}  // namespace modhost::detail
