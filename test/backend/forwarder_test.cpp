// The per-stream forwarder: lines to records with context and detected levels, continuations,
// bytes passed through unchanged, bounded memory, the last line at EOF.

#include "backend/forwarder.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

namespace modhost::detail {
namespace {

struct Captured {
  LogLevel level;
  std::string module;
  Uuid id;
  std::optional<StreamKind> stream;
  std::string line;
  bool continuation;
};

struct Capture {
  std::vector<Captured> records;
  LogSink sink() {
    return [this](const LogRecord& r) {
      records.push_back({r.level, std::string(r.module), r.instance_id, r.stream, std::string(r.line),
                         r.continuation});
    };
  }
};

const auto kNow = std::chrono::system_clock::now();

TEST(Forwarder, LinesCarryContextAndDetectedLevel) {
  Capture c;
  LogSink sink = c.sink();
  Uuid id = Uuid::new_v7();
  StreamForwarder fw(StreamKind::Stderr, 1024);
  fw.feed("2026-11-26T18:00:00Z ERROR api: boom\nplain line\n{\"level\":\"warn\"}\n",
          {"api", id}, sink, kNow);
  ASSERT_EQ(c.records.size(), 3u);
  EXPECT_EQ(c.records[0].level, LogLevel::Error);
  EXPECT_EQ(c.records[0].module, "api");
  EXPECT_EQ(c.records[0].id, id);
  EXPECT_EQ(c.records[0].stream, StreamKind::Stderr);
  EXPECT_EQ(c.records[0].line, "2026-11-26T18:00:00Z ERROR api: boom");
  EXPECT_EQ(c.records[1].level, LogLevel::Info);
  EXPECT_EQ(c.records[2].level, LogLevel::Warn);
}

TEST(Forwarder, LineSplitAcrossReadsIsOneRecord) {
  Capture c;
  LogSink sink = c.sink();
  StreamForwarder fw(StreamKind::Stdout, 1024);
  fw.feed("hel", {"m", Uuid()}, sink, kNow);
  EXPECT_TRUE(fw.has_partial());
  fw.feed("lo\r", {"m", Uuid()}, sink, kNow);
  fw.feed("\nnext", {"m", Uuid()}, sink, kNow);
  ASSERT_EQ(c.records.size(), 1u);
  EXPECT_EQ(c.records[0].line, "hello");
  fw.finish({"m", Uuid()}, sink, kNow);  // a last line without a newline is delivered at EOF
  ASSERT_EQ(c.records.size(), 2u);
  EXPECT_EQ(c.records[1].line, "next");
  EXPECT_FALSE(fw.has_partial());
}

TEST(Forwarder, ContinuationKeepsTheFirstPieceLevel) {
  Capture c;
  LogSink sink = c.sink();
  StreamForwarder fw(StreamKind::Stdout, 8);
  fw.feed("[ERROR] a long line that is split\n", {"m", Uuid()}, sink, kNow);
  ASSERT_GE(c.records.size(), 4u);
  std::string joined;
  for (std::size_t i = 0; i < c.records.size(); ++i) {
    EXPECT_EQ(c.records[i].level, LogLevel::Error);
    EXPECT_EQ(c.records[i].continuation, i != 0);
    EXPECT_LE(c.records[i].line.size(), 8u);
    joined += c.records[i].line;
  }
  EXPECT_EQ(joined, "[ERROR] a long line that is split");
}

TEST(Forwarder, InvalidUtf8PassesThrough) {
  Capture c;
  LogSink sink = c.sink();
  StreamForwarder fw(StreamKind::Stdout, 1024);
  static const char kBad[] = "\xff\xfe\x80 bad \xc3\x28\0nul\n";
  std::string bad(kBad, sizeof kBad - 1);
  fw.feed(bad + "after\n", {"m", Uuid()}, sink, kNow);
  ASSERT_EQ(c.records.size(), 2u);
  EXPECT_EQ(c.records[0].line, bad.substr(0, bad.size() - 1));
  EXPECT_EQ(c.records[1].line, "after");
}

TEST(Forwarder, HugeLineIsBoundedAndComplete) {
  std::size_t pieces = 0, bytes = 0, max_piece = 0;
  bool first_is_not_continuation = false;
  LogSink sink = [&](const LogRecord& r) {
    if (pieces == 0) first_is_not_continuation = !r.continuation;
    ++pieces;
    bytes += r.line.size();
    max_piece = std::max(max_piece, r.line.size());
  };
  StreamForwarder fw(StreamKind::Stdout, 64 * 1024);
  std::string chunk(64 * 1024, 'a');
  for (int i = 0; i < 1024; ++i) {  // 64 MiB without a newline
    fw.feed(chunk, {"m", Uuid()}, sink, kNow);
  }
  fw.finish({"m", Uuid()}, sink, kNow);
  EXPECT_EQ(bytes, 64u * 1024 * 1024);
  EXPECT_EQ(max_piece, 64u * 1024);
  EXPECT_EQ(pieces, 1024u);
  EXPECT_TRUE(first_is_not_continuation);
}

TEST(Forwarder, FlushEmitsPartialAndMarksTheRestAsContinuation) {
  Capture c;
  LogSink sink = c.sink();
  StreamForwarder fw(StreamKind::Stdout, 1024);
  fw.feed("WARN progress: 10%", {"m", Uuid()}, sink, kNow);
  fw.flush({"m", Uuid()}, sink, kNow);
  fw.feed(" done\n", {"m", Uuid()}, sink, kNow);
  ASSERT_EQ(c.records.size(), 2u);
  EXPECT_EQ(c.records[0].line, "WARN progress: 10%");
  EXPECT_FALSE(c.records[0].continuation);
  EXPECT_EQ(c.records[1].line, " done");
  EXPECT_TRUE(c.records[1].continuation);
  EXPECT_EQ(c.records[1].level, c.records[0].level);
}

// The batch sink gets exactly the records the per-record sink gets, in the same order, whatever
// the chunking: lines inside a read, lines completed from an earlier read, over-long pieces,
// flushed partial lines and the last line at EOF. Every view is copied during its call, so a
// view that went stale before its batch was delivered would show as a wrong line.
TEST(Forwarder, BatchSinkGetsTheSameRecordsAsTheSink) {
  std::string stream;
  for (int i = 0; i < 700; ++i) {
    stream += (i % 7 == 0 ? "2026-11-26T18:00:00Z  WARN w: line " : "line ") + std::to_string(i);
    stream += i % 50 == 0 ? std::string(300, 'y') + "\r\n" : "\n";
  }
  stream += "last without newline";
  for (std::size_t chunk : {1u, 7u, 64u, 333u, 4096u, 100000u}) {
    Capture one, many;
    std::size_t calls = 0, largest = 0;
    LogSink sink = one.sink();
    LogSink many_sink = many.sink();
    LogBatchSink batch = [&](const LogRecord* records, std::size_t count) {
      ++calls;
      largest = std::max(largest, count);
      for (std::size_t i = 0; i < count; ++i) many_sink(records[i]);
    };
    const LogSink no_sink;
    const RecordTarget target{no_sink, batch};
    StreamForwarder a(StreamKind::Stdout, 256), b(StreamKind::Stdout, 256);
    for (std::size_t at = 0; at < stream.size(); at += chunk) {
      std::string piece = stream.substr(at, chunk);
      a.feed(piece, {"m", Uuid()}, sink, kNow);
      b.feed(piece, {"m", Uuid()}, target, kNow);
      // The piece is overwritten at once, as the poll thread's read buffer is by the next read:
      // nothing of it may be looked at after feed() returned.
      piece.assign(piece.size(), '#');
      if (at % (chunk * 5) == 0) {
        a.flush({"m", Uuid()}, sink, kNow);
        b.flush({"m", Uuid()}, target, kNow);
      }
    }
    a.finish({"m", Uuid()}, sink, kNow);
    b.finish({"m", Uuid()}, target, kNow);
    ASSERT_EQ(many.records.size(), one.records.size()) << "chunk " << chunk;
    for (std::size_t i = 0; i < one.records.size(); ++i) {
      EXPECT_EQ(many.records[i].line, one.records[i].line) << "chunk " << chunk << " record " << i;
      EXPECT_EQ(many.records[i].level, one.records[i].level);
      EXPECT_EQ(many.records[i].continuation, one.records[i].continuation);
    }
    EXPECT_LE(largest, kMaxBatchRecords);
    if (chunk >= 4096) {
      EXPECT_LT(calls, one.records.size()) << "records were not batched";
    }
  }
}

}  // namespace
}  // namespace modhost::detail
