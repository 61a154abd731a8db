// The single main() of the bench_modhost binary. Every other file in test/bench/sources.txt only
// registers benchmarks; none may define BENCHMARK_MAIN() itself.

#include <benchmark/benchmark.h>

BENCHMARK_MAIN();
