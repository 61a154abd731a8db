// The single main() of the bench_modhost binary. Every other file in test/bench/sources.txt only
// registers benchmarks; none may define main() or BENCHMARK_MAIN() itself.

#include <benchmark/benchmark.h>

#include <sys/resource.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "floor_server.hpp"

int main(int argc, char** argv) {
  // W8 keeps 500 children alive, and a backend holds three descriptors per instance (two pipes and
  // a pidfd): raise the soft descriptor limit to the hard one. First, so that the floor server and
  // the bench process run under the same limits.
  rlimit files{};
  if (::getrlimit(RLIMIT_NOFILE, &files) == 0 && files.rlim_cur < files.rlim_max) {
    files.rlim_cur = files.rlim_max;
    (void)::setrlimit(RLIMIT_NOFILE, &files);
  }
  // Before Google Benchmark and before any modhost call: the server is a copy of this process
  // while it is still clean (no SIGCHLD handler, no exit watcher, no fork handlers, one thread).
  if (!bench::start_floor_server()) {
    std::fprintf(stderr, "bench_modhost: cannot start the floor server: %s\n", std::strerror(errno));
    return 1;
  }
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  bench::stop_floor_server();
  return 0;
}
