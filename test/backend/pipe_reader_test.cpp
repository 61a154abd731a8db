// The POSIX PipeReader, driven with raw pipes and processes: data, EOF, removal, deadlines, exit
// watches, fairness under volume, and stop().

#include "modhost_platform.hpp"

#if defined(MODHOST_PLATFORM_POSIX)

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <chrono>
#include <condition_variable>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <thread>

extern char** environ;

namespace modhost::detail {
namespace {

using namespace std::chrono_literals;

// Records every event; tests wait on it with a generous bound (a hang is the failure).
class RecordingHandler : public PipeReaderHandler {
 public:
  void on_data(std::uint64_t key, std::string_view bytes) override {
    std::lock_guard<std::mutex> lock(mutex_);
    data_[key].append(bytes);
    cv_.notify_all();
  }
  void on_eof(std::uint64_t key) override {
    std::lock_guard<std::mutex> lock(mutex_);
    eofs_.insert(key);
    cv_.notify_all();
  }
  void on_wake() override {
    std::lock_guard<std::mutex> lock(mutex_);
    ++wakes_;
    wake_times_.push_back(std::chrono::steady_clock::now());
    cv_.notify_all();
  }
  template <class P>
  bool wait(P pred, std::chrono::milliseconds bound = 10s) {
    std::unique_lock<std::mutex> lock(mutex_);
    return cv_.wait_for(lock, bound, [&] { return pred(*this); });
  }

