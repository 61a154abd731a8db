// Unit tests of the output format and writer (src/cli/output.hpp) and of the output queue
// (src/cli/output_queue.hpp).

#include <gtest/gtest.h>

#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "cli/output.hpp"
#include "cli/output_queue.hpp"
#include "cli/terminal.hpp"

namespace modhost::cli {
namespace {

TEST(Output, LabelWidthIsAtLeastSix) {
  EXPECT_EQ(label_width({}), 6u);
  EXPECT_EQ(label_width({"web.1"}), 6u);
  EXPECT_EQ(label_width({"web.1", "worker.10"}), 9u);
}

TEST(Output, PlainLine) {
  OutputStyle s;
  s.label_width = 8;
  EXPECT_EQ(format_line(s, "12:34:56", "web.1", 0, LogLevel::Info, "hello"),
            "12:34:56 web.1    | hello\n");
  EXPECT_EQ(format_line(s, "12:34:56", "system", kSystemColor, LogLevel::Error, "x"),
            "12:34:56 system   | x\n");
}

TEST(Output, NoTimestampAndNoPrefix) {
  OutputStyle s;
  s.timestamps = false;
  EXPECT_EQ(format_line(s, "12:34:56", "web.1", 0, LogLevel::Info, "hi"), "web.1  | hi\n");
  s.prefix = false;
  EXPECT_EQ(format_line(s, "12:34:56", "web.1", 0, LogLevel::Info, "hi"), "hi\n");
}

TEST(Output, ColoursPrefixPerProcessAndTextPerLevel) {
  OutputStyle s;
  s.color = true;
  EXPECT_EQ(format_line(s, "01:02:03", "web.1", 0, LogLevel::Info, "ok"),
            "\x1b[36m01:02:03 web.1  |\x1b[0m ok\n");
  EXPECT_EQ(format_line(s, "01:02:03", "web.1", 1, LogLevel::Error, "bad"),
            "\x1b[32m01:02:03 web.1  |\x1b[0m \x1b[31mbad\x1b[0m\n");
  EXPECT_EQ(format_line(s, "01:02:03", "web.1", 2, LogLevel::Warn, "hmm"),
            "\x1b[35m01:02:03 web.1  |\x1b[0m \x1b[33mhmm\x1b[0m\n");
  EXPECT_EQ(color_for(kSystemColor), "1");
  EXPECT_EQ(color_for(8), color_for(0));  // the palette cycles
}

// A write function for the tests: records what it is given and, while `hold` is set, blocks
// until it is cleared. Shared by value, so a writer thread the queue leaves behind never touches
// a test's stack.
struct Gate {
  std::mutex mutex;
  std::condition_variable cv;
  bool hold = false;
  bool inside = false;  // a write is blocked on the gate
  int fail_from = 0;    // writes from this one on (1-based) fail with Broken; 0: none
  int calls = 0;
  std::string written;
  bool flushed = false;

