// The fallback spawn path: a child created by this file + execve(), for what posix_spawn cannot
// express (Linux's PR_SET_PDEATHSIG) or a libc without the needed posix_spawn extensions.
//
// How the child is created. On Linux with vfork(): the child shares the parent's memory and the
// calling thread is suspended until the child has exec'd or exited, as inside glibc's and musl's
// posix_spawn. fork() would copy the address space: it write-protects every page of the parent,
// so each of the parent's other threads then faults on its next write to each page it touches
// and the kernel interrupts the other CPUs to flush their TLBs, a cost that grows with the heap
// and that the tool paid once per process started (docs/benchmarks.md, W7). Where vfork() is
// refused (ENOSYS or EPERM from a seccomp filter), on other systems, and when a test asks for it,
// plain fork().
//
// What the child may do. Everything (argv, envp, the resolved path) was built by the parent; the
// child only issues system calls, on Linux raw ones through syscall(2): no libc wrapper that could
// be a cancellation point, take a lock, allocate or be intercepted by a sanitizer's runtime. For
// the vfork() child this is required, not only prudent: it runs on the parent thread's stack, in
// the parent's memory, with the parent thread's TLS, while the parent's other threads go on. So
// - every signal is blocked (the raw mask, glibc's internal ones included) from before the child
//   exists until, in the child, every disposition is SIG_DFL: no handler of the host can run in
//   the child, where it would change the host's memory; the parent restores its mask afterwards;
// - the child never returns from the function that created it (child_main is [[noreturn]] and
//   ends in execve or _exit), touches no lock and no heap, and keeps to its own stack frames;
// - the functions the child runs are not instrumented by ASan or UBSan (MODHOST_CHILD_CODE):
//   ASan's stack redzones would be poisoned in the shared shadow memory (its vfork interceptor
//   repairs the stack, but nothing else), and a report would allocate. TSan turns vfork() into
//   fork() itself, so a TSan build runs this code in a copied child.
// pthread_atfork handlers do not run for a vfork() child (nor for glibc's posix_spawn). modhost's
// own (child_registry.cpp, exit_watcher.cpp, uuid.cpp) only repair state for a forked child that
// goes on running modhost code; this child runs none and execs. The invariant spawn_process()
// keeps around every spawn path holds here too: the spawn counts as in flight (begin_spawn)
// before the child exists until its pid is registered.
//
// A failure is sent back as {stage, errno} over a close-on-exec pipe: exec closes the pipe on
// success, so the parent's read() returns 0 exactly when the program is running, and the error
// otherwise. That makes spawn() synchronous without any race on the child's state, and it works
// the same when the "vfork" child is in fact a copy (TSan; qemu-user, which emulates vfork() with
// fork()).

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

#include <atomic>
#include <cstdint>

#include "fd_util.hpp"
#include "posix_process.hpp"

// The functions a spawned child runs before exec: not instrumented by ASan or UBSan (see above).
#if defined(__GNUC__) || defined(__clang__)
#define MODHOST_CHILD_CODE __attribute__((no_sanitize("address", "undefined")))
#else
#define MODHOST_CHILD_CODE
#endif

