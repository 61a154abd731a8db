// Win32 only: the tool's console control handler (platform/win32/cli/signals.cpp). Wine does not
// generate console control events, so the handler is called the way the system's event thread
// calls it. The close event must hold the process open until the run is over (Windows ends the
// process when the handler returns), within the ~5 s Windows allows; the other events return at
// once.
#ifdef _WIN32

#include <gtest/gtest.h>
#include <windows.h>

#include <chrono>
#include <condition_variable>
#include <future>
#include <mutex>
#include <vector>

#include "../../platform/win32/cli/console_events.hpp"
#include "cli/signals.hpp"

namespace modhost::cli::test {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

class Recorder {
 public:
  std::function<void(const SignalEvent&)> callback() {
    return [this](const SignalEvent& e) {
      std::lock_guard<std::mutex> lock(mutex_);
      events_.push_back(e.signal);
      limits_.push_back(e.ends_process_within);
      cv_.notify_all();
    };
  }
  // The ends_process_within of the first event of `signal` (wait_for it first).
  std::chrono::milliseconds limit_of(Signal signal) {
    std::lock_guard<std::mutex> lock(mutex_);
    for (std::size_t i = 0; i < events_.size(); ++i) {
      if (events_[i] == signal) return limits_[i];
    }
    return std::chrono::milliseconds(-1);
  }
  bool wait_for(Signal signal) {
    std::unique_lock<std::mutex> lock(mutex_);
    return cv_.wait_for(lock, 30s, [&] {
      for (Signal s : events_) {
        if (s == signal) return true;
      }
      return false;
    });
  }

 private:
  std::mutex mutex_;
  std::condition_variable cv_;
  std::vector<Signal> events_;
  std::vector<std::chrono::milliseconds> limits_;
};

TEST(Win32ToolSignals, CloseEventWaitsForTheRunToEnd) {
  Recorder recorder;
  auto watcher = SignalWatcher::start(recorder.callback());
  ASSERT_TRUE(watcher) << watcher.error().message();
  const auto t0 = Clock::now();
  auto handled = std::async(std::launch::async, [] {
    return win32::handle_console_event_for_testing(CTRL_CLOSE_EVENT);
  });
  ASSERT_TRUE(recorder.wait_for(Signal::Hangup));
  // The event says how long Windows leaves the tool, so the stop's grace is cut to fit it
  // (StopGrace.*): the handler holds the process 4.5 s.
  EXPECT_EQ(recorder.limit_of(Signal::Hangup), 4500ms);
  // Still holding the process open: the run (the stop of the children) is not over.
  EXPECT_EQ(handled.wait_for(300ms), std::future_status::timeout)
      << "the close handler returned before the run was over: Windows would end the tool now";
  watcher->reset();
  ASSERT_EQ(handled.wait_for(30s), std::future_status::ready);
  EXPECT_NE(handled.get(), 0);
  // It returned because the run ended, not because its own cap ran out.
  EXPECT_LT(Clock::now() - t0, 4s);
}

TEST(Win32ToolSignals, OtherEventsReturnAtOnceAndNoWatcherMeansDefault) {
  Recorder recorder;
  {
    auto watcher = SignalWatcher::start(recorder.callback());
    ASSERT_TRUE(watcher) << watcher.error().message();
    EXPECT_NE(win32::handle_console_event_for_testing(CTRL_BREAK_EVENT), 0);
    EXPECT_TRUE(recorder.wait_for(Signal::Terminate));
    EXPECT_EQ(recorder.limit_of(Signal::Terminate), 0ms) << "Ctrl-Break sets no limit";
  }
  // Without a watcher the event is not handled (the default handler ends the process), and a
  // close event does not wait for a run that does not exist.
  const auto t0 = Clock::now();
  EXPECT_EQ(win32::handle_console_event_for_testing(CTRL_CLOSE_EVENT), 0);
  EXPECT_LT(Clock::now() - t0, 4s);
}

}  // namespace
}  // namespace modhost::cli::test

#endif  // _WIN32
