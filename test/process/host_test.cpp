// The host's signal setup around SIGCHLD, on both exit mechanisms. With an exit handle (pidfds)
// the host may install, replace, ignore or block SIGCHLD as it likes; on the SIGCHLD self-pipe
// path a handler installed before modhost keeps running, a host that breaks the contract gets
// errc::host_contract instead of a hang, and a host that blocks SIGCHLD in every thread still gets
// its waits, stops and destructors done. The host's own children are never reaped by modhost, and
// a forked host gets a fresh watcher. Tests that need a process where modhost has not started yet
// run as "threadsafe" death tests, which re-exec this binary; an alarm turns a hang there into a
// failure.

#ifndef _WIN32  // The SIGCHLD host contract and fork() are POSIX-only.

#include <errno.h>
#include <signal.h>
#include <pthread.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstring>
#include <mutex>
#include <thread>
#include <vector>

#include "modhost/local_backend.hpp"
#include "../helper/fresh_process.hpp"
#include "process_test_util.hpp"
#include "../../platform/posix/posix_process.hpp"

namespace modhost::test {
namespace {

using namespace std::chrono_literals;

std::atomic<int> g_host_siginfo_calls{0};
std::atomic<int> g_host_plain_calls{0};

extern "C" void host_siginfo_handler(int, siginfo_t* info, void*) {
  if (info != nullptr && info->si_signo == SIGCHLD) ++g_host_siginfo_calls;
}
extern "C" void host_plain_handler(int) { ++g_host_plain_calls; }

using HostContract = ::testing::Test;

// True when the kernel keeps the exit status of a reaped child for its pidfd (PIDFD_INFO_EXIT,
// Linux >= 6.15), so that a host that ignores SIGCHLD still gets statuses.
bool kernel_keeps_exit_status() {
#if defined(SYS_pidfd_open)
  // Probed by behaviour, independently of the library's own code: a raw child's pidfd asked,
  // after the child was reaped, for its exit (PIDFD_GET_INFO with PIDFD_INFO_EXIT, Linux 6.15),
  // through struct pidfd_info version 0 (64 bytes). An emulator may run on such a kernel and
  // still not pass the ioctl through, so the kernel version alone does not tell.
  struct {
    std::uint64_t mask, cgroupid;
    std::uint32_t ids[11];
    std::int32_t exit_code;
  } info{};
  static_assert(sizeof info == 64, "PIDFD_INFO_SIZE_VER0");
  const unsigned long get_info = _IOWR(0xFF, 11, decltype(info));
  pid_t pid = ::fork();
  if (pid == 0) ::_exit(5);
  if (pid < 0) return false;
  int fd = static_cast<int>(::syscall(SYS_pidfd_open, pid, 0u));
  int status = 0;
  ::waitpid(pid, &status, 0);
  if (fd < 0) return false;
  info.mask = 1u << 3;  // PIDFD_INFO_EXIT
  bool keeps = ::ioctl(fd, get_info, &info) == 0 && (info.mask & (1u << 3)) != 0 &&
               WIFEXITED(info.exit_code) && WEXITSTATUS(info.exit_code) == 5;
  ::close(fd);
  return keeps;
#else
  return false;
#endif
}

// ---- The SIGCHLD self-pipe path: the host contract -------------------------------------------

TEST_F(HostContract, EarlierSiginfoHandlerStillRuns) {
  MODHOST_IN_FRESH_PROCESS([] {
    detail::set_exit_fallback_for_testing(true);
    struct sigaction sa {};
    sa.sa_sigaction = host_siginfo_handler;
    sa.sa_flags = SA_SIGINFO | SA_RESTART;
    ::sigaction(SIGCHLD, &sa, nullptr);
    auto c = ChildProcess::spawn(child({"exit", "0"}));
    if (!c || !c->wait()) return 1;
    return g_host_siginfo_calls.load() > 0 ? 0 : 2;
  });
}

TEST_F(HostContract, EarlierPlainHandlerStillRuns) {
  MODHOST_IN_FRESH_PROCESS([] {
    detail::set_exit_fallback_for_testing(true);
    struct sigaction sa {};
    sa.sa_handler = host_plain_handler;
    sa.sa_flags = SA_RESTART;
    ::sigaction(SIGCHLD, &sa, nullptr);
    auto c = ChildProcess::spawn(child({"exit", "0"}));
    if (!c || !c->wait()) return 1;
    return g_host_plain_calls.load() > 0 ? 0 : 2;
  });
}

TEST_F(HostContract, SigIgnAfterwardsIsReportedOnTheSigchldPath) {
  MODHOST_IN_FRESH_PROCESS([] {
    detail::set_exit_fallback_for_testing(true);
    auto c = ChildProcess::spawn(child({"sleep", "1000"}));
    if (!c) return 1;
    ::signal(SIGCHLD, SIG_IGN);
    auto again = ChildProcess::spawn(child({"exit", "0"}));
    if (again || again.error().code() != make_error_code(errc::host_contract)) return 2;
    (void)c->kill();
    auto w = c->wait_for(5s);
    if (w || w.error().code() != make_error_code(errc::host_contract)) return 3;
    return 0;
  });
}

TEST_F(HostContract, ReplacedHandlerIsReportedAndDestructorStillReaps) {
  MODHOST_IN_FRESH_PROCESS([] {
    detail::set_exit_fallback_for_testing(true);
    auto c = ChildProcess::spawn(child({"sleep", "1000"}));
    if (!c) return 1;
    pid_t pid = static_cast<pid_t>(c->pid());
    struct sigaction sa {};
    sa.sa_handler = host_plain_handler;
    ::sigaction(SIGCHLD, &sa, nullptr);
    auto w = c->wait_for(50ms);
    if (w || w.error().code() != make_error_code(errc::host_contract)) return 2;
    c = ChildProcess();  // Kills; finds the exit itself after a quiet slice; reaps.
    siginfo_t info{};
    if (::waitid(P_PID, static_cast<id_t>(pid), &info, WEXITED | WNOHANG) != -1) return 3;
    return 0;
  });
}

// The daemon pattern: every signal blocked in every thread (the main thread blocks them before
// any other thread exists, and modhost's threads block everything). The handler never runs, yet
// waits, stops, destructors and the backend's own exit records all complete.
TEST_F(HostContract, SigchldBlockedInEveryThreadDoesNotHangTheSigchldPath) {
  MODHOST_IN_FRESH_PROCESS([] {
    detail::set_exit_fallback_for_testing(true);
    sigset_t all;
    sigfillset(&all);
    ::pthread_sigmask(SIG_BLOCK, &all, nullptr);
    auto quick = ChildProcess::spawn(child({"exit", "5"}));
    if (!quick) return 1;
    auto st = quick->wait();
    if (!st || *st != ExitStatus::exited(5)) return 2;
    auto stubborn = ChildProcess::spawn(child({"sleep", "1000"}));
    if (!stubborn) return 3;
    auto stopped = stubborn->stop(10s);
    if (!stopped || stopped->status != ExitStatus::signaled(SIGTERM)) return 4;
    { auto dropped = ChildProcess::spawn(child({"sleep", "1000"})); }  // the destructor returns
    LocalBackendOptions o;
    std::atomic<int> exits{0};
    o.sink = [](const LogRecord&) {};
    o.on_exit = [&](const InstanceStatus&) { ++exits; };
    auto backend = LocalProcessBackend::create(CancellationToken(), o);
    if (!backend) return 5;
    OopModuleConfig cfg("m", BackendKind::LocalProcess);
    cfg.binary = kChild;
    cfg.args = {"exit", "3"};
    auto self = (*backend)->spawn_instance(cfg);
    cfg.args = {"sleep", "1000"};
    auto live = (*backend)->spawn_instance(cfg);
    if (!self || !live) return 6;
    // An exit nobody waits for is still noticed (the watcher looks once a second here).
    for (int i = 0; i < 300 && exits.load() == 0; ++i) std::this_thread::sleep_for(100ms);
    if (exits.load() != 1) return 7;
    if (!(*backend)->stop_instance(*live)) return 8;
    return exits.load() == 2 ? 0 : 9;
  });
}

// ---- The exit-handle path: the host's signal setup is its own ----------------------------------

TEST_F(HostContract, ExitHandlePathLetsTheHostReplaceTheHandler) {
  MODHOST_IN_FRESH_PROCESS([] {
    auto first = ChildProcess::spawn(child({"sleep", "1000"}));
    if (!first) return 1;
    struct sigaction sa {};
    sa.sa_handler = host_plain_handler;
    sa.sa_flags = SA_RESTART;
    ::sigaction(SIGCHLD, &sa, nullptr);  // after modhost's first spawn, without chaining
    auto second = ChildProcess::spawn(child({"exit", "3"}));
    if (!second) return 2;
    auto st = second->wait_for(30s);
    if (!st || !st->has_value() || **st != ExitStatus::exited(3)) return 3;
    auto stopped = first->stop(10s);
    if (!stopped || stopped->status != ExitStatus::signaled(SIGTERM)) return 4;
    return g_host_plain_calls.load() > 0 ? 0 : 5;
  });
}

TEST_F(HostContract, ExitHandlePathLetsTheHostBlockSigchldEverywhere) {
  MODHOST_IN_FRESH_PROCESS([] {
    sigset_t all;
    sigfillset(&all);
    ::pthread_sigmask(SIG_BLOCK, &all, nullptr);
    auto c = ChildProcess::spawn(child({"exit", "4"}));
    if (!c) return 1;
    // At once, not after a quiet slice: the pidfd needs no signal.
    auto st = c->wait_for(200ms);
    if (!st || !st->has_value() || **st != ExitStatus::exited(4)) return 2;
    auto stubborn = ChildProcess::spawn(child({"sleep", "1000"}));
    if (!stubborn) return 3;
    auto stopped = stubborn->stop(10s);
    return stopped && stopped->status == ExitStatus::signaled(SIGTERM) ? 0 : 4;
  });
}

TEST_F(HostContract, ExitHandlePathLetsTheHostIgnoreSigchld) {
  MODHOST_IN_FRESH_PROCESS([] {
    const bool keeps = kernel_keeps_exit_status();
    auto first = ChildProcess::spawn(child({"sleep", "1000"}));
    if (!first) return 1;
    ::signal(SIGCHLD, SIG_IGN);  // after modhost's first spawn
    auto second = ChildProcess::spawn(child({"sleep", "1000"}));
    if (!second) return 2;
    // The kernel reaps the children itself; no wait hangs. The statuses come from the kernel's
    // record where it keeps one, else the waits say they are lost.
    for (ChildProcess* c : {&*first, &*second}) {
      auto stopped = c->stop(10s);
      if (stopped && stopped->status != ExitStatus::signaled(SIGTERM)) return 3;
      if (!stopped && (keeps || stopped.error().code() != make_error_code(errc::host_contract))) {
        ::fprintf(stderr, "kernel keeps statuses: %d; %s\n", keeps, stopped.error().message().c_str());
        return 4;
      }
    }
    return 0;
  });
}

// ---- The host's own children, fork ---------------------------------------------------------------

class HostChildren : public SpawnPaths {};

TEST_P(HostChildren, HostsOwnChildIsNotReapedByModhost) {
  int gate[2];
  ASSERT_EQ(::pipe(gate), 0);
  pid_t own = ::fork();
  ASSERT_GE(own, 0);
  if (own == 0) {
    char c;
    ::close(gate[1]);
    while (::read(gate[0], &c, 1) < 0) {
    }
    ::_exit(42);
  }
  ::close(gate[0]);
  auto first = ChildProcess::spawn(child({"sleep", "1000"}));
  ASSERT_TRUE(first);
  ::close(gate[1]);  // The host's child exits now, while modhost watches its own.
  // Several SIGCHLDs and watcher scans happen while the host's child is a zombie.
  for (int i = 0; i < 3; ++i) {
    auto c = ChildProcess::spawn(child({"exit", "0"}));
    ASSERT_TRUE(c);
    ASSERT_TRUE(c->wait());
  }
  ASSERT_TRUE(first->stop(5s));
  int status = 0;
  ASSERT_EQ(::waitpid(own, &status, 0), own);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 42);
}

TEST_P(HostChildren, IsModhostChildWhileRunningAndUntilReaped) {
  auto c = ChildProcess::spawn(child({"sleep", "1000"}));
  ASSERT_TRUE(c);
  EXPECT_TRUE(is_modhost_child(c->pid()));
  EXPECT_FALSE(is_modhost_child(::getpid()));
  ASSERT_TRUE(c->stop(5s));
  EXPECT_FALSE(is_modhost_child(c->pid()));
}

// A host that reaps every child it did not spawn (a subreaper, an init) by the documented rule:
// peek with waitid(P_ALL, WNOWAIT), reap only what is_modhost_child() disowns. It runs flat out
// while modhost spawns children that exit at once (the race: a child exits before modhost has
// registered or reaped it) and while the host's own children exit. No modhost child may be
// reaped by the host, and every status arrives intact; every host child is reaped by the host.
TEST_P(HostChildren, ReaperThatAsksNeverTakesAModhostChild) {
  std::atomic<bool> done{false};
  std::mutex mutex;
  std::condition_variable reaped_cv;
  std::vector<pid_t> reaped_by_host;  // guarded by mutex
  std::thread reaper([&] {
    while (!done.load()) {
      siginfo_t info;
      memset(&info, 0, sizeof info);
      if (::waitid(P_ALL, 0, &info, WEXITED | WNOHANG | WNOWAIT) != 0 || info.si_pid == 0 ||
          is_modhost_child(info.si_pid)) {
        std::this_thread::yield();
        continue;
      }
      siginfo_t reaped;
      memset(&reaped, 0, sizeof reaped);
      if (::waitid(P_PID, static_cast<id_t>(info.si_pid), &reaped, WEXITED | WNOHANG) == 0 &&
          reaped.si_pid != 0) {
        std::lock_guard<std::mutex> lock(mutex);
        reaped_by_host.push_back(reaped.si_pid);
        reaped_cv.notify_all();
      }
    }
  });
  std::vector<pid_t> ours;
  std::vector<pid_t> host_children;
  for (int i = 0; i < 20; ++i) {
    if (i % 5 == 0) {
      pid_t own = ::fork();
      ASSERT_GE(own, 0);
      if (own == 0) ::_exit(0);
      host_children.push_back(own);
    }
    const int code = 1 + i % 50;
    auto c = ChildProcess::spawn(child({"exit", std::to_string(code)}));
    ASSERT_TRUE(c) << c.error().message();
    ours.push_back(static_cast<pid_t>(c->pid()));
    auto st = c->wait_for(30s);
    ASSERT_TRUE(st) << "iteration " << i << ": " << st.error().message();
    ASSERT_TRUE(st->has_value()) << "iteration " << i;
    EXPECT_EQ(**st, ExitStatus::exited(code)) << "iteration " << i;
  }
  // The host's own children are all reaped by the host (a generous wait for the reaper's news).
  {
    std::unique_lock<std::mutex> lock(mutex);
    reaped_cv.wait_for(lock, 30s, [&] {
      for (pid_t h : host_children) {
        if (std::count(reaped_by_host.begin(), reaped_by_host.end(), h) == 0) return false;
      }
      return true;
    });
  }
  done.store(true);
  reaper.join();
  for (pid_t h : host_children) {
    EXPECT_NE(std::count(reaped_by_host.begin(), reaped_by_host.end(), h), 0) << "host child " << h;
  }
  for (pid_t p : reaped_by_host) {
    bool host_child = std::count(host_children.begin(), host_children.end(), p) != 0;
    bool modhost_child = std::count(ours.begin(), ours.end(), p) != 0;
    EXPECT_TRUE(host_child || !modhost_child) << "the host reaped modhost's child " << p;
  }
}

// The moment between the child's start and its registration: the child has already exited (the
// hook waits for that without reaping), and a host following the rule must still leave it alone,
// because a spawn is in flight.
std::atomic<bool> g_host_reaped_in_hook{false};
std::atomic<bool> g_owned_in_hook{false};

void reap_like_a_host(pid_t pid) {
  siginfo_t info;
  memset(&info, 0, sizeof info);
  // Blocks until the child has exited, leaving it a zombie.
  while (::waitid(P_PID, static_cast<id_t>(pid), &info, WEXITED | WNOWAIT) != 0 && errno == EINTR) {
  }
  g_owned_in_hook.store(is_modhost_child(pid));
  if (!g_owned_in_hook.load()) {
    g_host_reaped_in_hook.store(::waitid(P_PID, static_cast<id_t>(pid), &info, WEXITED) == 0);
  }
}

TEST_P(HostChildren, ChildIsModhostsFromBeforeItsIdIsKnown) {
  g_host_reaped_in_hook.store(false);
  g_owned_in_hook.store(false);
  detail::set_spawned_hook_for_testing(reap_like_a_host);
  auto c = ChildProcess::spawn(child({"exit", "3"}));
  detail::set_spawned_hook_for_testing(nullptr);
  ASSERT_TRUE(c) << c.error().message();
  EXPECT_TRUE(g_owned_in_hook.load());
  EXPECT_FALSE(g_host_reaped_in_hook.load());
  auto st = c->wait_for(30s);
  ASSERT_TRUE(st) << st.error().message();
  ASSERT_TRUE(st->has_value());
  EXPECT_EQ(**st, ExitStatus::exited(3));
}

INSTANTIATE_TEST_SUITE_P(Paths, HostChildren, ::testing::ValuesIn(all_paths()), path_name);

// True when the child of a fork made while other threads run can start a thread of its own, as
// it can on Linux; qemu-user aborts there. Probed with a plain thread, before the test relies on it.
bool threads_start_after_a_threaded_fork() {
  pid_t pid = ::fork();
  if (pid == 0) {
    pthread_t t;
    if (::pthread_create(&t, nullptr, [](void*) -> void* { return nullptr; }, nullptr) != 0) {
      ::_exit(1);
    }
    ::pthread_join(t, nullptr);
    ::_exit(0);
  }
  int status = 0;
  if (pid < 0 || ::waitpid(pid, &status, 0) != pid) return false;
  return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

TEST(HostFork, ForkedHostGetsAFreshWatcher) {
#if defined(__SANITIZE_THREAD__)
  GTEST_SKIP() << "TSan refuses to start threads after a multi-threaded fork (die_after_fork)";
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
  GTEST_SKIP() << "TSan refuses to start threads after a multi-threaded fork (die_after_fork)";
#endif
#endif
  auto before = ChildProcess::spawn(child({"sleep", "1000"}));  // The watcher is running.
  ASSERT_TRUE(before);
  if (!threads_start_after_a_threaded_fork()) {
    GTEST_SKIP() << "the child of a multi-threaded fork cannot start a thread here (an emulator: "
                    "qemu-user aborts)";
  }
  pid_t forked = ::fork();
  ASSERT_GE(forked, 0);
  if (forked == 0) {
    // Only this thread exists here. The inherited `before` is not ours to touch.
    auto c = ChildProcess::spawn(child({"exit", "7"}));
    if (!c) ::_exit(1);
    auto st = c->wait_for(10s);
    if (!st || !st->has_value() || **st != ExitStatus::exited(7)) ::_exit(2);
    before->take_stdout();
    ::_exit(0);
  }
  int status = 0;
  ASSERT_EQ(::waitpid(forked, &status, 0), forked);
  EXPECT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0);
  ASSERT_TRUE(before->stop(5s));
}

// kill_on_parent_death is tested on both spawn ways, vfork and plain fork, in
// fork_path_test.cpp (ForkPath/KillOnParentDeath).

}  // namespace
}  // namespace modhost::test

#endif  // _WIN32
