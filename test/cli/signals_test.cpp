// Unit tests of the POSIX SignalWatcher, in the test process itself: which signals it takes, the
// mask and dispositions it sets and restores, SIGPIPE. The test binary has no thread of its own
// besides the main one; the library's threads (left by the Tool* tests) block every signal, so
// while a watcher lives, its thread is the only one that can take the handled signals.

#include <gtest/gtest.h>

#if !defined(_WIN32)

#include <errno.h>
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <vector>

#include "cli/signals.hpp"

namespace modhost::cli::test {
namespace {

constexpr std::chrono::seconds kPatience{30};

// Collects the watcher's events and lets the test wait for them (no sleeps).
class Recorder {
 public:
  std::function<void(const SignalEvent&)> callback() {
    return [this](const SignalEvent& e) {
      std::lock_guard<std::mutex> lock(mutex_);
      events_.push_back(e);
      cv_.notify_all();
    };
  }

  // Waits until `count` events arrived; returns them (fewer after kPatience).
  std::vector<SignalEvent> wait_for(std::size_t count) {
    std::unique_lock<std::mutex> lock(mutex_);
    cv_.wait_for(lock, kPatience, [&] { return events_.size() >= count; });
    return events_;
  }

 private:
  std::mutex mutex_;
  std::condition_variable cv_;
  std::vector<SignalEvent> events_;
};

sigset_t current_mask() {
  sigset_t mask;
  sigemptyset(&mask);
  pthread_sigmask(SIG_BLOCK, nullptr, &mask);
  return mask;
}

bool same_mask(const sigset_t& a, const sigset_t& b) {
  for (int sig = 1; sig < NSIG; ++sig) {
    if (sigismember(&a, sig) != sigismember(&b, sig)) return false;
  }
  return true;
}

constexpr int kHandled[] = {SIGINT, SIGTERM, SIGHUP, SIGUSR1, SIGUSR2, SIGPIPE};

TEST(SignalWatcher, BlocksTheHandledSignalsWhileItLivesAndRestoresTheMask) {
  sigset_t before = current_mask();
  {
    Recorder rec;
    auto watcher = SignalWatcher::start(rec.callback());
    ASSERT_TRUE(watcher.ok()) << watcher.error().message();
    sigset_t during = current_mask();
    for (int sig : kHandled) EXPECT_EQ(sigismember(&during, sig), 1) << signal_number_name(sig);
  }
  EXPECT_TRUE(same_mask(before, current_mask()));
}

TEST(SignalWatcher, OnlyOneAtATime) {
  Recorder rec;
  auto first = SignalWatcher::start(rec.callback());
  ASSERT_TRUE(first.ok()) << first.error().message();
  auto second = SignalWatcher::start(rec.callback());
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.error().code(), make_error_code(errc::invalid_argument));
}

// The case that hung the old design under TSan: the thread that would otherwise take the signal
// has it blocked (as the library's spawn blocks everything for a moment), so the kernel can only
// hand it to the watcher's thread. A handler interrupting that thread in read() was deferred by
// TSan until the read returned, which with SA_RESTART was never; sigwaitinfo() just returns it.
// Many rounds: after the first, the watcher's thread is usually back in its wait when the next
// signal comes (the old thread, still starting up, could run a deferred handler on its way to
// read()). Built with TSan, the old design failed this test in 9 runs out of 10.
TEST(SignalWatcher, TakesAProcessDirectedSignalWhileTheSenderBlocksEverything) {
  Recorder rec;
  auto watcher = SignalWatcher::start(rec.callback());
  ASSERT_TRUE(watcher.ok()) << watcher.error().message();
  constexpr std::size_t kRounds = 100;
  for (std::size_t round = 1; round <= kRounds; ++round) {
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    int sent = ::kill(::getpid(), SIGUSR1);
    pthread_sigmask(SIG_SETMASK, &old, nullptr);
    ASSERT_EQ(sent, 0);
    ASSERT_EQ(rec.wait_for(round).size(), round) << "signal " << round << " was never reported";
  }
  for (const SignalEvent& e : rec.wait_for(kRounds)) {
    EXPECT_EQ(e.signal, Signal::User1);
    EXPECT_TRUE(e.sent_by_process);
  }
}

TEST(SignalWatcher, ReportsEachSignalInOrder) {
  Recorder rec;
  auto watcher = SignalWatcher::start(rec.callback());
  ASSERT_TRUE(watcher.ok()) << watcher.error().message();
  // One at a time: two different pending signals would be taken lowest number first.
  const Signal sent[] = {Signal::User2, Signal::Hangup, Signal::User1};
  for (std::size_t i = 0; i < 3; ++i) {
    ASSERT_EQ(::kill(::getpid(), signal_number(sent[i])), 0);
    ASSERT_EQ(rec.wait_for(i + 1).size(), i + 1);
  }
  auto events = rec.wait_for(3);
  for (std::size_t i = 0; i < 3; ++i) {
    EXPECT_EQ(events[i].signal, sent[i]) << i;
    EXPECT_TRUE(events[i].sent_by_process) << i;
  }
}

// An ignored disposition (nohup ignores SIGHUP) is set to the default while the watcher lives, so
// the signal is queued for it on every system, and put back afterwards.
TEST(SignalWatcher, TakesAnIgnoredSignalAndRestoresTheDisposition) {
  struct sigaction ign {}, old {};
  ign.sa_handler = SIG_IGN;
  sigemptyset(&ign.sa_mask);
  ASSERT_EQ(::sigaction(SIGHUP, &ign, &old), 0);
  {
    Recorder rec;
    auto watcher = SignalWatcher::start(rec.callback());
    ASSERT_TRUE(watcher.ok()) << watcher.error().message();
    ASSERT_EQ(::kill(::getpid(), signal_number(Signal::Hangup)), 0);
    auto events = rec.wait_for(1);
    ASSERT_EQ(events.size(), 1u);
    EXPECT_EQ(events[0].signal, Signal::Hangup);
  }
  struct sigaction now {};
  ::sigaction(SIGHUP, nullptr, &now);
  EXPECT_EQ(now.sa_handler, SIG_IGN);
  ::sigaction(SIGHUP, &old, nullptr);
}

// A write to a closed pipe fails with EPIPE instead of ending the process, and the SIGPIPE it
// raised is not left pending to end the process once the mask is restored.
TEST(SignalWatcher, WriteToAClosedPipeFailsWithEpipe) {
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  ::close(fds[0]);
  {
    Recorder rec;
    auto watcher = SignalWatcher::start(rec.callback());
    ASSERT_TRUE(watcher.ok()) << watcher.error().message();
    char byte = 'x';
    errno = 0;
    EXPECT_EQ(::write(fds[1], &byte, 1), -1);
    EXPECT_EQ(errno, EPIPE);
  }
  ::close(fds[1]);
  sigset_t pending;
  sigemptyset(&pending);
  ::sigpending(&pending);
  EXPECT_EQ(sigismember(&pending, SIGPIPE), 0);
}

}  // namespace
}  // namespace modhost::cli::test

#endif  // !_WIN32
