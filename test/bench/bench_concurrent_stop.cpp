// Concurrent stops: 20 children that die on SIGTERM (/bin/sleep 1000), stopped by 20 threads at
// once with ChildProcess::stop(grace). The threads are started and parked before the clock starts
// and released together (start_gate.hpp); the figure is the wall time until the last stop returned.
// Floor: the same gate, with 20 threads doing kill(SIGTERM) + waitpid(pid) of raw posix_spawned
// children, in the floor server (floor_server.hpp), the clean process. Paired (paired.hpp); the
// spawns are not timed on either side.
//
// Run: build/bench_modhost --benchmark_filter=Stop20 --benchmark_repetitions=3
//        --benchmark_report_aggregates_only=true

#include <benchmark/benchmark.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <utility>
#include <vector>

#include "floor_server.hpp"
#include "modhost/child_process.hpp"
#include "modhost_ops.hpp"
#include "paired.hpp"
#include "start_gate.hpp"

namespace {

constexpr std::size_t kChildren = 20;
constexpr int kPairs = 30;

double floor_once() {
  bench::FloorReply r = bench::floor_call(bench::FloorOp::ConcurrentStop, static_cast<std::int64_t>(kChildren));
  return r.ok() ? r.seconds() : -1.0;
}

double modhost_once(const modhost::SpawnOptions& o) {
  std::vector<modhost::ChildProcess> children;
  children.reserve(kChildren);
  for (std::size_t i = 0; i < kChildren; ++i) {
    auto c = modhost::ChildProcess::spawn(o);
    if (!c) return -1;
    children.push_back(std::move(*c));
  }
  return bench::run_released_together(kChildren, [&](std::size_t i) {
    auto r = children[i].stop(std::chrono::seconds(5));
    return r && !r->killed;
  });
}

void Stop20_concurrent(benchmark::State& state) {
  modhost::SpawnOptions o = bench::sleeper_options();
  bench::run_paired(state, floor_once, [&] { return modhost_once(o); });
}

BENCHMARK(Stop20_concurrent)->UseManualTime()->Unit(benchmark::kMicrosecond)->Iterations(kPairs);

}  // namespace
