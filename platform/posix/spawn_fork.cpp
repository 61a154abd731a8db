// The fallback spawn path: fork() + execve(), for what posix_spawn cannot express (Linux's
// PR_SET_PDEATHSIG) or a libc without the needed posix_spawn extensions.
//
// After fork() only async-signal-safe calls are made: the child of a multi-threaded parent may
// find any lock (malloc's included) held forever by a thread that does not exist in it. Everything
// (argv, envp, the resolved path) was built by the parent; the child only issues system calls. A
// failure is sent back as {stage, errno} over a close-on-exec pipe: exec closes the pipe on
// success, so the parent's read() returns 0 exactly when the program is running, and the error
// otherwise. That makes spawn() synchronous without any race on the child's state.

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#if defined(__linux__)
#include <sys/prctl.h>
#endif

#include <cstdint>

#include "fd_util.hpp"
#include "posix_process.hpp"

namespace modhost::detail {

namespace {

struct ChildFailure {
  int stage;  // Index into kStages.
  int error;  // errno.
};

constexpr const char* kStages[] = {"exec", "prctl(PR_SET_PDEATHSIG)", "setpgid", "dup2",
                                   "chdir", "close inherited fds"};
enum Stage { kExec, kPrctl, kSetpgid, kDup2, kChdir, kCloseFds };

[[noreturn]] void fail(int report_fd, Stage stage, int error) noexcept {
  ChildFailure failure{stage, error};
  ssize_t ignored = ::write(report_fd, &failure, sizeof failure);
  (void)ignored;
  ::_exit(127);
}

// The RLIMIT_NOFILE soft limit: no fd at or above it can be opened, so the last-resort close loop
// stops there. An unlimited or unreadable limit falls back to 1 << 20, Linux's default ceiling
// (fs.nr_open), which bounds the loop to a fraction of a second.
unsigned open_file_limit() noexcept {
  constexpr unsigned kCeiling = 1u << 20;
  struct rlimit rl;
  if (::getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur == RLIM_INFINITY) return kCeiling;
  return rl.rlim_cur < kCeiling ? static_cast<unsigned>(rl.rlim_cur) : kCeiling;
}

// Closes every fd below `limit` (the RLIMIT_NOFILE soft limit, read by the parent) one by one:
// the last resort, for a system without close_range(2) and without /proc mounted (a minimal
// container, early boot). Its cost follows the limit, not the number of open fds.
void close_fds_below_limit(unsigned first, unsigned last, unsigned limit) noexcept {
  for (unsigned fd = first; fd <= last && fd < limit; ++fd) ::close(static_cast<int>(fd));
}

// Closes every fd in [first, last]. close_range(2) (Linux 5.9) costs nothing per closed slot. The
// first fallback reads /proc/self/fd with the raw getdents64 system call into a stack buffer (no
// opendir: it allocates), so its cost follows the number of open fds, not RLIMIT_NOFILE; without
// /proc, the loop up to `limit`.
bool close_fds(unsigned first, unsigned last, unsigned limit) noexcept {
  if (first > last) return true;
#if defined(__linux__) && defined(SYS_close_range)
  if (::syscall(SYS_close_range, first, last, 0) == 0) return true;
#endif
#if defined(__linux__) && defined(SYS_getdents64)
  int dir = ::open("/proc/self/fd", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir < 0) {
    close_fds_below_limit(first, last, limit);
    return true;
  }
  alignas(8) char buf[2048];
  bool closed_any = true;
  // Closing while reading a directory may skip entries, so read it again until a pass closes none.
  while (closed_any) {
    closed_any = false;
    if (::lseek(dir, 0, SEEK_SET) != 0) break;
    for (;;) {
      long n = ::syscall(SYS_getdents64, dir, buf, sizeof buf);
      if (n <= 0) break;
      for (long off = 0; off < n;) {
        // struct linux_dirent64: u64 ino, s64 off, u16 reclen, u8 type, char name[].
        unsigned short reclen;
        memcpy(&reclen, buf + off + 16, sizeof reclen);
        const char* name = buf + off + 19;
        off += reclen;
        if (name[0] < '0' || name[0] > '9') continue;
        unsigned fd = 0;
        for (const char* p = name; *p >= '0' && *p <= '9'; ++p) fd = fd * 10 + unsigned(*p - '0');
        if (fd >= first && fd <= last && static_cast<int>(fd) != dir) {
          ::close(static_cast<int>(fd));
          closed_any = true;
        }
      }
    }
  }
  ::close(dir);
  return true;
#else
  // Other systems: closefrom() where it exists would be the tool; until then the bounded loop.
  close_fds_below_limit(first, last, limit);
  return true;
#endif
}

int give_stdio(int source, int target, int null_fd) noexcept {
  if (source == kInherit) return 0;
  int from = source == kNull ? null_fd : source;
  return ::dup2(from, target) < 0 ? -1 : 0;
}

// Sets every signal's disposition to SIG_DFL. On Linux this goes through the raw system call:
// glibc's sigaction() refuses its internal signals (32 and 33, SIGCANCEL and SIGSETXID) with
// EINVAL, and a host started by a program that used posix_spawn (GNU make, for one) has them at
// SIG_IGN, which would otherwise survive our exec. SIG_DFL is 0 and so are the flags and the mask,
// so an all-zero kernel sigaction means "default" whatever the architecture's field order.
void reset_signal_dispositions() noexcept {
#if defined(__linux__) && defined(SYS_rt_sigaction)
  unsigned long all_default[8] = {};
  for (int sig = 1; sig < NSIG; ++sig) {
    if (sig != SIGKILL && sig != SIGSTOP) {
      ::syscall(SYS_rt_sigaction, sig, all_default, nullptr, (NSIG - 1) / 8);  // errors ignored
    }
  }
#else
  struct sigaction dfl;
  memset(&dfl, 0, sizeof dfl);
  dfl.sa_handler = SIG_DFL;
  for (int sig = 1; sig < NSIG; ++sig) {
    if (sig != SIGKILL && sig != SIGSTOP) ::sigaction(sig, &dfl, nullptr);  // EINVAL ignored.
  }
#endif
}

[[noreturn]] void child_main(const SpawnPlan& plan, int report_fd, int null_fd, pid_t parent,
                             unsigned fd_limit) noexcept {
  // Every signal is still blocked (the parent blocked them before fork), so no handler of the
  // host, copied into this process, can run here. Reset the dispositions first, then unblock.
  reset_signal_dispositions();
#if defined(__linux__)
  if (plan.kill_on_parent_death) {
    if (::prctl(PR_SET_PDEATHSIG, SIGKILL) != 0) fail(report_fd, kPrctl, errno);
    // The parent may have died before prctl: then nobody would ever send the signal.
    if (::getppid() != parent) ::_exit(127);
  }
#else
  (void)parent;
#endif
  if (plan.new_group && ::setpgid(0, 0) != 0) fail(report_fd, kSetpgid, errno);
  if (give_stdio(plan.stdio[0], 0, null_fd) != 0) fail(report_fd, kDup2, errno);
  if (give_stdio(plan.stdio[1], 1, null_fd) != 0) fail(report_fd, kDup2, errno);
  if (plan.merge_stderr) {
    if (::dup2(1, 2) < 0) fail(report_fd, kDup2, errno);
  } else if (give_stdio(plan.stdio[2], 2, null_fd) != 0) {
    fail(report_fd, kDup2, errno);
  }
  if (plan.working_directory != nullptr && ::chdir(plan.working_directory) != 0) {
    fail(report_fd, kChdir, errno);
  }
  // Keep only 0, 1, 2 and the report pipe (close-on-exec, so exec closes it).
  unsigned report = static_cast<unsigned>(report_fd);
  if (!close_fds(3, report - 1, fd_limit) || !close_fds(report + 1, ~0U, fd_limit)) {
    fail(report_fd, kCloseFds, errno);
  }
  sigset_t empty;
  sigemptyset(&empty);
  ::sigprocmask(SIG_SETMASK, &empty, nullptr);
  ::execve(plan.path, plan.argv, plan.envp);
  fail(report_fd, kExec, errno);
}

}  // namespace

SpawnOutcome spawn_with_fork(const SpawnPlan& plan) noexcept {
  SpawnOutcome out;
  int report[2];
  if (::pipe2(report, O_CLOEXEC) != 0) {
    out.error = errno;
    out.stage = "pipe2";
    return out;
  }
  report[0] = above_stdio(report[0]);
  report[1] = above_stdio(report[1]);
  int null_fd = -1;
  bool wants_null = plan.stdio[0] == kNull || plan.stdio[1] == kNull ||
                    (!plan.merge_stderr && plan.stdio[2] == kNull);
  if (wants_null) null_fd = above_stdio(::open("/dev/null", O_RDWR | O_CLOEXEC));
  if (report[0] < 0 || report[1] < 0 || (wants_null && null_fd < 0)) {
    out.error = errno;
    out.stage = "open";
    ::close(report[0]);
    ::close(report[1]);
    if (null_fd >= 0) ::close(null_fd);
    return out;
  }

  pid_t parent = ::getpid();
  const unsigned fd_limit = open_file_limit();
  sigset_t all, old;
  sigfillset(&all);
  pthread_sigmask(SIG_SETMASK, &all, &old);
  pid_t pid = ::fork();
  if (pid == 0) child_main(plan, report[1], null_fd, parent, fd_limit);
  int fork_error = errno;
  pthread_sigmask(SIG_SETMASK, &old, nullptr);
  ::close(report[1]);
  if (null_fd >= 0) ::close(null_fd);
  if (pid < 0) {
    ::close(report[0]);
    out.error = fork_error;
    out.stage = "fork";
    return out;
  }

  ChildFailure failure{0, 0};
  ssize_t n;
  do {
    n = ::read(report[0], &failure, sizeof failure);
  } while (n < 0 && errno == EINTR);
  ::close(report[0]);
  if (n == 0) {
    out.pid = pid;
    return out;
  }
  // The child failed and is exiting: reap it here (it was never handed to the watcher, which
  // therefore never looks at this pid), so no zombie is left.
  int status;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (n == static_cast<ssize_t>(sizeof failure)) {
    out.error = failure.error;
    out.stage = failure.stage == kExec ? nullptr : kStages[failure.stage];
  } else {
    out.error = EIO;
    out.stage = "reading the child's report";
  }
  return out;
}

}  // namespace modhost::detail
