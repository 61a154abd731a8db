#include <gtest/gtest.h>

#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "modhost/line_splitter.hpp"

namespace modhost {
namespace {

struct Piece {
  std::string text;
  bool continuation;
  friend bool operator==(const Piece& a, const Piece& b) {
    return a.text == b.text && a.continuation == b.continuation;
  }
};

std::ostream& operator<<(std::ostream& os, const Piece& p) {
  return os << "{\"" << p.text << "\", " << (p.continuation ? "cont" : "first") << "}";
}

struct Collector {
  std::vector<Piece> pieces;
  std::size_t max_seen = 0;
  void operator()(std::string_view line, bool continuation) {
    pieces.push_back({std::string(line), continuation});
    if (line.size() > max_seen) max_seen = line.size();
  }
};

std::vector<Piece> split_at_once(std::string_view input, std::size_t max) {
  LineSplitter s(max);
  Collector c;
  s.feed(input, std::ref(c));
  s.finish(std::ref(c));
  return c.pieces;
}

TEST(LineSplitter, SplitsOnNewlineAndStripsCrlf) {
  auto pieces = split_at_once("one\ntwo\r\n\nthree", 100);
  std::vector<Piece> want = {{"one", false}, {"two", false}, {"", false}, {"three", false}};
  EXPECT_EQ(pieces, want);
}

TEST(LineSplitter, LoneCrIsKeptAsAByte) {
  auto pieces = split_at_once("a\rb\n\r\rc\r", 100);
  std::vector<Piece> want = {{"a\rb", false}, {"\r\rc\r", false}};
  EXPECT_EQ(pieces, want);
}

TEST(LineSplitter, PartialLineKeptAcrossFeeds) {
  LineSplitter s(100);
  Collector c;
  s.feed("hel", std::ref(c));
  EXPECT_TRUE(c.pieces.empty());
  EXPECT_EQ(s.buffered(), 3u);
  s.feed("lo\nwor", std::ref(c));
  s.feed("ld\n", std::ref(c));
  std::vector<Piece> want = {{"hello", false}, {"world", false}};
  EXPECT_EQ(c.pieces, want);
  EXPECT_EQ(s.buffered(), 0u);
}

TEST(LineSplitter, CrlfSplitAcrossTwoFeeds) {
  LineSplitter s(100);
  Collector c;
  s.feed("line\r", std::ref(c));
  s.feed("\nnext\r", std::ref(c));
  s.feed("\n", std::ref(c));
  std::vector<Piece> want = {{"line", false}, {"next", false}};
  EXPECT_EQ(c.pieces, want);
}

TEST(LineSplitter, CrlfStraddlingAFullBuffer) {
  // max 4: "abc\r" fills the buffer; the '\n' that follows makes the '\r' a terminator.
  LineSplitter s(4);
  Collector c;
  s.feed("abc\r", std::ref(c));
  s.feed("\nabc\r", std::ref(c));
  s.feed("x\n", std::ref(c));
  std::vector<Piece> want = {{"abc", false}, {"abc", false}, {"\rx", true}};
  EXPECT_EQ(c.pieces, want);
}

TEST(LineSplitter, FinishEmitsLastLineWithoutNewlineAndResets) {
  LineSplitter s(100);
  Collector c;
  s.feed("a\nlast", std::ref(c));
  s.finish(std::ref(c));
  s.finish(std::ref(c));  // Nothing more.
  std::vector<Piece> want = {{"a", false}, {"last", false}};
  EXPECT_EQ(c.pieces, want);
  EXPECT_EQ(s.buffered(), 0u);
  s.feed("again\n", std::ref(c));
  EXPECT_EQ(c.pieces.back(), (Piece{"again", false}));
}

TEST(LineSplitter, FinishKeepsALoneTrailingCr) {
  auto pieces = split_at_once("x\r", 100);
  std::vector<Piece> want = {{"x\r", false}};
  EXPECT_EQ(pieces, want);
}

TEST(LineSplitter, FlushEmitsPartialAndMarksTheRestAsContinuation) {
  LineSplitter s(100);
  Collector c;
  s.feed("abc", std::ref(c));
  s.flush(std::ref(c));
  s.flush(std::ref(c));  // Nothing buffered: nothing emitted.
  s.feed("def\nghi", std::ref(c));
  s.flush(std::ref(c));
  s.feed("\n", std::ref(c));  // Ends a line already fully emitted: no empty record.
  s.feed("\n", std::ref(c));  // A real empty line.
  std::vector<Piece> want = {{"abc", false}, {"def", true}, {"ghi", false}, {"", false}};
  EXPECT_EQ(c.pieces, want);
}

TEST(LineSplitter, FlushHoldsBackATrailingCr) {
  LineSplitter s(100);
  Collector c;
  s.feed("abc\r", std::ref(c));
  s.flush(std::ref(c));
  EXPECT_EQ(s.buffered(), 1u);
  s.feed("\n", std::ref(c));
  std::vector<Piece> want = {{"abc", false}};
  EXPECT_EQ(c.pieces, want);
  s.feed("\r", std::ref(c));
  s.flush(std::ref(c));  // Only the '\r': held back, nothing emitted.
  s.finish(std::ref(c));
  want.push_back({"\r", false});
  EXPECT_EQ(c.pieces, want);
}

TEST(LineSplitter, LongLinesAreSplitIntoPieces) {
  auto pieces = split_at_once("abcdefghij\nxy\n", 4);
  std::vector<Piece> want = {{"abcd", false}, {"efgh", true}, {"ij", true}, {"xy", false}};
  EXPECT_EQ(pieces, want);
  // A line of exactly max bytes is one piece.
  auto exact = split_at_once("abcd\nefgh", 4);
  std::vector<Piece> want_exact = {{"abcd", false}, {"efgh", false}};
  EXPECT_EQ(exact, want_exact);
}

TEST(LineSplitter, ZeroMaxIsOne) {
  LineSplitter s(0);
  EXPECT_EQ(s.max_line_length(), 1u);
  auto pieces = split_at_once("ab\r\n\r\n", 1);
  std::vector<Piece> want = {{"a", false}, {"b", true}, {"", false}};
  EXPECT_EQ(pieces, want);
}

TEST(LineSplitter, BinaryBytesPassThrough) {
  std::string in("a\0b\xff\xfe\n\0\n", 8);
  auto pieces = split_at_once(in, 100);
  std::vector<Piece> want = {{std::string("a\0b\xff\xfe", 5), false}, {std::string("\0", 1), false}};
  EXPECT_EQ(pieces, want);
}

TEST(LineSplitter, OneMebibyteLineInPieces) {
  constexpr std::size_t kMax = LineSplitter::kDefaultMaxLineLength;
  std::string big(1024 * 1024, 'x');
  for (std::size_t i = 0; i < big.size(); ++i) big[i] = static_cast<char>('a' + i % 26);
  LineSplitter s;
  Collector c;
  // Fed the way a pipe delivers it: 4 KiB at a time.
  std::string input = big + "\nafter\n";
  for (std::size_t off = 0; off < input.size(); off += 4096) {
    s.feed(std::string_view(input).substr(off, 4096), std::ref(c));
    EXPECT_LE(s.buffered(), kMax);
  }
  s.finish(std::ref(c));
  ASSERT_EQ(c.pieces.size(), 16u + 1u);
  std::string joined;
  for (std::size_t i = 0; i < 16; ++i) {
    EXPECT_EQ(c.pieces[i].text.size(), kMax);
    EXPECT_EQ(c.pieces[i].continuation, i != 0);
    joined += c.pieces[i].text;
  }
  EXPECT_EQ(joined, big);
  EXPECT_EQ(c.pieces[16], (Piece{"after", false}));
  EXPECT_LE(c.max_seen, kMax);
}

TEST(LineSplitter, FastPathEmitsViewsIntoTheChunk) {
  LineSplitter s(100);
  std::string chunk = "first\nsecond\n";
  std::vector<const char*> starts;
  s.feed(chunk, [&](std::string_view line, bool) { starts.push_back(line.data()); });
  ASSERT_EQ(starts.size(), 2u);
  EXPECT_EQ(starts[0], chunk.data());
  EXPECT_EQ(starts[1], chunk.data() + 6);
}

// A byte-at-a-time reference of the documented machine (see line_splitter_impl.hpp).
std::vector<Piece> reference_split(std::string_view input, std::size_t max) {
  std::vector<Piece> out;
  std::string buf;
  bool continuing = false;
  for (char c : input) {
    if (c == '\n') {
      std::string content = buf;
      if (!content.empty() && content.back() == '\r') content.pop_back();
      if (!(content.empty() && continuing)) out.push_back({content, continuing});
      continuing = false;
      buf.clear();
    } else {
      if (buf.size() == max) {
        if (max > 1 && buf.back() == '\r') {
          out.push_back({buf.substr(0, buf.size() - 1), continuing});
          buf = "\r";
        } else {
          out.push_back({buf, continuing});
          buf.clear();
        }
        continuing = true;
      }
      buf += c;
    }
  }
  if (!buf.empty()) out.push_back({buf, continuing});
  return out;
}

// Property: however the input is cut into feeds, the output is the same as feeding it at once,
// equals the byte-at-a-time reference, and the pieces joined are the input minus terminators.
TEST(LineSplitter, RandomChunkingGivesTheSameOutput) {
  std::mt19937 rng(12345);
  const char alphabet[] = {'a', 'b', '\r', '\n', '\0', '\xff'};
  for (int iter = 0; iter < 3000; ++iter) {
    std::size_t len = rng() % 200;
    std::string input;
    for (std::size_t i = 0; i < len; ++i) input += alphabet[rng() % sizeof alphabet];
    std::size_t max = 1 + rng() % 12;

    auto expected = reference_split(input, max);
    ASSERT_EQ(split_at_once(input, max), expected) << "max " << max;

    LineSplitter s(max);
    Collector c;
    std::size_t off = 0;
    while (off < input.size()) {
      std::size_t n = rng() % 9;  // Includes empty feeds.
      s.feed(std::string_view(input).substr(off, n), std::ref(c));
      ASSERT_LE(s.buffered(), max);
      off += n;
    }
    s.finish(std::ref(c));
    ASSERT_EQ(c.pieces, expected) << "max " << max;
    ASSERT_LE(c.max_seen, max);

    // Joined pieces equal the input without its terminators.
    std::string joined;
    for (const auto& p : c.pieces) joined += p.text;
    std::string stripped;
    for (std::size_t i = 0; i < input.size(); ++i) {
      if (input[i] == '\n') {
        if (!stripped.empty() && i > 0 && input[i - 1] == '\r') stripped.pop_back();
        continue;
      }
      stripped += input[i];
    }
    ASSERT_EQ(joined, stripped);
  }
}

}  // namespace
}  // namespace modhost