namespace modhost::detail {

namespace {

std::atomic<bool> g_plain_fork{false};

// The child's system calls. On Linux raw (syscall(2) is neither a cancellation point nor
// intercepted); elsewhere the libc functions, async-signal-safe after fork().
namespace child_sys {
#if defined(__linux__)
MODHOST_CHILD_CODE inline long write(int fd, const void* buf, std::size_t n) noexcept {
  return ::syscall(SYS_write, fd, buf, n);
}
MODHOST_CHILD_CODE inline int close(int fd) noexcept {
  return static_cast<int>(::syscall(SYS_close, fd));
}
MODHOST_CHILD_CODE inline int dup2(int from, int to) noexcept {
#if defined(SYS_dup2)
  return static_cast<int>(::syscall(SYS_dup2, from, to));
#else
  // dup3 refuses equal fds; dup2 then only checks that the fd is open.
  if (from == to) return ::syscall(SYS_fcntl, from, F_GETFD) < 0 ? -1 : to;
  return static_cast<int>(::syscall(SYS_dup3, from, to, 0));
#endif
}
MODHOST_CHILD_CODE inline int open_dir(const char* path) noexcept {
  return static_cast<int>(
      ::syscall(SYS_openat, AT_FDCWD, path, O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0));
}
MODHOST_CHILD_CODE inline bool rewind(int fd) noexcept {
#if defined(SYS_lseek)
  return ::syscall(SYS_lseek, fd, 0L, SEEK_SET) == 0;
#else
  // 32-bit systems without lseek (riscv32): _llseek(fd, high, low, &result, whence).
  long long result = 0;
  return ::syscall(SYS__llseek, fd, 0ul, 0ul, &result, SEEK_SET) == 0;
#endif
}
MODHOST_CHILD_CODE inline int chdir(const char* path) noexcept {
  return static_cast<int>(::syscall(SYS_chdir, path));
}
MODHOST_CHILD_CODE inline int setpgid(pid_t pid, pid_t group) noexcept {
  return static_cast<int>(::syscall(SYS_setpgid, pid, group));
}
MODHOST_CHILD_CODE inline pid_t getppid() noexcept {
  return static_cast<pid_t>(::syscall(SYS_getppid));
}
MODHOST_CHILD_CODE inline int execve(const char* path, char* const* argv,
                                     char* const* envp) noexcept {
  return static_cast<int>(::syscall(SYS_execve, path, argv, envp));
}
[[noreturn]] MODHOST_CHILD_CODE inline void exit(int code) noexcept {
  for (;;) ::syscall(SYS_exit_group, code);
}
#else
MODHOST_CHILD_CODE inline long write(int fd, const void* buf, std::size_t n) noexcept {
  return ::write(fd, buf, n);
}
MODHOST_CHILD_CODE inline int close(int fd) noexcept { return ::close(fd); }
MODHOST_CHILD_CODE inline int dup2(int from, int to) noexcept { return ::dup2(from, to); }
MODHOST_CHILD_CODE inline int chdir(const char* path) noexcept { return ::chdir(path); }
MODHOST_CHILD_CODE inline int setpgid(pid_t pid, pid_t group) noexcept {
  return ::setpgid(pid, group);
}
MODHOST_CHILD_CODE inline int execve(const char* path, char* const* argv,
                                     char* const* envp) noexcept {
  return ::execve(path, argv, envp);
}
[[noreturn]] MODHOST_CHILD_CODE inline void exit(int code) noexcept { ::_exit(code); }
#endif
}  // namespace child_sys

struct ChildFailure {
  int stage;  // Index into kStages.
  int error;  // errno.
};

constexpr const char* kStages[] = {"exec", "prctl(PR_SET_PDEATHSIG)", "setpgid", "dup2",
                                   "chdir", "close inherited fds"};
enum Stage { kExec, kPrctl, kSetpgid, kDup2, kChdir, kCloseFds };

[[noreturn]] MODHOST_CHILD_CODE void fail(int report_fd, Stage stage, int error) noexcept {
  ChildFailure failure{stage, error};
  long ignored = child_sys::write(report_fd, &failure, sizeof failure);
  (void)ignored;
  child_sys::exit(127);
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
MODHOST_CHILD_CODE void close_fds_below_limit(unsigned first, unsigned last,
                                              unsigned limit) noexcept {
  for (unsigned fd = first; fd <= last && fd < limit; ++fd) child_sys::close(static_cast<int>(fd));
}

// Closes every fd in [first, last]. close_range(2) (Linux 5.9) costs nothing per closed slot. The
// first fallback reads /proc/self/fd with the raw getdents64 system call into a stack buffer (no
// opendir: it allocates), so its cost follows the number of open fds, not RLIMIT_NOFILE; without
// /proc, the loop up to `limit`.
MODHOST_CHILD_CODE bool close_fds(unsigned first, unsigned last, unsigned limit) noexcept {
  if (first > last) return true;
#if defined(__linux__) && defined(SYS_close_range)
  if (::syscall(SYS_close_range, first, last, 0) == 0) return true;
#endif
#if defined(__linux__) && defined(SYS_getdents64)
  int dir = child_sys::open_dir("/proc/self/fd");
  if (dir < 0) {
    close_fds_below_limit(first, last, limit);
    return true;
  }
  alignas(8) char buf[2048];
  bool closed_any = true;
  // Closing while reading a directory may skip entries, so read it again until a pass closes none.
  while (closed_any) {
    closed_any = false;
    if (!child_sys::rewind(dir)) break;
    for (;;) {
      long n = ::syscall(SYS_getdents64, dir, buf, sizeof buf);
      if (n <= 0) break;
      for (long off = 0; off < n;) {
        // struct linux_dirent64: u64 ino, s64 off, u16 reclen, u8 type, char name[]. (Two
        // byte loads, not memcpy: the child calls nothing a sanitizer may intercept.)
        unsigned short reclen;
        unsigned char lo = static_cast<unsigned char>(buf[off + 16]);
        unsigned char hi = static_cast<unsigned char>(buf[off + 17]);
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
        reclen = static_cast<unsigned short>(lo << 8 | hi);
#else
        reclen = static_cast<unsigned short>(hi << 8 | lo);
#endif
        const char* name = buf + off + 19;
        off += reclen;
        if (name[0] < '0' || name[0] > '9') continue;
        unsigned fd = 0;
        for (const char* p = name; *p >= '0' && *p <= '9'; ++p) fd = fd * 10 + unsigned(*p - '0');
        if (fd >= first && fd <= last && static_cast<int>(fd) != dir) {
          child_sys::close(static_cast<int>(fd));
          closed_any = true;
        }
      }
    }
  }
  child_sys::close(dir);
  return true;
#else
  // Other systems: closefrom() where it exists would be the tool; until then the bounded loop.
  close_fds_below_limit(first, last, limit);
  return true;
#endif
}

MODHOST_CHILD_CODE int give_stdio(int source, int target, int null_fd) noexcept {
  if (source == kInherit) return 0;
  int from = source == kNull ? null_fd : source;
  return child_sys::dup2(from, target) < 0 ? -1 : 0;
}

// Sets every signal's disposition to SIG_DFL. On Linux this goes through the raw system call:
// glibc's sigaction() refuses its internal signals (32 and 33, SIGCANCEL and SIGSETXID) with
// EINVAL, and a host started by a program that used posix_spawn (GNU make, for one) has them at
// SIG_IGN, which would otherwise survive our exec. SIG_DFL is 0 and so are the flags and the mask,
// so an all-zero kernel sigaction means "default" whatever the architecture's field order.
MODHOST_CHILD_CODE void reset_signal_dispositions() noexcept {
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

// What the child is given: the plan and what the parent prepared for it. Lives in the parent's
// frame, which the child (running below it on the same stack, for vfork()) only reads.
struct ChildArgs {
  const SpawnPlan* plan;
  int report_fd;
  int null_fd;
  pid_t parent;
  unsigned fd_limit;
};

[[noreturn]] MODHOST_CHILD_CODE void child_main(const ChildArgs& args) noexcept {
  const SpawnPlan& plan = *args.plan;
  const int report_fd = args.report_fd;
  const int null_fd = args.null_fd;
  // Every signal is still blocked (the parent blocked them before creating this child), so no
  // handler of the host can run here. Reset the dispositions first, then unblock.
  reset_signal_dispositions();
#if defined(__linux__)
  if (plan.kill_on_parent_death) {
    if (::syscall(SYS_prctl, PR_SET_PDEATHSIG, static_cast<unsigned long>(SIGKILL), 0ul, 0ul,
                  0ul) != 0) {
      fail(report_fd, kPrctl, errno);
    }
    // The parent may have died before prctl: then nobody would ever send the signal.
    if (child_sys::getppid() != args.parent) child_sys::exit(127);
  }
#endif
  if (plan.new_group && child_sys::setpgid(0, 0) != 0) fail(report_fd, kSetpgid, errno);
  if (give_stdio(plan.stdio[0], 0, null_fd) != 0) fail(report_fd, kDup2, errno);
  if (give_stdio(plan.stdio[1], 1, null_fd) != 0) fail(report_fd, kDup2, errno);
  if (plan.merge_stderr) {
    if (child_sys::dup2(1, 2) < 0) fail(report_fd, kDup2, errno);
  } else if (give_stdio(plan.stdio[2], 2, null_fd) != 0) {
    fail(report_fd, kDup2, errno);
  }
  if (plan.working_directory != nullptr && child_sys::chdir(plan.working_directory) != 0) {
    fail(report_fd, kChdir, errno);
  }
  // Keep only 0, 1, 2 and the report pipe (close-on-exec, so exec closes it).
  unsigned report = static_cast<unsigned>(report_fd);
  if (!close_fds(3, report - 1, args.fd_limit) || !close_fds(report + 1, ~0U, args.fd_limit)) {
    fail(report_fd, kCloseFds, errno);
  }
#if defined(__linux__)
  unsigned long empty[8] = {};
  ::syscall(SYS_rt_sigprocmask, SIG_SETMASK, empty, nullptr, (NSIG - 1) / 8);
#else
  sigset_t empty;
  sigemptyset(&empty);
  ::sigprocmask(SIG_SETMASK, &empty, nullptr);
#endif
  child_sys::execve(plan.path, plan.argv, plan.envp);
  fail(report_fd, kExec, errno);
}

#if defined(__linux__)
// vfork() and the child's whole life, in a frame of their own: the child runs child_main below
// this frame and never comes back to it, and the parent resumes here once the child has exec'd
// or exited. Nothing of the caller's frame is kept in registers across the call (no -Wclobbered).
MODHOST_CHILD_CODE __attribute__((noinline)) pid_t start_shared_memory_child(
    const ChildArgs& args) noexcept {
  pid_t pid = ::vfork();
  if (pid == 0) child_main(args);
  return pid;
}
#endif

MODHOST_CHILD_CODE __attribute__((noinline)) pid_t start_copied_child(
    const ChildArgs& args) noexcept {
  pid_t pid = ::fork();
  if (pid == 0) child_main(args);
  return pid;
}

// Blocks every signal of the calling thread, glibc's internal ones (32, 33) too on Linux, which
// pthread_sigmask leaves out; `old` receives the mask to restore.
void block_all_signals(sigset_t& old) noexcept {
#if defined(__linux__)
  sigset_t all;
  memset(&all, 0xff, sizeof all);
  sigemptyset(&old);
  ::syscall(SYS_rt_sigprocmask, SIG_SETMASK, &all, &old, (NSIG - 1) / 8);
#else
  sigset_t all;
  sigfillset(&all);
  pthread_sigmask(SIG_SETMASK, &all, &old);
#endif
}

void restore_signals(const sigset_t& old) noexcept {
#if defined(__linux__)
  ::syscall(SYS_rt_sigprocmask, SIG_SETMASK, &old, nullptr, (NSIG - 1) / 8);
#else
  pthread_sigmask(SIG_SETMASK, &old, nullptr);
#endif
}

}  // namespace

void set_plain_fork_for_testing(bool on) noexcept { g_plain_fork.store(on); }

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

  const ChildArgs args{&plan, report[1], null_fd, ::getpid(), open_file_limit()};
  sigset_t old;
  block_all_signals(old);
  pid_t pid = -1;
  int fork_error = 0;
  const char* fork_stage = "fork";
  bool copy = true;
#if defined(__linux__)
  if (!g_plain_fork.load(std::memory_order_relaxed)) {
    pid = start_shared_memory_child(args);
    fork_error = errno;  // Only read when pid < 0: then no child ran and errno is vfork's.
    fork_stage = "vfork";
    // A seccomp filter may refuse vfork (or clone with CLONE_VFORK) and allow fork.
    copy = pid < 0 && (fork_error == ENOSYS || fork_error == EPERM);
  }
#endif
  if (copy) {
    pid = start_copied_child(args);
    fork_error = errno;
    fork_stage = "fork";
  }
  restore_signals(old);
  ::close(report[1]);
  if (null_fd >= 0) ::close(null_fd);
  if (pid < 0) {
    ::close(report[0]);
    out.error = fork_error;
    out.stage = fork_stage;
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
