// The forwarder against a reference built from the public pieces: a plain LineSplitter for the
// lines and detect_log_level for each first piece (a continuation keeps its line's level). The
// forwarder finds the lines of a chunk and the markers of the text formats its own way (blocks of
// 64 bytes, a cursor over the chunk), so random streams of every shape, cut into random chunks
// and fed with and without flushes, must give exactly the reference's records: the same bytes,
// continuation flags and levels, in the same order, through the per-record sink and the batch
// sink alike. Every chunk lives in a heap buffer of exactly its size, so a sanitizer build sees
// any read past it; it is overwritten after each feed, so a view kept too long shows as a wrong
// line. Seeded, so a failure repeats.

#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "backend/forwarder.hpp"
#include "modhost/line_splitter.hpp"
#include "modhost/log.hpp"

namespace modhost::detail {
namespace {

struct Rec {
  std::string line;
  bool continuation;
  LogLevel level;
  bool operator==(const Rec& o) const {
    return line == o.line && continuation == o.continuation && level == o.level;
  }
};

// The forwarder's documented behaviour, from the public pieces.
class Reference {
 public:
  explicit Reference(std::size_t max) : splitter_(max) {}
  void feed(std::string_view bytes) { splitter_.feed(bytes, *this); }
  void flush() { splitter_.flush(*this); }
  void finish() { splitter_.finish(*this); }
  bool has_partial() const { return splitter_.buffered() != 0; }
  std::vector<Rec> records;

  // The splitter's callback.
  void operator()(std::string_view line, bool continuation) {
    if (!continuation) level_ = detect_log_level(line);
    records.push_back({std::string(line), continuation, level_});
  }

