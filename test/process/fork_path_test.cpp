// The fork spawn path (spawn_fork.cpp) has two ways of creating its child on Linux: vfork(), the
// default (the child shares the parent's memory until it execs), and plain fork() (where a
// sandbox refuses vfork, and through set_plain_fork_for_testing). Every property the path
// promises is checked here on both: the child is really created the chosen way, exec failures
// come back with the OS's code, the child starts with clean signals, no signal handler of the
// host ever runs in the child, and kill_on_parent_death kills the child when the host dies. The
// seccomp test that makes vfork fail is in sandbox_test.cpp (SyscallRefused.Vfork).

#if defined(__linux__)

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <string>
#include <thread>

#include "../helper/fresh_process.hpp"
#include "../../platform/posix/posix_process.hpp"
#include "process_test_util.hpp"

#if defined(__SANITIZE_THREAD__)
#define MODHOST_TEST_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define MODHOST_TEST_TSAN 1
#endif
#endif

namespace modhost::test {
namespace {

using namespace std::chrono_literals;

#if defined(MODHOST_TEST_TSAN)
constexpr bool kTsan = true;
#else
constexpr bool kTsan = false;
#endif

// The parameter: true for plain fork(), false for vfork().
class ForkPath : public ::testing::TestWithParam<bool> {
 protected:
  void SetUp() override {
    detail::set_spawn_fallback_for_testing(true);
    detail::set_plain_fork_for_testing(GetParam());
  }
  void TearDown() override {
    detail::set_spawn_fallback_for_testing(false);
    detail::set_plain_fork_for_testing(false);
  }
};

std::string method_name(const ::testing::TestParamInfo<bool>& info) {
  return info.param ? "fork" : "vfork";
}

// The options of a child on the fork path (kill_on_parent_death cannot go through posix_spawn).
SpawnOptions forked(std::vector<std::string> args) {
  SpawnOptions o = child(std::move(args));
  o.kill_on_parent_death = true;
  return o;
}

std::atomic<int> g_prepares{0};
void count_prepare() { g_prepares.fetch_add(1); }

// pthread_atfork's prepare handlers run in the parent before a fork() and never for a vfork():
// counting them tells how the child was made. (TSan turns vfork into fork: there the count is
// checked for plain fork only.)
TEST_P(ForkPath, ChildIsCreatedTheChosenWay) {
  const bool plain = GetParam();
  MODHOST_IN_FRESH_PROCESS([plain] {
    detail::set_spawn_fallback_for_testing(true);
    detail::set_plain_fork_for_testing(plain);
    if (::pthread_atfork(count_prepare, nullptr, nullptr) != 0) return 1;
    for (int i = 0; i < 3; ++i) {
      auto c = ChildProcess::spawn(forked({"exit", "4"}));
      if (!c) return 2;
      auto st = c->wait();
      if (!st || *st != ExitStatus::exited(4)) return 3;
    }
    if (kTsan && !plain) return 0;
    return g_prepares.load() == (plain ? 3 : 0) ? 0 : 10 + g_prepares.load();
  });
}

// An exec failure is the spawn's Error, with the OS's code, and leaves no child behind.
TEST_P(ForkPath, ExecFailureIsReportedWithTheOsCode) {
  SpawnOptions missing = forked({});
  missing.program = "/nonexistent-modhost-dir/program";
  auto c = ChildProcess::spawn(missing);
  ASSERT_FALSE(c);
  EXPECT_EQ(c.error().code(), std::error_code(ENOENT, std::system_category()))
      << c.error().message();

  // A file without execute permission (root too needs one x bit to exec).
  char path[] = "/tmp/modhost-noexec-XXXXXX";
  int fd = ::mkstemp(path);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(::write(fd, "#!/bin/sh\n", 10), 10);
  ::close(fd);
  ASSERT_EQ(::chmod(path, 0644), 0);
  SpawnOptions denied = forked({});
  denied.program = path;
  auto d = ChildProcess::spawn(denied);
  ::unlink(path);
  ASSERT_FALSE(d);
  EXPECT_EQ(d.error().code(), std::error_code(EACCES, std::system_category()))
      << d.error().message();
  EXPECT_TRUE(list_children().empty());

  // And the next spawn works.
  auto next = ChildProcess::spawn(forked({"exit", "5"}));
  ASSERT_TRUE(next) << next.error().message();
  auto st = next->wait();
  ASSERT_TRUE(st);
  EXPECT_EQ(*st, ExitStatus::exited(5));
}

// The child starts with an empty mask and every signal at its default disposition, whatever the
// host caught, ignored or blocked.
void on_usr1(int) {}
TEST_P(ForkPath, ChildStartsWithCleanSignals) {
  struct sigaction catch_usr1 {}, ignore {}, old_usr1 {}, old_pipe {}, old_int {};
  catch_usr1.sa_handler = on_usr1;
  ignore.sa_handler = SIG_IGN;
  ::sigaction(SIGUSR1, &catch_usr1, &old_usr1);
  ::sigaction(SIGPIPE, &ignore, &old_pipe);
  ::sigaction(SIGINT, &ignore, &old_int);
  sigset_t block, old_mask;
  sigemptyset(&block);
  sigaddset(&block, SIGUSR1);
  sigaddset(&block, SIGTERM);
  ::pthread_sigmask(SIG_BLOCK, &block, &old_mask);
  std::string out = output_of(forked({"signals"}));
  ::pthread_sigmask(SIG_SETMASK, &old_mask, nullptr);
  ::sigaction(SIGUSR1, &old_usr1, nullptr);
  ::sigaction(SIGPIPE, &old_pipe, nullptr);
  ::sigaction(SIGINT, &old_int, nullptr);
  EXPECT_EQ(out, "SigBlk:\t0000000000000000\nSigIgn:\t0000000000000000\n");
}

// A signal handler of the host must never run in the child before exec: in a vfork() child it
// would run on the host's memory. The host here catches SIGUSR1 with a handler that records,
// in a shared page (so that even a copied child's record is seen), whether it ran in another
// process; a thread sends SIGUSR1 to the host's whole process group, which the children belong
// to until they exec, while the host spawns. The handler must have run in the host and never
// elsewhere. (A child that gets SIGUSR1 after its dispositions are reset dies of it: allowed.)
struct Shared {
  std::atomic<int> in_host;
  std::atomic<int> elsewhere;
};
Shared* g_shared = nullptr;
pid_t g_host = 0;
void record_usr1(int) {
  const int saved = errno;
  if (static_cast<pid_t>(::syscall(SYS_getpid)) == g_host) {
    g_shared->in_host.fetch_add(1, std::memory_order_relaxed);
  } else {
    g_shared->elsewhere.fetch_add(1, std::memory_order_relaxed);
  }
  errno = saved;
}

TEST_P(ForkPath, HostSignalHandlersNeverRunInTheChild) {
  const bool plain = GetParam();
  MODHOST_IN_FRESH_PROCESS([plain] {
    detail::set_spawn_fallback_for_testing(true);
    detail::set_plain_fork_for_testing(plain);
    void* page = ::mmap(nullptr, sizeof(Shared), PROT_READ | PROT_WRITE,
                        MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (page == MAP_FAILED) return 1;
    g_shared = new (page) Shared{};
    g_host = ::getpid();
    if (::setpgid(0, 0) != 0) return 2;  // a group of this process and its children only
    struct sigaction sa {};
    sa.sa_handler = record_usr1;
    sa.sa_flags = SA_RESTART;
    sigemptyset(&sa.sa_mask);
    if (::sigaction(SIGUSR1, &sa, nullptr) != 0) return 3;
    std::atomic<bool> done{false};
    std::thread sender([&] {
      sigset_t usr1;
      sigemptyset(&usr1);
      sigaddset(&usr1, SIGUSR1);
      ::pthread_sigmask(SIG_BLOCK, &usr1, nullptr);  // handled by the spawning thread
      while (!done.load()) {
        ::kill(-g_host, SIGUSR1);
        std::this_thread::sleep_for(20us);
      }
    });
    int spawned = 0;
    for (int i = 0; i < 150; ++i) {
      SpawnOptions o = forked({"exit", "0"});
      o.stdout_mode = Stdio::Null;
      o.new_process_group = false;  // in the host's group until exec, to get the signals
      auto c = ChildProcess::spawn(o);
      if (!c) continue;  // a spawn interrupted by the storm may fail; it proves nothing
      ++spawned;
      auto st = c->wait();
      if (!st) return 4;
      if (*st != ExitStatus::exited(0) && *st != ExitStatus::signaled(SIGUSR1)) return 5;
    }
    done.store(true);
    sender.join();
    if (spawned < 100) return 6;
    if (g_shared->in_host.load() == 0) return 7;  // no signal reached the host: nothing tested
    return g_shared->elsewhere.load() == 0 ? 0 : 8;
  });
}

// kill_on_parent_death: a host spawns a child with it and dies without stopping it; the child
// dies of SIGKILL. This test process is a subreaper meanwhile, so the orphan is reparented here.
TEST_P(ForkPath, KillOnParentDeath) {
#if defined(MODHOST_TEST_TSAN)
  GTEST_SKIP() << "TSan refuses to start threads after a multi-threaded fork (die_after_fork)";
#endif
  MODHOST_BECOME_SUBREAPER_OR_SKIP();
  const bool plain = GetParam();
  int report[2];
  ASSERT_EQ(::pipe(report), 0);
  pid_t host = ::fork();
  ASSERT_GE(host, 0);
  if (host == 0) {
    detail::set_plain_fork_for_testing(plain);
    SpawnOptions o = forked({"sleep", "1000"});
    o.stdout_mode = Stdio::Null;
    auto c = ChildProcess::spawn(o);
    pid_t pid = c ? static_cast<pid_t>(c->pid()) : -1;
    ssize_t ignored = ::write(report[1], &pid, sizeof pid);
    (void)ignored;
    ::_exit(0);  // Dies without running the ChildProcess destructor.
  }
  ::close(report[1]);
  pid_t orphan = -1;
  ASSERT_EQ(::read(report[0], &orphan, sizeof orphan), static_cast<ssize_t>(sizeof orphan));
  ::close(report[0]);
  ASSERT_GT(orphan, 0);
  int status = 0;
  ASSERT_EQ(::waitpid(host, &status, 0), host);
  ASSERT_EQ(::waitpid(orphan, &status, 0), orphan);
  EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
  ASSERT_EQ(::prctl(PR_SET_CHILD_SUBREAPER, 0), 0);
}

// The child gets its stdio, working directory, group and nothing else, on both ways.
TEST_P(ForkPath, ChildGetsItsSetup) {
  int leaked = ::dup2(::open("/dev/null", O_RDONLY), 200);  // no close-on-exec
  ASSERT_EQ(leaked, 200);
  SpawnOptions fds = forked({"fds"});
  fds.stdin_mode = Stdio::Pipe;
  fds.stderr_mode = Stdio::Null;
  EXPECT_EQ(output_of(fds), "0 1 2\n");
  ::close(leaked);
  SpawnOptions cwd = forked({"cwd"});
  cwd.working_directory = "/";
  EXPECT_EQ(output_of(cwd), "/\n");
  SpawnOptions group = forked({"sleep", "1000"});
  group.new_process_group = true;
  auto c = ChildProcess::spawn(group);
  ASSERT_TRUE(c) << c.error().message();
  EXPECT_EQ(::getpgid(static_cast<pid_t>(c->pid())), static_cast<pid_t>(c->pid()));
  auto r = c->stop(5s);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, ExitStatus::signaled(SIGTERM));
}

INSTANTIATE_TEST_SUITE_P(Linux, ForkPath, ::testing::Values(false, true), method_name);

}  // namespace
}  // namespace modhost::test

#endif  // __linux__