  std::function<WriteStatus(std::string_view)> writer(const std::shared_ptr<Gate>& self) {
    return [self](std::string_view t) {
      std::unique_lock<std::mutex> lock(self->mutex);
      ++self->calls;
      self->inside = true;
      self->cv.notify_all();
      self->cv.wait(lock, [&] { return !self->hold; });
      self->inside = false;
      if (self->fail_from != 0 && self->calls >= self->fail_from) return WriteStatus::Broken;
      self->written.append(t);
      return WriteStatus::Ok;
    };
  }
  std::function<void()> on_flushed(const std::shared_ptr<Gate>& self) {
    return [self] {
      std::lock_guard<std::mutex> lock(self->mutex);
      self->flushed = true;
      self->cv.notify_all();
    };
  }
  template <class Pred>
  bool wait(Pred pred) {
    std::unique_lock<std::mutex> lock(mutex);
    return cv.wait_for(lock, std::chrono::seconds(30), pred);
  }
  void release() {
    std::lock_guard<std::mutex> lock(mutex);
    hold = false;
    cv.notify_all();
  }
  std::string text() {
    std::lock_guard<std::mutex> lock(mutex);
    return written;
  }
};

TEST(Output, WriterWritesWholeLinesInOrderOnItsThread) {
  auto gate = std::make_shared<Gate>();
  OutputStyle s;
  s.timestamps = true;
  OutputWriter w(s, gate->writer(gate));
  w.line(std::chrono::system_clock::now(), "web.1", 0, LogLevel::Info, "one");
  w.system("started");
  EXPECT_TRUE(gate->text().empty()) << "nothing is written before start()";
  ASSERT_TRUE(w.start().ok());
  w.close(gate->on_flushed(gate));
  ASSERT_TRUE(gate->wait([&] { return gate->flushed; }));
  OutputLoss loss = w.finish();
  EXPECT_EQ(loss.lines, 0u);
  EXPECT_TRUE(loss.flushed);
  std::string all = gate->text();
  // A local clock "HH:MM:SS", then the label column.
  auto clock_then = [](const std::string& line, const std::string& rest) {
    if (line.size() != 9 + rest.size() || line[2] != ':' || line[5] != ':' || line[8] != ' ') {
      return false;
    }
    for (std::size_t i : {0, 1, 3, 4, 6, 7}) {
      if (line[i] < '0' || line[i] > '9') return false;
    }
    return line.compare(9, std::string::npos, rest) == 0;
  };
  std::size_t nl = all.find('\n');
  ASSERT_NE(nl, std::string::npos) << all;
  EXPECT_TRUE(clock_then(all.substr(0, nl + 1), "web.1  | one\n")) << all;
  EXPECT_TRUE(clock_then(all.substr(nl + 1), "system | started\n")) << all;
}

// A batch formats its prefix once per second seen and copies it into each line: the result must
// be each record's own format_line, in every style, also when the second changes within the batch.
TEST(Output, ABatchIsFormattedAsItsLinesOneByOne) {
  using std::chrono::milliseconds;
  const auto t0 = std::chrono::system_clock::time_point(std::chrono::seconds(1764781200));
  const LogRecord base{};
  std::vector<LogRecord> records(6, base);
  const milliseconds offsets[] = {milliseconds(0), milliseconds(999), milliseconds(1000),
                                  milliseconds(1500), milliseconds(2500), milliseconds(2500)};
  const LogLevel levels[] = {LogLevel::Info, LogLevel::Warn, LogLevel::Error,
                             LogLevel::Info, LogLevel::Debug, LogLevel::Error};
  const char* const texts[] = {"one", "two", "", "four four", "five", "six"};
  for (std::size_t i = 0; i < records.size(); ++i) {
    records[i].timestamp = t0 + offsets[i];
    records[i].level = levels[i];
    records[i].line = texts[i];
  }
  for (int variant = 0; variant < 8; ++variant) {
    OutputStyle s;
    s.timestamps = (variant & 1) != 0;
    s.prefix = (variant & 2) != 0;
    s.color = (variant & 4) != 0;
    s.label_width = 8;
    std::string want;
    for (const LogRecord& r : records) {
      want += format_line(s, s.timestamps ? local_hms(r.timestamp) : std::string(), "web.1", 2,
                          r.level, r.line);
    }
    auto gate = std::make_shared<Gate>();
    OutputWriter w(s, gate->writer(gate));
    ASSERT_TRUE(w.start().ok());
    w.lines(records.data(), records.size(), "web.1", 2, PushWait::ForRoom);
    w.close(gate->on_flushed(gate));
    ASSERT_TRUE(gate->wait([&] { return gate->flushed; }));
    EXPECT_EQ(w.finish().lines, 0u);
    EXPECT_EQ(gate->text(), want) << "variant " << variant;
  }
}

TEST(Output, WriterStopsAfterAFailedWriteAndSaysSoOnce) {
  auto gate = std::make_shared<Gate>();
  gate->fail_from = 1;
  OutputStyle s;
  s.prefix = false;
  OutputWriter w(s, gate->writer(gate));
  std::mutex m;
  std::condition_variable cv;
  int reports = 0;
  w.set_on_broken([&] {
    std::lock_guard<std::mutex> lock(m);
    ++reports;
    cv.notify_all();
  });
  ASSERT_TRUE(w.start().ok());
  w.system("fails");
  {
    std::unique_lock<std::mutex> lock(m);
    ASSERT_TRUE(cv.wait_for(lock, std::chrono::seconds(30), [&] { return reports == 1; }));
  }
  EXPECT_TRUE(w.broken());
  w.system("not attempted");
  w.line({}, "x", 0, LogLevel::Info, "nor this");
  w.close(gate->on_flushed(gate));
  ASSERT_TRUE(gate->wait([&] { return gate->flushed; }));
  OutputLoss loss = w.finish();
  EXPECT_EQ(gate->calls, 1);
  EXPECT_EQ(reports, 1);
  // Nobody reads any more: what comes after is discarded, not reported as lost output.
  EXPECT_EQ(loss.lines, 0u);
}

TEST(Output, WriterSerialisesThreads) {
  std::string all;
  OutputStyle s;
  s.prefix = false;
  OutputWriter w(s, [&](std::string_view t) {
    all.append(t);  // unsynchronised on purpose: one thread writes (TSan would see otherwise)
    return WriteStatus::Ok;
  });
  ASSERT_TRUE(w.start().ok());
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&w, t] {
      for (int i = 0; i < 200; ++i) {
        w.line({}, "x", 0, LogLevel::Info, std::string(50, static_cast<char>('a' + t)));
      }
    });
  }
  for (auto& th : threads) th.join();
  std::mutex m;
  std::condition_variable cv;
  bool flushed = false;
  w.close([&] {
    std::lock_guard<std::mutex> lock(m);
    flushed = true;
    cv.notify_all();
  });
  {
    std::unique_lock<std::mutex> lock(m);
    ASSERT_TRUE(cv.wait_for(lock, std::chrono::seconds(30), [&] { return flushed; }));
  }
  EXPECT_EQ(w.finish().lines, 0u);
  ASSERT_EQ(all.size(), 4u * 200u * 51u);
  for (std::size_t i = 0; i < all.size(); i += 51) {
    EXPECT_EQ(all.find_first_not_of(all[i], i), i + 50) << "interleaved line at " << i;
    EXPECT_EQ(all[i + 50], '\n');
  }
}

