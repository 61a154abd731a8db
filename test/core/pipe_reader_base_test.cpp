// The portable half of the PipeReader (src/modhost_pipe_reader.hpp): the timeout computation,
// and the wake-up, deadline and stop logic run through a reader whose "OS" is a condition
// variable, so no pipe or port is involved.

#include <gtest/gtest.h>

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <thread>

#include "modhost_pipe_reader.hpp"

namespace modhost::detail {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

TEST(PipeReaderTimeout, NoDeadlineWaitsWithoutTimeout) {
  EXPECT_EQ(pipe_reader_timeout_ms(Clock::time_point::max(), Clock::now()), -1);
}

TEST(PipeReaderTimeout, DueOrPastDeadlineIsZero) {
  const Clock::time_point now = Clock::now();
  EXPECT_EQ(pipe_reader_timeout_ms(now, now), 0);
  EXPECT_EQ(pipe_reader_timeout_ms(now - 5s, now), 0);
  EXPECT_EQ(pipe_reader_timeout_ms(now - 1ns, now), 0);
}

TEST(PipeReaderTimeout, RoundsUpToWholeMilliseconds) {
  const Clock::time_point now = Clock::now();
  EXPECT_EQ(pipe_reader_timeout_ms(now + 1ns, now), 1);
  EXPECT_EQ(pipe_reader_timeout_ms(now + 1ms, now), 1);
  EXPECT_EQ(pipe_reader_timeout_ms(now + 1500us, now), 2);
  EXPECT_EQ(pipe_reader_timeout_ms(now + 30s, now), 30000);
}

TEST(PipeReaderTimeout, FarFutureIsClampedToOneDay) {
  const Clock::time_point now = Clock::now();
  constexpr int kDay = 24 * 3600 * 1000;
  EXPECT_EQ(pipe_reader_timeout_ms(now + 24h, now), kDay);
  EXPECT_EQ(pipe_reader_timeout_ms(now + 24h + 1ms, now), kDay);
  EXPECT_EQ(pipe_reader_timeout_ms(now + 100000h, now), kDay);
  EXPECT_EQ(pipe_reader_timeout_ms(Clock::time_point::max() - 1ns, now), kDay);
}

// Counts on_wake calls; can hold the reader's thread inside on_wake until released.
class WakeCounter final : public PipeReaderHandler {
 public:
  void on_data(std::uint64_t, std::string_view) override {}
  void on_eof(std::uint64_t) override {}
  void on_wake() override {
    std::unique_lock<std::mutex> lock(mutex_);
    ++wakes_;
    changed_.notify_all();
    changed_.wait(lock, [&] { return !hold_; });
  }

  // Makes the next on_wake calls wait in on_wake until release().
  void hold() {
    std::lock_guard<std::mutex> lock(mutex_);
    hold_ = true;
  }
  void release() {
    std::lock_guard<std::mutex> lock(mutex_);
    hold_ = false;
    changed_.notify_all();
  }
  // Waits up to 5 s for on_wake to have run `n` times in all; returns the count.
  int wait_for_wakes(int n) {
    std::unique_lock<std::mutex> lock(mutex_);
    changed_.wait_for(lock, 5s, [&] { return wakes_ >= n; });
    return wakes_;
  }
  int wakes() {
    std::lock_guard<std::mutex> lock(mutex_);
    return wakes_;
  }

 private:
  std::mutex mutex_;
  std::condition_variable changed_;
  int wakes_ = 0;
  bool hold_ = false;
};

// A reader whose wake signal is a counter and a condition variable, and which has no pipes.
class FakeReader final : public PipeReaderBase {
 public:
  explicit FakeReader(PipeReaderHandler& handler) : PipeReaderBase(handler) {}
  ~FakeReader() override { stop(); }

  Result<void> start() { return start_thread(); }
  Result<void> add(std::uint64_t, Pipe) override { return Error(errc::unsupported, "no pipes"); }
  void remove(std::uint64_t) override {}

