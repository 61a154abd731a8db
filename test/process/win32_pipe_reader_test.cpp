// Win32 only: the IOCP PipeReader (platform/win32/pipe_reader.cpp) beyond the shared backend
// tests: more pipes than WaitForMultipleObjects could wait on, remove() and stop() while reads are
// in flight (the kernel must hand every OVERLAPPED back before it is freed), deadlines, stop() from
// several threads at once, and a reader thread the OS refuses. (Exits do not go through the
// reader: win32_exit_test.cpp covers the exit watcher.)
#ifdef _WIN32

#include <gtest/gtest.h>
#include <windows.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "modhost/child_process.hpp"
#include "modhost_platform.hpp"

namespace modhost::detail {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

class Recorder final : public PipeReaderHandler {
 public:
  void on_data(std::uint64_t key, std::string_view bytes) override {
    std::lock_guard<std::mutex> lock(mutex_);
    if (eofs_.count(key) != 0) ++after_eof_;
    bytes_[key] += bytes.size();
  }
  void on_eof(std::uint64_t key) override {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (!eofs_.insert(key).second) ++after_eof_;
    }
    cv_.notify_all();
  }
  void on_wake() override {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      wakes_.push_back(Clock::now());
    }
    cv_.notify_all();
  }

  // Waits until `pred` holds (checked under the lock) or 60 s pass.
  template <class Pred>
  bool wait(Pred pred) {
    std::unique_lock<std::mutex> lock(mutex_);
    return cv_.wait_for(lock, 60s, [&] { return pred(); });
  }

  std::mutex mutex_;
  std::condition_variable cv_;
  std::map<std::uint64_t, std::size_t> bytes_;
  std::set<std::uint64_t> eofs_;
  std::vector<Clock::time_point> wakes_;
  int after_eof_ = 0;
};

SpawnOptions child(std::vector<std::string> args) {
  SpawnOptions o;
  o.program = MODHOST_TEST_CHILD;
  o.args = std::move(args);
  o.stdout_mode = Stdio::Pipe;
  return o;
}

TEST(Win32PipeReader, HundredPipesOnOneThread) {
  constexpr int kChildren = 100;
  Recorder rec;
  auto reader = start_pipe_reader(rec);
  ASSERT_TRUE(reader) << reader.error().message();
  std::vector<ChildProcess> children;
  for (int i = 0; i < kChildren; ++i) {
    auto c = ChildProcess::spawn(child({"lines", "50", "20"}));
    ASSERT_TRUE(c) << c.error().message();
    ASSERT_TRUE((*reader)->add(static_cast<std::uint64_t>(i), c->take_stdout()));
    children.push_back(std::move(*c));
  }
  EXPECT_TRUE(rec.wait([&] { return rec.eofs_.size() == kChildren; }))
      << rec.eofs_.size() << " of " << kChildren << " pipes reached EOF";
  std::lock_guard<std::mutex> lock(rec.mutex_);
  for (int i = 0; i < kChildren; ++i) {
    EXPECT_EQ(rec.bytes_[static_cast<std::uint64_t>(i)], 50u * 21u) << "pipe " << i;
  }
  EXPECT_EQ(rec.after_eof_, 0);
}

TEST(Win32PipeReader, RemoveAndStopWithReadsInFlight) {
  Recorder rec;
  auto reader = start_pipe_reader(rec);
  ASSERT_TRUE(reader);
  std::vector<ChildProcess> children;
  for (int i = 0; i < 10; ++i) {
    auto c = ChildProcess::spawn(child({"sleep", "1000"}));
    ASSERT_TRUE(c);
    ASSERT_TRUE((*reader)->add(static_cast<std::uint64_t>(i), c->take_stdout()));
    children.push_back(std::move(*c));
  }
  // Half are removed while their reads are pending; the rest are closed by stop().
  for (int i = 0; i < 5; ++i) (*reader)->remove(static_cast<std::uint64_t>(i));
  EXPECT_FALSE((*reader)->add(7, Pipe()));  // invalid pipe
  auto t0 = Clock::now();
  (*reader)->stop();
  EXPECT_LT(Clock::now() - t0, 10s);
  (*reader)->stop();  // idempotent
  std::lock_guard<std::mutex> lock(rec.mutex_);
  EXPECT_TRUE(rec.eofs_.empty());  // removal and stop deliver no on_eof
  EXPECT_TRUE(rec.bytes_.empty());
}

