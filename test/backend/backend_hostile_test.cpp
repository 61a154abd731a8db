// The backend in a hostile host: no descriptor left for its wake-up pipe, a stderr nobody reads
// (the default sink must not kill the host with SIGPIPE), and SIGCHLD blocked in every thread of
// a host whose kernel has pidfds. Each runs in a fresh process, since each changes process-wide
// state first.

#ifndef _WIN32  // Resource limits and SIGPIPE are POSIX matters.

#include <fcntl.h>
#include <signal.h>
#include <sys/resource.h>
#include <unistd.h>

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <string>
#include <vector>

#include "../helper/fresh_process.hpp"
#include "backend_test_util.hpp"
#include "modhost_platform.hpp"

namespace modhost::test {
namespace {

using namespace std::chrono_literals;

// Waits (bounded) until `n` instances have ended; the sink and on_exit run on the poll thread.
struct ExitCounter {
  std::mutex mu;
  std::condition_variable cv;
  int exits = 0;
  void add() {
    {
      std::lock_guard<std::mutex> lock(mu);
      ++exits;
    }
    cv.notify_all();
  }
  bool wait(int n) {
    std::unique_lock<std::mutex> lock(mu);
    return cv.wait_for(lock, 20s, [&] { return exits >= n; });
  }
};

TEST(LocalBackendHostile, NoDescriptorLeftIsAnErrorFromCreate) {
  MODHOST_IN_FRESH_PROCESS([] {
    // The same failure path once first, with descriptors to spare (a refused thread instead of a
    // missing pipe). Not for modhost's sake: UBSan checks the dynamic type of an object the first
    // time a virtual call meets its type, and that check opens a pipe; with no descriptor left it
    // reports a false "invalid vptr" (for the error category, the shared_ptr control blocks a
    // failed create() releases). Once the types are known it opens nothing.
    detail::fail_thread_starts_for_testing(1);
    auto warm = LocalProcessBackend::create(CancellationToken(), LocalBackendOptions());
    if (warm || warm.error().message().empty()) return 8;
    struct rlimit saved;
    ::getrlimit(RLIMIT_NOFILE, &saved);
    // Every descriptor up to the limit taken: the wake-up pipe cannot be made.
    struct rlimit tight = {16, saved.rlim_max};
    if (::setrlimit(RLIMIT_NOFILE, &tight) != 0) return 1;
    std::vector<int> hogs;
    for (int fd; (fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC)) >= 0;) hogs.push_back(fd);
    auto failed = LocalProcessBackend::create(CancellationToken(), LocalBackendOptions());
    // Descriptors back before anything else is looked at (the checks above apply to the test's
    // own code too).
    for (int fd : hogs) ::close(fd);
    if (::setrlimit(RLIMIT_NOFILE, &saved) != 0) return 7;
    if (failed) return 2;
    if (failed.error().code() != std::error_code(EMFILE, std::system_category())) return 3;
    ExitCounter counter;
    LocalBackendOptions o;
    o.sink = [](const LogRecord&) {};
    o.on_exit = [&](const InstanceStatus&) { counter.add(); };
    auto works = LocalProcessBackend::create(CancellationToken(), o);
    if (!works) return 4;
    if (!(*works)->spawn_instance(child_config("m", {"exit", "0"}))) return 5;
    return counter.wait(1) ? 0 : 6;
  });
}

// The default sink on every thread it runs on (the poll thread, here) writes to a stderr whose
// reader is gone: the host lives on, SIGPIPE at its default disposition notwithstanding.
TEST(LocalBackendHostile, DefaultSinkOnABrokenStderrDoesNotKillTheHost) {
  MODHOST_IN_FRESH_PROCESS([] {
    if (!make_stderr_a_broken_pipe()) return 1;
    ExitCounter counter;
    LocalBackendOptions o;  // the default sink
    o.on_exit = [&](const InstanceStatus&) { counter.add(); };
    auto backend = LocalProcessBackend::create(CancellationToken(), o);
    if (!backend) return 3;
    if (!(*backend)->spawn_instance(child_config("m", {"lines", "100", "40", "3"}))) return 4;
    return counter.wait(1) ? 0 : 5;
  });
}

// A host that blocks every signal in every thread still gets each instance's exit, with its
// status: at once with pidfds (no SIGCHLD involved), within a second on the SIGCHLD path (the
// backend suite runs a second time with that path forced).
TEST(LocalBackendHostile, SigchldBlockedEverywhereStillReportsExitsWithStatus) {
  MODHOST_IN_FRESH_PROCESS([] {
    sigset_t all;
    sigfillset(&all);
    ::pthread_sigmask(SIG_BLOCK, &all, nullptr);
    ExitCounter counter;
    std::vector<InstanceStatus> ends;
    LocalBackendOptions o;
    o.sink = [](const LogRecord&) {};
    o.on_exit = [&](const InstanceStatus& s) {
      {
        std::lock_guard<std::mutex> lock(counter.mu);
        ends.push_back(s);
      }
      counter.add();
    };
    auto backend = LocalProcessBackend::create(CancellationToken(), o);
    if (!backend) return 1;
    for (int i = 0; i < 3; ++i) {
      if (!(*backend)->spawn_instance(child_config("m", {"exit", std::to_string(i + 1)}))) return 2;
      if (!counter.wait(i + 1)) return 3;
    }
    std::lock_guard<std::mutex> lock(counter.mu);
    for (int i = 0; i < 3; ++i) {
      if (ends[static_cast<std::size_t>(i)].exit_status != ExitStatus::exited(i + 1)) return 4;
    }
    return 0;
  });
}

}  // namespace
}  // namespace modhost::test

#endif  // _WIN32
