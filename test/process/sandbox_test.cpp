// Old kernels and restricted sandboxes, simulated with a seccomp filter that makes one Linux call
// fail the way a kernel without it (ENOSYS) or an older container profile (EPERM) does: the
// fallbacks of pidfd_open (the SIGCHLD exit path), close_range (/proc/self/fd, then a loop up to
// RLIMIT_NOFILE when /proc is not mounted either), clone3 (the fork spawn path, and a clear
// Error where a thread is needed) and vfork (plain fork() on the fork spawn path). Each test runs
// in a fresh process, since a filter cannot be removed; each is skipped, saying why, where
// filters or mount namespaces are not available.

#if defined(__linux__)

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <string>

#include "../helper/fresh_process.hpp"
#include "../helper/syscall_filter.hpp"
#include "modhost/local_backend.hpp"
#include "process_test_util.hpp"

namespace modhost::test {
namespace {

using namespace std::chrono_literals;

#define SKIP_WITHOUT_SYSCALL_FILTER()                                            \
  do {                                                                            \
    if (std::string why = syscall_filter_unavailable(); !why.empty()) {           \
      GTEST_SKIP() << why;                                                        \
    }                                                                             \
  } while (0)

// Why a private mount namespace (to hide /proc) cannot be made here, or empty: tried in a forked
// child so that this process keeps its mounts.
std::string mount_namespace_unavailable() {
  pid_t pid = ::fork();
  if (pid == 0) ::_exit(::unshare(CLONE_NEWNS) == 0 ? 0 : 1);
  int status = 0;
  if (pid < 0 || ::waitpid(pid, &status, 0) != pid) return "fork failed";
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return {};
  return "a mount namespace cannot be created here (needs root or CAP_SYS_ADMIN)";
}

// A host fd without close-on-exec, at 200, which no child may inherit.
bool leak_an_fd() { return ::dup2(::open("/dev/null", O_RDONLY), 200) == 200; }

int both_spawn_paths_give_only_stdio() {
  for (bool fork_path : {false, true}) {
    detail::set_spawn_fallback_for_testing(fork_path);
    std::string fds = output_of(child({"fds"}));
    detail::set_spawn_fallback_for_testing(false);
    if (fds != "0 1 2\n") {
      ::fprintf(stderr, "%s path: %s\n", fork_path ? "fork" : "default", fds.c_str());
      return fork_path ? 21 : 20;
    }
  }
  return 0;
}

// Exit statuses and a graceful stop, through whichever exit mechanism the library chose.
int exits_and_stops_work() {
  if (output_of(child({"exit", "3"}), 3) != "") return 30;
  auto sleeper = ChildProcess::spawn(child({"sleep", "1000"}));
  if (!sleeper) return 31;
  auto st = sleeper->stop(5s);
  if (!st || st->status != ExitStatus::signaled(SIGTERM) || st->killed) return 32;
  return 0;
}

class SyscallRefused : public ::testing::TestWithParam<int> {};

std::string errno_name(const ::testing::TestParamInfo<int>& info) {
  return info.param == ENOSYS ? "ENOSYS" : "EPERM";
}

// Kernels before 5.3 have no pidfd_open: exits come through the SIGCHLD self-pipe path.
TEST_P(SyscallRefused, PidfdOpen) {
  SKIP_WITHOUT_SYSCALL_FILTER();
  const int error = GetParam();
  MODHOST_IN_FRESH_PROCESS([error] {
    if (!refuse_syscalls({SYS_pidfd_open}, error).empty()) return 1;
    if (int r = exits_and_stops_work()) return r;
    auto backend = LocalProcessBackend::create(CancellationToken());
    return backend ? 0 : 2;
  });
}

// Kernels before 5.9 have no close_range: inherited fds are closed through /proc/self/fd.
TEST_P(SyscallRefused, CloseRange) {
  SKIP_WITHOUT_SYSCALL_FILTER();
  const int error = GetParam();
  MODHOST_IN_FRESH_PROCESS([error] {
    if (!refuse_syscalls({SYS_close_range}, error).empty()) return 1;
    if (!leak_an_fd()) return 2;
    if (int r = both_spawn_paths_give_only_stdio()) return r;
    return exits_and_stops_work();
  });
}

// No close_range and no /proc (a minimal container, early boot): the fork path closes every fd
// below RLIMIT_NOFILE one by one, and the default spawn takes that path, since glibc's
// posix_spawn would fail (its fallback reads /proc) and report it as the program's failure.
TEST_P(SyscallRefused, CloseRangeWithoutProc) {
  SKIP_WITHOUT_SYSCALL_FILTER();
  if (std::string why = mount_namespace_unavailable(); !why.empty()) GTEST_SKIP() << why;
  const int error = GetParam();
  MODHOST_IN_FRESH_PROCESS([error] {
    if (::unshare(CLONE_NEWNS) != 0) return 1;
    if (::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0) return 2;
    if (::mount("none", "/proc", "tmpfs", 0, nullptr) != 0) return 3;
    if (::access("/proc/self/fd", F_OK) == 0) return 4;
    if (!refuse_syscalls({SYS_close_range}, error).empty()) return 5;
    if (!leak_an_fd()) return 6;
    // A limit well above the leaked fd keeps the loop short and still covers it.
    struct rlimit rl;
    if (::getrlimit(RLIMIT_NOFILE, &rl) != 0) return 7;
    rl.rlim_cur = 4096 < rl.rlim_max ? 4096 : rl.rlim_max;
    if (::setrlimit(RLIMIT_NOFILE, &rl) != 0) return 8;
    if (int r = both_spawn_paths_give_only_stdio()) return r;
    return exits_and_stops_work();
  });
}

// clone3 refused before the library has started any thread: glibc falls back to clone on
// ENOSYS (everything works); on EPERM it cannot create threads at all, and the first spawn, which
// needs the exit watcher's thread, is an Error naming that thread, never a crash.
TEST_P(SyscallRefused, Clone3BeforeAnyThread) {
  SKIP_WITHOUT_SYSCALL_FILTER();
  const int error = GetParam();
  MODHOST_IN_FRESH_PROCESS([error] {
    if (!refuse_syscalls({SYS_clone3}, error).empty()) return 1;
    auto c = ChildProcess::spawn(child({"exit", "3"}));
    if (error == ENOSYS) {
      if (!c) return 2;
      auto st = c->wait();
      if (!st || *st != ExitStatus::exited(3)) return 3;
      return exits_and_stops_work();
    }
    if (c) {
      // A libc that does not use clone3 for threads: then everything must work.
      auto st = c->wait();
      return st && *st == ExitStatus::exited(3) ? 0 : 4;
    }
    if (c.error().code() != std::error_code(EPERM, std::system_category())) return 5;
    if (c.error().message().find("thread") == std::string::npos) return 6;
    auto backend = LocalProcessBackend::create(CancellationToken());
    if (backend || backend.error().code() != std::error_code(EPERM, std::system_category())) {
      return 7;
    }
    return 0;
  });
}

// clone3 refused once the library's threads run (a filter applied later, or a host whose
// threads were created before): glibc's posix_spawn would fail with EPERM, so spawns take the
// fork path, which uses plain clone.
TEST_P(SyscallRefused, Clone3AfterTheThreadsStarted) {
  SKIP_WITHOUT_SYSCALL_FILTER();
  const int error = GetParam();
  MODHOST_IN_FRESH_PROCESS([error] {
    if (output_of(child({"exit", "0"})) != "") return 1;  // starts the exit watcher
    if (!refuse_syscalls({SYS_clone3}, error).empty()) return 2;
    if (!leak_an_fd()) return 3;
    if (int r = both_spawn_paths_give_only_stdio()) return r;
    return exits_and_stops_work();
  });
}

std::atomic<int> g_fork_prepares{0};
void count_fork_prepare() { g_fork_prepares.fetch_add(1); }

// vfork refused (vfork(2), and clone(2) with CLONE_VFORK, which is glibc's vfork where there is
// no vfork call): the fork spawn path creates its child with fork() instead, which its
// pthread_atfork prepare handlers show, and everything works as before, exec failures included.
TEST_P(SyscallRefused, Vfork) {
  SKIP_WITHOUT_SYSCALL_FILTER();
  const int error = GetParam();
  MODHOST_IN_FRESH_PROCESS([error] {
    if (!refuse_vfork(error).empty()) return 1;
    if (::pthread_atfork(count_fork_prepare, nullptr, nullptr) != 0) return 2;
    SpawnOptions o = child({"exit", "3"});
    o.kill_on_parent_death = true;  // the fork path
    if (output_of(o, 3) != "") return 3;
    if (g_fork_prepares.load() != 1) return 4;
    SpawnOptions missing = o;
    missing.program = "/nonexistent-modhost-dir/program";
    auto c = ChildProcess::spawn(missing);
    if (c || c.error().code() != std::error_code(ENOENT, std::system_category())) return 5;
    if (!leak_an_fd()) return 6;
    if (int r = both_spawn_paths_give_only_stdio()) return r;
    return exits_and_stops_work();
  });
}

INSTANTIATE_TEST_SUITE_P(Sandbox, SyscallRefused, ::testing::Values(ENOSYS, EPERM), errno_name);

}  // namespace
}  // namespace modhost::test

#endif  // __linux__
