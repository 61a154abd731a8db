// The W3 writer: prints <lines> lines of <length> bytes (newline included) and exits. Every 10th
// line goes to stderr, the rest to stdout, each stream through its own 64 KiB buffer written with
// one fwrite when full, so the reader sees the pipe-bound worst case and not the writer's own
// formatting. Each line carries its sequence number, so a reader can check that nothing was lost
// or reordered within a stream. The optional third argument picks the line's shape (the four of
// docs/benchmarks.md), padded with 'x' to the length:
//   tracing (default)  2026-11-26T18:00:00.000Z  INFO w3: 000000123 xxxxxxxx...
//   nolevel            0000000123 xxxxxxxx...
//   json               {"level":"info","seq":"000000123","msg":"xxxxxxxx..."}
//   logfmt             ts=2026-11-26T18:00:00.000Z level=info seq=000000123 msg=xxxxxxxx...
// Portable C++ (stdio only), so the workload is the same on every platform.

#include <algorithm>
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

// A line shape: the text before the padding (with the sequence number's digits in it), where
// those digits end, and the text after the padding (before the newline).
struct Shape {
  const char* name;
  const char* head;
  std::size_t digits_end;  // one past the last digit of the sequence number, within head
  std::size_t digits;      // how many digits
  const char* tail;
};

constexpr Shape kShapes[] = {
    {"tracing", "2026-11-26T18:00:00.000Z  INFO w3: 000000000 ", 44, 9, ""},
    {"nolevel", "0000000000 ", 10, 10, ""},
    {"json", "{\"level\":\"info\",\"seq\":\"000000000\",\"msg\":\"", 32, 9, "\"}"},
    {"logfmt", "ts=2026-11-26T18:00:00.000Z level=info seq=000000000 msg=", 52, 9, ""},
};

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: %s <lines> <length> [tracing|nolevel|json|logfmt]\n", argv[0]);
    return 2;
  }
  const unsigned long lines = std::strtoul(argv[1], nullptr, 10);
  std::size_t length = std::strtoul(argv[2], nullptr, 10);
  if (length < 2) length = 2;
  const Shape* shape = &kShapes[0];
  if (argc > 3) {
    shape = nullptr;
    for (const Shape& s : kShapes) {
      if (std::strcmp(argv[3], s.name) == 0) shape = &s;
    }
    if (shape == nullptr) {
      std::fprintf(stderr, "%s: unknown shape %s\n", argv[0], argv[3]);
      return 2;
    }
  }
  // The blocks are written as they are: stdio's own buffering is not wanted on top of them.
  std::setvbuf(stdout, nullptr, _IONBF, 0);
  std::setvbuf(stderr, nullptr, _IONBF, 0);
  Block out{stdout};
  Block err{stderr};

  // head, 'x' padding, tail, '\n'; a line too short for all of it keeps what fits of the head and
  // tail (the tail wins over the head's end), and always its newline.
  std::vector<char> line(length, 'x');
  line[length - 1] = '\n';
  const std::size_t room = length - 1;
  const std::size_t tail = std::min(std::strlen(shape->tail), room);
  const std::size_t head = std::min(std::strlen(shape->head), room - tail);
  std::memcpy(line.data(), shape->head, head);
  std::memcpy(line.data() + room - tail, shape->tail, tail);
  // The sequence number's digits, counted up in place (an odometer) instead of formatted.
  const std::size_t digits_end = shape->digits_end;
  const std::size_t digits_begin = digits_end - shape->digits;
  for (unsigned long i = 0; i < lines; ++i) {
    (i % 10 == 9 ? err : out).put(line.data(), length);
    for (std::size_t d = digits_end; d-- > digits_begin;) {
      if (d >= head) continue;  // a line too short to hold the number
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
