// The W3 writer: prints <lines> lines of <length> bytes (newline included) and exits. Every 10th
// line goes to stderr, the rest to stdout, both through large fully-buffered writes, so the reader
// sees the pipe-bound worst case. Each line carries its sequence number, so a reader can check
// that nothing was lost or reordered within a stream:
//   2026-11-26T18:00:00.000Z  INFO w3: 000000123 xxxxxxxx...
// Portable C++ (stdio only), so the workload is the same on every platform.

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: %s <lines> <length>\n", argv[0]);
    return 2;
  }
  const unsigned long lines = std::strtoul(argv[1], nullptr, 10);
  std::size_t length = std::strtoul(argv[2], nullptr, 10);
  if (length < 2) length = 2;
  static char out_buf[1 << 16];
  static char err_buf[1 << 16];
  std::setvbuf(stdout, out_buf, _IOFBF, sizeof out_buf);
  std::setvbuf(stderr, err_buf, _IOFBF, sizeof err_buf);
  std::vector<char> line(length);
  std::memset(line.data(), 'x', length);
  line[length - 1] = '\n';
  char prefix[64];
  for (unsigned long i = 0; i < lines; ++i) {
    int n = std::snprintf(prefix, sizeof prefix, "2026-11-26T18:00:00.000Z  INFO w3: %09lu ", i);
    std::size_t take = static_cast<std::size_t>(n) < length - 1 ? static_cast<std::size_t>(n) : length - 1;
    std::memcpy(line.data(), prefix, take);
    std::FILE* f = (i % 10 == 9) ? stderr : stdout;
    std::fwrite(line.data(), 1, length, f);
  }
  std::fflush(stdout);
  std::fflush(stderr);
  return 0;
}