 private:
  LineSplitter splitter_;
  LogLevel level_ = LogLevel::Info;
};

// A uniform pick in [0, n) from the generator's raw output: mt19937's sequence is the same on
// every platform, unlike the standard distributions'.
std::size_t pick(std::mt19937& rng, std::size_t n) { return rng() % n; }

std::string random_piece(std::mt19937& rng) {
  static const char* const kLevels[] = {"info", "WARN", "Error", "debug", "TRACE", "warning",
                                        "err", "fatal", "critical", "panic", "inf", "errors"};
  static const char kBytes[] = "=[]\r\n \t\"{}:,.-TZ0123456789aEeRrOoIiNnFfWw\x1b\xff";
  const std::string level = kLevels[pick(rng, sizeof kLevels / sizeof kLevels[0])];
  switch (pick(rng, 9)) {
    case 0: return "2026-11-26T18:00:00." + std::string(pick(rng, 10), '1') + "Z" +
                   std::string(1 + pick(rng, 3), ' ') + level + " w3: msg";
    case 1: return "{\"level\":\"" + level + "\",\"seq\":\"1\",\"msg\":\"x\"}";
    case 2: return "ts=2026-11-26T18:00:00.000Z level=" + level + " seq=1 msg=x";
    case 3: return "0000000000 " + std::string(pick(rng, 120), 'x');
    case 4: return "[" + level + "] bracketed";
    case 5: return " lvl=\"" + level + "\" q";
    case 6: return std::string(pick(rng, 300), "xyz=["[pick(rng, 5)]);
    case 7: return pick(rng, 2) == 0 ? "\r\n" : "\n";
    default: {
      std::string s;
      for (std::size_t i = pick(rng, 40); i != 0; --i) s += kBytes[pick(rng, sizeof kBytes - 1)];
      return s;
    }
  }
}

std::string random_stream(std::mt19937& rng) {
  std::string s;
  const std::size_t target = pick(rng, 3000);
  while (s.size() < target) {
    s += random_piece(rng);
    // Most pieces end their line, as logs do; the rest run into the next piece.
    if (pick(rng, 4) != 0) s += pick(rng, 6) == 0 ? "\r\n" : "\n";
  }
  return s;
}

struct Tested {
  std::vector<Rec> records;
  void take(const LogRecord& r) {
    records.push_back({std::string(r.line), r.continuation, r.level});
    EXPECT_EQ(r.module, "m");
    EXPECT_EQ(r.stream, StreamKind::Stderr);
  }
};

void run_case(std::uint32_t seed) {
  std::mt19937 rng(seed);
  static const std::size_t kMax[] = {1, 2, 3, 7, 64, 65, 100, 1024, 64 * 1024};
  const std::size_t max = kMax[pick(rng, sizeof kMax / sizeof kMax[0])];
  const std::string stream = random_stream(rng);
  // Chunk sizes: tiny, around a block, and whole reads.
  static const std::size_t kChunk[] = {1, 5, 63, 64, 65, 200, 1000, 5000};
  const std::size_t chunk_max = kChunk[pick(rng, sizeof kChunk / sizeof kChunk[0])];
  const bool flushes = pick(rng, 2) == 0;

  Reference ref(max);
  Tested one, many;
  const LogSink sink = [&one](const LogRecord& r) { one.take(r); };
  const LogBatchSink batch = [&many](const LogRecord* records, std::size_t count) {
    for (std::size_t i = 0; i < count; ++i) many.take(records[i]);
  };
  const LogSink no_sink;
  const RecordTarget batch_target{no_sink, batch};
  StreamForwarder a(StreamKind::Stderr, max), b(StreamKind::Stderr, max);
  const RecordContext context{"m", Uuid()};
  const auto now = std::chrono::system_clock::now();

  for (std::size_t at = 0; at < stream.size();) {
    const std::size_t n = std::min(stream.size() - at, pick(rng, chunk_max + 1));
    std::unique_ptr<char[]> bytes(new char[n == 0 ? 1 : n]);
    if (n != 0) std::memcpy(bytes.get(), stream.data() + at, n);
    const std::string_view chunk(bytes.get(), n);
    ref.feed(chunk);
    a.feed(chunk, context, sink, now);
    b.feed(chunk, context, batch_target, now);
    std::memset(bytes.get(), '#', n == 0 ? 1 : n);
    if (flushes && pick(rng, 3) == 0) {
      ref.flush();
      a.flush(context, sink, now);
      b.flush(context, batch_target, now);
    }
    ASSERT_EQ(a.has_partial(), ref.has_partial()) << "seed " << seed;
    ASSERT_EQ(b.has_partial(), ref.has_partial()) << "seed " << seed;
    at += n;
  }
  ref.finish();
  a.finish(context, sink, now);
  b.finish(context, batch_target, now);

  for (const Tested* t : {&one, &many}) {
    ASSERT_EQ(t->records.size(), ref.records.size()) << "seed " << seed << " max " << max;
    for (std::size_t i = 0; i < ref.records.size(); ++i) {
      ASSERT_TRUE(t->records[i] == ref.records[i])
          << "seed " << seed << " max " << max << " record " << i << ": got \""
          << t->records[i].line << "\" " << t->records[i].continuation << " "
          << to_string(t->records[i].level) << ", want \"" << ref.records[i].line << "\" "
          << ref.records[i].continuation << " " << to_string(ref.records[i].level);
    }
  }
}

TEST(ForwarderDifferential, RandomStreamsGiveTheReferenceRecords) {
  for (std::uint32_t seed = 1; seed <= 3000; ++seed) {
    run_case(seed);
    if (HasFatalFailure()) return;
  }
}

// Lines of the bench's shapes, each exactly 64 bytes, in chunks that start on a line: every line
// then fills one block of the forwarder's newline scan, with its '\n' the block's last byte.
TEST(ForwarderDifferential, BlockAlignedLinesGiveTheReferenceRecords) {
  struct Shape {
    const char* head;
    LogLevel level;
  };
  for (const Shape& shape : {Shape{"2026-11-26T18:00:00.000Z  WARN w3: ", LogLevel::Warn},
                             Shape{"{\"level\":\"error\",\"m\":\"", LogLevel::Error},
                             Shape{"ts=2026-11-26T18:00:00.000Z level=debug m=", LogLevel::Debug},
                             Shape{"0000000000 ", LogLevel::Info},
                             Shape{"a=b [trace] ", LogLevel::Trace}}) {
    const char* head = shape.head;
    std::string line = head;
    line.resize(63, 'x');
    line += '\n';
    std::string stream;
    for (int i = 0; i < 300; ++i) stream += line;
    Reference ref(64 * 1024);
    Tested one;
    const LogSink sink = [&one](const LogRecord& r) { one.take(r); };
    StreamForwarder fw(StreamKind::Stderr, 64 * 1024);
    for (std::size_t at = 0; at < stream.size(); at += 64 * 64) {
      std::string_view chunk = std::string_view(stream).substr(at, 64 * 64);
      ref.feed(chunk);
      fw.feed(chunk, {"m", Uuid()}, sink, std::chrono::system_clock::now());
    }
    ASSERT_EQ(one.records.size(), 300u);
    ASSERT_EQ(ref.records.size(), 300u);
    for (std::size_t i = 0; i < 300; ++i) EXPECT_TRUE(one.records[i] == ref.records[i]) << head;
    EXPECT_EQ(one.records[299].level, shape.level) << head;
  }
}

}  // namespace
}  // namespace modhost::detail
