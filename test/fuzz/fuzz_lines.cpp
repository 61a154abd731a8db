// libFuzzer target for LineSplitter and detect_log_level.
//
// Input layout: byte 0 picks the maximum line length, byte 1 seeds the chunking, the rest is the
// stream. The stream is fed three ways (at once; in chunks; in chunks with flushes) and the
// invariants the header documents are checked: chunking changes nothing, the pieces joined give the
// stream minus its line terminators, no piece and no buffer exceeds the maximum. Every piece goes
// through detect_log_level from an exactly sized heap copy, so ASan sees any read past its end, and
// its result must equal the reference detector's (log_level_reference.cpp), which has none of
// the fast paths. The stream also goes through the backend's StreamForwarder, in chunks that are
// exactly sized heap copies, and its records must be the splitter's pieces with the levels of
// detect_log_level: the forwarder finds lines and markers its own way (64-byte blocks, a cursor
// over the chunk), and ASan sees any read past a chunk.

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "backend/forwarder.hpp"
#include "log_level_reference.hpp"
#include "modhost/line_splitter.hpp"
#include "modhost/log.hpp"

namespace {

struct Piece {
  std::string text;
  bool continuation;
};

void check(bool ok) {
  if (!ok) std::abort();
}

void detect_exact(std::string_view line) {
  std::unique_ptr<char[]> copy(new char[line.size() == 0 ? 1 : line.size()]);
  if (!line.empty()) std::memcpy(copy.get(), line.data(), line.size());
  auto level = modhost::detect_log_level(std::string_view(copy.get(), line.size()));
  check(level >= modhost::LogLevel::Trace && level <= modhost::LogLevel::Error);
  check(level == modhost::reference::detect_log_level(std::string_view(copy.get(), line.size())));
}

class Chunker {
 public:
  explicit Chunker(std::uint32_t seed) : state_(seed * 2654435761u + 1u) {}
  std::uint32_t next() {
    state_ ^= state_ << 13;
    state_ ^= state_ >> 17;
    state_ ^= state_ << 5;
    return state_;
  }

 private:
  std::uint32_t state_;
};

std::string strip_terminators(std::string_view in) {
  std::string out;
  for (std::size_t i = 0; i < in.size(); ++i) {
    if (in[i] == '\n') {
      if (i > 0 && in[i - 1] == '\r' && !out.empty()) out.pop_back();
      continue;
    }
    out += in[i];
  }
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 2) return 0;
  const std::size_t max = 1 + data[0] % 64;
  const std::uint32_t seed = data[1];
  const std::string_view stream(reinterpret_cast<const char*>(data + 2), size - 2);
  detect_exact(stream);

  std::vector<Piece> at_once;
  auto collect_into = [max](std::vector<Piece>& out) {
    return [&out, max](std::string_view line, bool continuation) {
      check(line.size() <= max);
      detect_exact(line);
      out.push_back({std::string(line), continuation});
    };
  };
  {
    modhost::LineSplitter s(max);
    auto sink = collect_into(at_once);
    s.feed(stream, sink);
    check(s.buffered() <= max);
    s.finish(sink);
    check(s.buffered() == 0);
  }

  std::vector<Piece> chunked;
  std::vector<Piece> flushed;
  {
    modhost::LineSplitter plain(max);
    modhost::LineSplitter with_flush(max);
    auto sink_plain = collect_into(chunked);
    auto sink_flush = collect_into(flushed);
    Chunker chunker(seed);
    std::size_t off = 0;
    while (off < stream.size()) {
      std::uint32_t r = chunker.next();
      std::size_t n = r % 33;
      std::string_view chunk = stream.substr(off, n);
      plain.feed(chunk, sink_plain);
      with_flush.feed(chunk, sink_flush);
      if ((r >> 8) % 4 == 0) with_flush.flush(sink_flush);
      check(plain.buffered() <= max && with_flush.buffered() <= max);
      off += n;
    }
    plain.finish(sink_plain);
    with_flush.finish(sink_flush);
  }

  {
    // The forwarder against the plain splitter (with the same flushes) and detect_log_level.
    modhost::LineSplitter plain(max);
    modhost::detail::StreamForwarder forwarder(modhost::StreamKind::Stdout, max);
    std::vector<Piece> want, got;
    std::vector<modhost::LogLevel> want_levels, got_levels;
    modhost::LogLevel level = modhost::LogLevel::Info;
    auto reference = [&](std::string_view line, bool continuation) {
      if (!continuation) level = modhost::detect_log_level(line);
      want.push_back({std::string(line), continuation});
      want_levels.push_back(level);
    };
    const modhost::LogSink sink = [&](const modhost::LogRecord& r) {
      got.push_back({std::string(r.line), r.continuation});
      got_levels.push_back(r.level);
    };
    const modhost::detail::RecordContext context{"f", modhost::Uuid()};
    const auto now = std::chrono::system_clock::now();
    Chunker chunker(seed + 1);
    std::size_t off = 0;
    while (off < stream.size()) {
      std::uint32_t r = chunker.next();
      std::size_t n = std::min<std::size_t>(r % 300, stream.size() - off);
      std::unique_ptr<char[]> copy(new char[n == 0 ? 1 : n]);
      if (n != 0) std::memcpy(copy.get(), stream.data() + off, n);
      plain.feed(std::string_view(copy.get(), n), reference);
      forwarder.feed(std::string_view(copy.get(), n), context, sink, now);
      if ((r >> 9) % 5 == 0) {
        plain.flush(reference);
        forwarder.flush(context, sink, now);
      }
      check(forwarder.has_partial() == (plain.buffered() != 0));
      off += n;
    }
    plain.finish(reference);
    forwarder.finish(context, sink, now);
    check(got.size() == want.size());
    for (std::size_t i = 0; i < want.size(); ++i) {
      check(got[i].text == want[i].text && got[i].continuation == want[i].continuation &&
            got_levels[i] == want_levels[i]);
    }
  }

  check(chunked.size() == at_once.size());
  for (std::size_t i = 0; i < at_once.size(); ++i) {
    check(chunked[i].text == at_once[i].text && chunked[i].continuation == at_once[i].continuation);
  }
  const std::string expected = strip_terminators(stream);
  for (const auto* pieces : {&at_once, &flushed}) {
    std::string joined;
    for (const auto& p : *pieces) joined += p.text;
    check(joined == expected);
  }
  return 0;
}