  // How many signals the base asked for in all.
  int posted() {
    std::lock_guard<std::mutex> lock(mutex());
    return posted_;
  }
  // How many times shut_down ran.
  int shut_downs() {
    std::lock_guard<std::mutex> lock(mutex());
    return shut_downs_;
  }

 private:
  void post_wake_signal() noexcept override {
    ++posted_;
    ++queued_;
    signal_.notify_one();
  }
  bool wait_and_deliver(int timeout_ms) override {
    std::unique_lock<std::mutex> lock(mutex());
    auto signalled = [&] { return queued_ > 0; };
    if (timeout_ms < 0) {
      signal_.wait(lock, signalled);
    } else {
      signal_.wait_for(lock, std::chrono::milliseconds(timeout_ms), signalled);
    }
    const bool came = queued_ > 0;
    queued_ = 0;
    lock.unlock();
    return came ? take_wake() : false;
  }
  void shut_down() override {
    std::lock_guard<std::mutex> lock(mutex());
    ++shut_downs_;
  }

  std::condition_variable signal_;
  int posted_ = 0;      // Guarded by mutex().
  int queued_ = 0;      // Guarded by mutex().
  int shut_downs_ = 0;  // Guarded by mutex().
};

TEST(PipeReaderBase, WakeRunsOnWakeOnce) {
  WakeCounter handler;
  FakeReader reader(handler);
  ASSERT_TRUE(reader.start());
  reader.wake();
  EXPECT_EQ(handler.wait_for_wakes(1), 1);
  std::this_thread::sleep_for(50ms);
  EXPECT_EQ(handler.wakes(), 1);
}

TEST(PipeReaderBase, DeadlineRunsOnWakeWhenDueThenIsCleared) {
  WakeCounter handler;
  FakeReader reader(handler);
  ASSERT_TRUE(reader.start());
  const Clock::time_point start = Clock::now();
  reader.set_deadline(start + 30ms);
  EXPECT_EQ(handler.wait_for_wakes(1), 1);
  EXPECT_GE(Clock::now() - start, 30ms);
  std::this_thread::sleep_for(100ms);
  EXPECT_EQ(handler.wakes(), 1);
}

TEST(PipeReaderBase, ClearedDeadlineDoesNotRunOnWake) {
  WakeCounter handler;
  FakeReader reader(handler);
  ASSERT_TRUE(reader.start());
  reader.set_deadline(Clock::now() + 20ms);
  reader.set_deadline(Clock::time_point::max());
  std::this_thread::sleep_for(100ms);
  EXPECT_EQ(handler.wakes(), 0);
}

TEST(PipeReaderBase, RequestsBeforeTheThreadTakesTheSignalCostOneSignal) {
  WakeCounter handler;
  FakeReader reader(handler);
  ASSERT_TRUE(reader.start());
  handler.hold();
  reader.wake();
  ASSERT_EQ(handler.wait_for_wakes(1), 1);  // The thread is now held inside on_wake.
  EXPECT_EQ(reader.posted(), 1);
  reader.wake();
  reader.wake();
  reader.set_deadline(Clock::time_point::max());
  EXPECT_EQ(reader.posted(), 2);
  handler.release();
  EXPECT_EQ(handler.wait_for_wakes(2), 2);  // The wake() calls while held: one on_wake.
  std::this_thread::sleep_for(50ms);
  EXPECT_EQ(handler.wakes(), 2);
  EXPECT_EQ(reader.posted(), 2);
}

TEST(PipeReaderBase, ConcurrentStopsJoinOnceAndShutDownOnce) {
  WakeCounter handler;
  FakeReader reader(handler);
  ASSERT_TRUE(reader.start());
  std::thread a([&] { reader.stop(); });
  std::thread b([&] { reader.stop(); });
  a.join();
  b.join();
  EXPECT_EQ(reader.shut_downs(), 1);
  reader.stop();
  EXPECT_EQ(reader.shut_downs(), 1);
}

}  // namespace
}  // namespace modhost::detail
