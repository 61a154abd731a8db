// The smallest useful modhost host, for the size benchmark (scripts/size-report.sh): spawns a
// program with ChildProcess, reads its output, stops it with a grace period, and reports. Its
// size over baseline.cpp (the same standard-library parts without modhost) is what the library
// adds to a static embedded program.

#include <chrono>
#include <cstdio>

#include "modhost/child_process.hpp"

int main(int argc, char** argv) {
  modhost::SpawnOptions options;
  options.program = argc > 1 ? argv[1] : "/bin/echo";
  for (int i = 2; i < argc; ++i) options.args.emplace_back(argv[i]);
  auto child = modhost::ChildProcess::spawn(options);
  if (!child) {
    std::fprintf(stderr, "%s\n", child.error().message().c_str());
    return 1;
  }
  auto stopped = child->stop(std::chrono::seconds(1));
  if (!stopped) return 2;
  std::printf("%s\n", stopped->status.to_string().c_str());
  return 0;
}
