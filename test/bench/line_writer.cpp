// The W3 writer: prints <lines> lines of <length> bytes (newline included) and exits. Every 10th
// line goes to stderr, the rest to stdout, each stream through its own 64 KiB buffer written with
// one fwrite when full, so the reader sees the pipe-bound worst case and not the writer's own
// formatting. Each line carries its sequence number, so a reader can check that nothing was lost
// or reordered within a stream:
//   2026-11-26T18:00:00.000Z  INFO w3: 000000123 xxxxxxxx...
// Portable C++ (stdio only), so the workload is the same on every platform.

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

namespace {

constexpr std::size_t kBufferSize = 64 * 1024;

// A stream's block buffer: whole lines are copied in and the block is written when the next line
// would not fit.
struct Block {
  std::FILE* file;
  std::vector<char> data = std::vector<char>(kBufferSize);
  std::size_t used = 0;

  void put(const char* line, std::size_t length) {
    if (used + length > data.size()) flush();
    if (length > data.size()) {
      std::fwrite(line, 1, length, file);
      return;
    }
    std::memcpy(data.data() + used, line, length);
    used += length;
  }
  void flush() {
    if (used != 0) std::fwrite(data.data(), 1, used, file);
    used = 0;
  }
};

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: %s <lines> <length>\n", argv[0]);
    return 2;
  }
  const unsigned long lines = std::strtoul(argv[1], nullptr, 10);
  std::size_t length = std::strtoul(argv[2], nullptr, 10);
  if (length < 2) length = 2;
  // The blocks are written as they are: stdio's own buffering is not wanted on top of them.
  std::setvbuf(stdout, nullptr, _IONBF, 0);
  std::setvbuf(stderr, nullptr, _IONBF, 0);
  Block out{stdout};
  Block err{stderr};

  std::vector<char> line(length, 'x');
  line[length - 1] = '\n';
  static const char kPrefix[] = "2026-11-26T18:00:00.000Z  INFO w3: 000000000 ";
  const std::size_t prefix = sizeof kPrefix - 1;
  std::memcpy(line.data(), kPrefix, prefix < length - 1 ? prefix : length - 1);
  // The sequence number's digits, counted up in place (an odometer) instead of formatted.
  const std::size_t digits_end = prefix - 1;  // one past the last digit
  for (unsigned long i = 0; i < lines; ++i) {
    (i % 10 == 9 ? err : out).put(line.data(), length);
    for (std::size_t d = digits_end; d-- > digits_end - 9;) {
      if (d >= length - 1) continue;  // a line too short to hold the number
      if (line[d] != '9') {
        ++line[d];
        break;
      }
      line[d] = '0';
    }
  }
  out.flush();
  err.flush();
  return 0;
}
