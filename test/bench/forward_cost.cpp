// The backend's forwarding path alone, for callgrind: W3's 64-byte lines of one shape fed to a
// StreamForwarder in 64 KiB chunks (cut anywhere, as reads are) with a sink like BM_W3's (count
// the line and its bytes, read the level). No process, no pipe, no thread: what callgrind counts
// per line is the user-space work the backend adds to the floor's read loop. `floor` runs that
// read loop's own work instead (memchr counting '\n' over the same chunks).
//
// Not part of bench_modhost; built and run by hand (docs/benchmarks.md has the commands): compile
// it with src/backend/forwarder.cpp, src/log_level.cpp and src/log_level_json.cpp (-O2 -Iinclude
// -Isrc), then run `valgrind --tool=callgrind ./forward_cost SHAPE LINES` with SHAPE one of
// tracing, nolevel, json, logfmt, floor. Instructions per line = (total - total with LINES = 0)
// / LINES.

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "backend/forwarder.hpp"

namespace {

volatile int g_level;  // the sink reads every record's level, as W3's does

std::string w3_line(const char* shape) {
  std::string line, tail;
  if (std::strcmp(shape, "json") == 0) {
    line = "{\"level\":\"info\",\"seq\":\"000000000\",\"msg\":\"";
    tail = "\"}";
  } else if (std::strcmp(shape, "logfmt") == 0) {
    line = "ts=2026-11-26T18:00:00.000Z level=info seq=000000000 msg=";
  } else if (std::strcmp(shape, "tracing") == 0) {
    line = "2026-11-26T18:00:00.000Z  INFO w3: 000000000 ";
  } else {
    line = "0000000000 ";
  }
  while (line.size() + tail.size() < 63) line += 'x';
  return line + tail + "\n";
}

}  // namespace

int main(int argc, char** argv) {
  const char* shape = argc > 1 ? argv[1] : "tracing";
  const long wanted = argc > 2 ? std::atol(argv[2]) : 1000000;
  const bool floor = std::strcmp(shape, "floor") == 0;
  std::string stream;
  while (stream.size() < 4 * 64 * 1024) stream += w3_line(shape);
  long lines = 0;
  double bytes = 0;
  modhost::LogSink sink = [&](const modhost::LogRecord& r) {
    if (r.stream) {
      ++lines;
      bytes += static_cast<double>(r.line.size() + 1);
      g_level = static_cast<int>(r.level);
    }
  };
  modhost::detail::StreamForwarder forwarder(modhost::StreamKind::Stdout, 64 * 1024);
  const auto now = std::chrono::system_clock::now();
  std::size_t at = 0;
  while (lines < wanted) {
    std::size_t n = std::min<std::size_t>(64 * 1024, stream.size() - at);
    const char* chunk = stream.data() + at;
    if (floor) {
      const char* end = chunk + n;
      for (const char* c = chunk; (c = static_cast<const char*>(std::memchr(
                                       c, '\n', static_cast<std::size_t>(end - c)))) != nullptr;
           ++c) {
        ++lines;
      }
    } else {
      forwarder.feed(std::string_view(chunk, n), {"w3", modhost::Uuid()}, sink, now);
    }
    at = (at + n) % stream.size();
  }
  std::printf("%ld lines, %.0f bytes\n", lines, bytes);
  return 0;
}
