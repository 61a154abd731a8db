// A host that makes life hard: threads that cannot be created (injected, and RLIMIT_NPROC for
// real), a low RLIMIT_NOFILE, closed fds 0-2, and a stderr that is a broken pipe. Each gets an
// Error naming what failed, or works; none crashes, hangs, leaks, or changes the caller's signal
// mask. Each runs in a fresh process, since each changes process-wide state first.

#ifndef _WIN32  // Resource limits, fds 0-2, setuid and SIGPIPE are POSIX matters.

#include <fcntl.h>
#include <signal.h>
#include <sys/resource.h>
#include <unistd.h>

#include <cstring>
#include <string>
#include <vector>

#include "../helper/fresh_process.hpp"
#include "modhost/log.hpp"
#include "process_test_util.hpp"

namespace modhost::test {
namespace {

using namespace std::chrono_literals;

bool same_mask(const sigset_t& a, const sigset_t& b) {
  for (int sig = 1; sig < NSIG; ++sig) {
    if (sigismember(&a, sig) != sigismember(&b, sig)) return false;
  }
  return true;
}

sigset_t current_mask() {
  sigset_t mask;
  ::pthread_sigmask(SIG_BLOCK, nullptr, &mask);
  return mask;
}

// The exit watcher's thread is the first thread a spawn needs: when it cannot start, the spawn is
// an Error (EAGAIN), nothing is started, the caller's mask is unchanged, and the next spawn works.
TEST(Hostile, WatcherThreadFailureIsAnErrorAndTheNextSpawnWorks) {
  MODHOST_IN_FRESH_PROCESS([] {
    sigset_t before = current_mask();
    detail::fail_thread_starts_for_testing(1);
    auto c = ChildProcess::spawn(child({"exit", "0"}));
    if (c) return 1;
    if (c.error().code() != std::error_code(EAGAIN, std::system_category())) return 2;
    if (c.error().message().find("cannot start the exit watcher thread") == std::string::npos) {
      return 3;
    }
    if (!list_children().empty()) return 4;
    if (!same_mask(before, current_mask())) return 5;
    auto again = ChildProcess::spawn(child({"exit", "3"}));
    if (!again) return 6;
    auto st = again->wait();
    return st && *st == ExitStatus::exited(3) ? 0 : 7;
  });
}

// RLIMIT_NPROC for real: as an unprivileged user allowed one process (this one), no thread and no
// child can be created. Needs root to become that user.
TEST(Hostile, RlimitNprocGivesErrorsNotCrashes) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root to switch to the unprivileged user 65534";
  MODHOST_IN_FRESH_PROCESS([] {
    if (::setgid(65534) != 0 || ::setuid(65534) != 0) return 1;
    struct rlimit saved;
    ::getrlimit(RLIMIT_NPROC, &saved);
    struct rlimit one = {1, saved.rlim_max};
    if (::setrlimit(RLIMIT_NPROC, &one) != 0) return 2;
    sigset_t before = current_mask();
    auto c = ChildProcess::spawn(child({"exit", "0"}));
    if (c) return 3;
    if (c.error().code() != std::error_code(EAGAIN, std::system_category())) return 4;
    if (!same_mask(before, current_mask())) return 5;
    if (::setrlimit(RLIMIT_NPROC, &saved) != 0) return 6;
    auto again = ChildProcess::spawn(child({"exit", "3"}));
    if (!again) return 7;
    auto st = again->wait();
    return st && *st == ExitStatus::exited(3) ? 0 : 8;
  });
}

// With 16 descriptors, spawns with pipes run out: each failure says what could not be made, with
// EMFILE, and leaks nothing; the children that did start are stopped normally; with the limit
// raised, spawns work again.
TEST(Hostile, LowFdLimitGivesErrorsAndLeaksNothing) {
  MODHOST_IN_FRESH_PROCESS([] {
    for (bool sigchld : {false, true}) {
      detail::set_exit_fallback_for_testing(sigchld);
      std::vector<ChildProcess> alive;
      {
        // The watcher exists before the limit is lowered in one round, not in the other.
        auto warm = ChildProcess::spawn(child({"exit", "0"}));
        if (!warm || !warm->wait()) return 1;
      }
      struct rlimit saved;
      ::getrlimit(RLIMIT_NOFILE, &saved);
      struct rlimit low = {16, saved.rlim_max};
      if (::setrlimit(RLIMIT_NOFILE, &low) != 0) return 2;
      int fds_before = count_open_fds();
      bool failed = false;
      for (int i = 0; i < 16 && !failed; ++i) {
        SpawnOptions o = child({"sleep", "1000"});
        o.stdin_mode = Stdio::Pipe;
        o.stderr_mode = Stdio::Pipe;
        auto c = ChildProcess::spawn(o);
        if (c) {
          alive.push_back(std::move(*c));
          continue;
        }
        failed = true;
        if (c.error().code() != std::error_code(EMFILE, std::system_category())) return 3;
        if (c.error().message().rfind("failed to spawn process: ", 0) != 0) return 4;
      }
      if (!failed) return 5;
      int per_child = count_open_fds() - fds_before;
      if (per_child != static_cast<int>(alive.size()) * (sigchld ? 3 : 4)) return 6;
      for (auto& c : alive) {
        auto r = c.stop(10s);
        if (!r || r->status != ExitStatus::signaled(SIGTERM)) return 7;
      }
      alive.clear();
      if (count_open_fds() != fds_before) return 8;
      if (::setrlimit(RLIMIT_NOFILE, &saved) != 0) return 9;
      auto again = ChildProcess::spawn(child({"exit", "3"}));
      if (!again || !again->wait()) return 10;
    }
    return list_children().empty() ? 0 : 11;
  });
}

// A host that closed 0, 1 and 2: modhost's own descriptors never take those numbers (a write to
// "stderr" would land in them, and a child would inherit them as its stdio).
TEST(Hostile, ClosedStdioIsNeverReusedForLibraryFds) {
  MODHOST_IN_FRESH_PROCESS([] {
    ::close(0);
    ::close(1);
    ::close(2);
    for (bool sigchld : {false, true}) {
      detail::set_exit_fallback_for_testing(sigchld);
      SpawnOptions o = child({"sleep", "1000"});
      o.stdin_mode = Stdio::Pipe;
      o.stderr_mode = Stdio::Pipe;
      auto c = ChildProcess::spawn(o);
      if (!c) return 1;
      for (int fd = 0; fd <= 2; ++fd) {
        if (::fcntl(fd, F_GETFD) != -1) return 2;
      }
      // A wait with a token makes an eventfd for its wake-up: it too stays above 2.
      CancellationToken token;
      auto w = c->wait_for(10ms, &token);
      if (!w || w->has_value()) return 3;
      for (int fd = 0; fd <= 2; ++fd) {
        if (::fcntl(fd, F_GETFD) != -1) return 4;
      }
      auto r = c->stop(10s);
      if (!r || r->status != ExitStatus::signaled(SIGTERM)) return 5;
    }
    return 0;
  });
}

// The default sink writes to stderr; when stderr is a pipe nobody reads any more, that must not
// kill the host with SIGPIPE (at its default disposition), on any thread.
TEST(Hostile, DefaultSinkNeverRaisesSigpipe) {
  MODHOST_IN_FRESH_PROCESS([] {
    if (!make_stderr_a_broken_pipe()) return 1;
    LogRecord r;
    r.line = "a record nobody will read";
    stderr_sink()(r);
    stderr_sink()(r);
    sigset_t pending;
    ::sigpending(&pending);
    return sigismember(&pending, SIGPIPE) ? 3 : 0;
  });
}

}  // namespace
}  // namespace modhost::test

#endif  // _WIN32