// Fills a queue of `capacity` bytes whose writer is held in its first write of "first\n".
void fill_behind_held_writer(OutputQueue& q, Gate& gate, std::size_t capacity) {
  q.push("first\n", PushWait::ForRoom);
  ASSERT_TRUE(gate.wait([&] { return gate.inside; }));
  for (std::size_t queued = 6; queued + 10 <= capacity; queued += 10) {
    q.push("123456789\n", PushWait::ForRoom);
  }
}

TEST(OutputQueue, AFullQueueHoldsTheProducerUntilThereIsRoom) {
  auto gate = std::make_shared<Gate>();
  gate->hold = true;
  OutputQueue q(gate->writer(gate), 100);
  ASSERT_TRUE(q.start().ok());
  fill_behind_held_writer(q, *gate, 100);
  // This one does not fit: it waits for the writer (backpressure), and is written, not dropped.
  std::thread producer([&] { q.push("late\n", PushWait::ForRoom); });
  gate->release();
  producer.join();
  q.close(gate->on_flushed(gate));
  ASSERT_TRUE(gate->wait([&] { return gate->flushed; }));
  OutputLoss loss = q.finish();
  EXPECT_EQ(loss.lines, 0u);
  std::string all = gate->text();
  EXPECT_EQ(all.rfind("late\n"), all.size() - 5) << all;
}

TEST(OutputQueue, AfterStopWaitingAFullQueueDropsAndCounts) {
  auto gate = std::make_shared<Gate>();
  gate->hold = true;
  OutputQueue q(gate->writer(gate), 100);
  ASSERT_TRUE(q.start().ok());
  fill_behind_held_writer(q, *gate, 100);
  // A producer already waiting is let go by stop_waiting(), and so is every later one: the writer
  // is still held, so nothing but stop_waiting() can end these pushes.
  std::thread producer([&] { q.push("waiting\n", PushWait::ForRoom); });
  q.stop_waiting();
  producer.join();
  q.push("dropped\n", PushWait::ForRoom);
  gate->release();
  q.close(gate->on_flushed(gate));
  ASSERT_TRUE(gate->wait([&] { return gate->flushed; }));
  OutputLoss loss = q.finish();
  EXPECT_EQ(loss.lines, 2u);
  EXPECT_EQ(loss.bytes, 8u + 8u);
  EXPECT_TRUE(loss.flushed);
  EXPECT_EQ(gate->text().find("dropped"), std::string::npos);
}

TEST(OutputQueue, SupervisorLinesNeverWaitAndHaveRoomOfTheirOwn) {
  auto gate = std::make_shared<Gate>();
  gate->hold = true;
  OutputQueue q(gate->writer(gate), 100);
  ASSERT_TRUE(q.start().ok());
  fill_behind_held_writer(q, *gate, 100);
  // The queue is full for a process's output, and the writer is held: these return at once and
  // are kept, in the extra room of lines that never wait.
  q.push("SIGTERM received\n", PushWait::Never);
  q.push("web.1 terminated by SIGTERM\n", PushWait::Never);
  // Past that room they are dropped, still without waiting.
  q.push(std::string(70 * 1024, 'x') + "\n", PushWait::Never);
  gate->release();
  q.close(gate->on_flushed(gate));
  ASSERT_TRUE(gate->wait([&] { return gate->flushed; }));
  OutputLoss loss = q.finish();
  EXPECT_EQ(loss.lines, 1u);
  std::string all = gate->text();
  EXPECT_NE(all.find("SIGTERM received\nweb.1 terminated by SIGTERM\n"), std::string::npos) << all;
}

TEST(OutputQueue, FinishGivesUpOnAWriterThatNeverReturns) {
  auto gate = std::make_shared<Gate>();
  gate->hold = true;
  OutputQueue q(gate->writer(gate), 100);
  ASSERT_TRUE(q.start().ok());
  fill_behind_held_writer(q, *gate, 100);
  bool flushed_called = false;
  q.close([&flushed_called] { flushed_called = true; });
  // The writer is stuck in "first\n": finish() returns anyway, counting it and the 9 queued.
  OutputLoss loss = q.finish();
  EXPECT_FALSE(loss.flushed);
  EXPECT_EQ(loss.lines, 10u);
  EXPECT_EQ(loss.bytes, 6u + 9u * 10u);
  // Let the abandoned writer end; it must call nothing of this test's any more.
  gate->release();
  EXPECT_FALSE(flushed_called);
}

}  // namespace
}  // namespace modhost::cli