TEST(Win32PipeReader, DeadlineAndWake) {
  Recorder rec;
  auto reader = start_pipe_reader(rec);
  ASSERT_TRUE(reader);
  auto t0 = Clock::now();
  (*reader)->set_deadline(t0 + 150ms);
  ASSERT_TRUE(rec.wait([&] { return rec.wakes_.size() == 1; }));
  {
    std::lock_guard<std::mutex> lock(rec.mutex_);
    EXPECT_GE(rec.wakes_[0] - t0, 150ms);  // never early
  }
  (*reader)->wake();
  ASSERT_TRUE(rec.wait([&] { return rec.wakes_.size() == 2; }));
  // A cleared deadline does not fire.
  (*reader)->set_deadline(Clock::now() + 50ms);
  (*reader)->set_deadline(Clock::time_point::max());
  std::unique_lock<std::mutex> lock(rec.mutex_);
  EXPECT_FALSE(rec.cv_.wait_for(lock, 300ms, [&] { return rec.wakes_.size() > 2; }));
}

// stop() may be called by several threads at once (the owner's destructor racing an explicit
// stop): the thread is joined exactly once and every caller returns after it ended. Two joins of
// one std::thread, which a joinable() check made outside the lock would allow, end the program.
TEST(Win32PipeReader, ConcurrentStopsJoinOnce) {
  for (int round = 0; round < 20; ++round) {
    Recorder rec;
    auto reader = start_pipe_reader(rec);
    ASSERT_TRUE(reader) << reader.error().message();
    PipeReader* raw = reader->get();
    std::atomic<int> ready{0};
    std::atomic<bool> go{false};
    std::vector<std::thread> stoppers;
    for (int i = 0; i < 4; ++i) {
      stoppers.emplace_back([&] {
        ++ready;
        while (!go.load()) std::this_thread::yield();
        raw->stop();
      });
    }
    while (ready.load() < 4) std::this_thread::yield();
    go.store(true);
    raw->stop();
    for (auto& t : stoppers) t.join();
    // After every stop() returned, the reader is stopped: it refuses new pipes.
    auto c = ChildProcess::spawn(child({"exit", "0"}));
    ASSERT_TRUE(c) << c.error().message();
    Result<void> added = raw->add(1, c->take_stdout());
    ASSERT_FALSE(added);
    EXPECT_EQ(added.error().code(), make_error_code(errc::cancelled));
  }
}

// The reader's thread is a detail::Thread: when the OS refuses it, start_pipe_reader reports an
// Error (std::thread would have thrown), and the next start works.
TEST(Win32PipeReader, RefusedThreadIsAnError) {
  Recorder rec;
  fail_thread_starts_for_testing(1);
  auto refused = start_pipe_reader(rec);
  fail_thread_starts_for_testing(0);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code(), std::error_code(ERROR_NOT_ENOUGH_MEMORY, std::system_category()));
  EXPECT_NE(refused.error().message().find("cannot start the pipe reader thread"), std::string::npos)
      << refused.error().message();
  auto reader = start_pipe_reader(rec);
  ASSERT_TRUE(reader) << reader.error().message();
  (*reader)->set_deadline(Clock::now());
  EXPECT_TRUE(rec.wait([&] { return !rec.wakes_.empty(); }));
}

}  // namespace
}  // namespace modhost::detail

#endif  // _WIN32