  std::mutex mutex_;
  std::condition_variable cv_;
  std::map<std::uint64_t, std::string> data_;
  std::set<std::uint64_t> eofs_;
  int wakes_ = 0;
  std::vector<std::chrono::steady_clock::time_point> wake_times_;
};

struct RawPipe {
  int read = -1;
  int write = -1;
  RawPipe() {
    int fds[2];
    EXPECT_EQ(::pipe2(fds, O_CLOEXEC), 0);
    read = fds[0];
    write = fds[1];
  }
  ~RawPipe() {
    if (write >= 0) ::close(write);
  }
  void put(const std::string& s) {
    ASSERT_EQ(::write(write, s.data(), s.size()), static_cast<ssize_t>(s.size()));
  }
  void close_write() {
    ::close(write);
    write = -1;
  }
};

std::unique_ptr<PipeReader> start(RecordingHandler& h) {
  auto r = start_pipe_reader(h);
  EXPECT_TRUE(r.ok());
  return std::move(*r);
}

TEST(PipeReader, DeliversDataThenEof) {
  RecordingHandler h;
  auto reader = start(h);
  RawPipe p;
  ASSERT_TRUE(reader->add(7, Pipe(p.read)).ok());
  p.put("hello ");
  p.put("world\n");
  p.close_write();
  ASSERT_TRUE(h.wait([](RecordingHandler& s) { return s.eofs_.count(7) == 1; }));
  EXPECT_EQ(h.data_[7], "hello world\n");
  reader->stop();
}

TEST(PipeReader, ManyPipesOneThread) {
  RecordingHandler h;
  auto reader = start(h);
  std::vector<std::unique_ptr<RawPipe>> pipes;
  for (int i = 0; i < 100; ++i) {
    pipes.push_back(std::make_unique<RawPipe>());
    ASSERT_TRUE(reader->add(static_cast<std::uint64_t>(i), Pipe(pipes.back()->read)).ok());
  }
  for (int i = 0; i < 100; ++i) {
    pipes[static_cast<std::size_t>(i)]->put("pipe " + std::to_string(i));
    pipes[static_cast<std::size_t>(i)]->close_write();
  }
  ASSERT_TRUE(h.wait([](RecordingHandler& s) { return s.eofs_.size() == 100; }));
  for (int i = 0; i < 100; ++i) EXPECT_EQ(h.data_[static_cast<std::uint64_t>(i)], "pipe " + std::to_string(i));
  reader->stop();
}

TEST(PipeReader, LargeVolumeArrivesInOrder) {
  RecordingHandler h;
  auto reader = start(h);
  RawPipe a, b;
  ASSERT_TRUE(reader->add(1, Pipe(a.read)).ok());
  ASSERT_TRUE(reader->add(2, Pipe(b.read)).ok());
  std::string expect_a, expect_b;
  for (int i = 0; i < 100000; ++i) {
    expect_a += "a" + std::to_string(i) + "\n";
    expect_b += "b" + std::to_string(i) + "\n";
  }
  std::thread wa([&] { a.put(expect_a); a.close_write(); });
  std::thread wb([&] { b.put(expect_b); b.close_write(); });
  wa.join();
  wb.join();
  ASSERT_TRUE(h.wait([](RecordingHandler& s) { return s.eofs_.size() == 2; }));
  EXPECT_EQ(h.data_[1], expect_a);
  EXPECT_EQ(h.data_[2], expect_b);
  reader->stop();
}

TEST(PipeReader, RemoveClosesWithoutEof) {
  RecordingHandler h;
  auto reader = start(h);
  RawPipe p;
  int fd = p.read;
  ASSERT_TRUE(reader->add(3, Pipe(p.read)).ok());
  reader->remove(3);
  // Two wake round trips: the removed fd is closed between rounds, before the second on_wake.
  reader->wake();
  ASSERT_TRUE(h.wait([](RecordingHandler& s) { return s.wakes_ >= 1; }));
  reader->wake();
  ASSERT_TRUE(h.wait([](RecordingHandler& s) { return s.wakes_ >= 2; }));
  EXPECT_EQ(::fcntl(fd, F_GETFD), -1);
  p.close_write();
  reader->wake();
  ASSERT_TRUE(h.wait([](RecordingHandler& s) { return s.wakes_ >= 3; }));
  EXPECT_EQ(h.eofs_.count(3), 0u);
  reader->stop();
}

TEST(PipeReader, DeadlineWakesNotBefore) {
  RecordingHandler h;
  auto reader = start(h);
  auto t0 = std::chrono::steady_clock::now();
  reader->set_deadline(t0 + 50ms);
  ASSERT_TRUE(h.wait([](RecordingHandler& s) { return s.wakes_ >= 1; }));
  EXPECT_GE(h.wake_times_[0], t0 + 50ms);
  // The deadline fires once: a new one is needed for the next wake.
  reader->set_deadline(std::chrono::steady_clock::now() + 10ms);
  ASSERT_TRUE(h.wait([](RecordingHandler& s) { return s.wakes_ >= 2; }));
  reader->stop();
  EXPECT_EQ(h.wakes_, 2);
}

TEST(PipeReader, ClearedDeadlineDoesNotFire) {
  RecordingHandler h;
  auto reader = start(h);
  reader->set_deadline(std::chrono::steady_clock::now() + 30ms);
  reader->set_deadline(std::chrono::steady_clock::time_point::max());
  // Proving that nothing happens takes time: three times the cleared deadline.
  EXPECT_FALSE(h.wait([](RecordingHandler& s) { return s.wakes_ > 0; }, 100ms));
  reader->stop();
  EXPECT_EQ(h.wakes_, 0);
}

TEST(PipeReader, StopClosesRegisteredPipes) {
  RecordingHandler h;
  auto reader = start(h);
  RawPipe p;
  int fd = p.read;
  ASSERT_TRUE(reader->add(1, Pipe(p.read)).ok());
  reader->stop();
  EXPECT_EQ(::fcntl(fd, F_GETFD), -1);
  EXPECT_FALSE(reader->add(2, Pipe(::dup(p.write))).ok());
  reader->stop();  // idempotent
}

TEST(PipeReader, DuplicateKeyIsRejected) {
  RecordingHandler h;
  auto reader = start(h);
  RawPipe a, b;
  ASSERT_TRUE(reader->add(1, Pipe(a.read)).ok());
  EXPECT_FALSE(reader->add(1, Pipe(b.read)).ok());
  reader->stop();
}

}  // namespace
}  // namespace modhost::detail

#endif  // MODHOST_PLATFORM_POSIX
