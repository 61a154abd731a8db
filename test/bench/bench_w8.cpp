// Workload W8 (../shared/workloads.md): W1 (spawn /bin/true, wait) and W4 (stop() of a `sleep 1000`
// that dies on SIGTERM) through modhost while 500 idle children of the same host are alive, as a
// ratio to the same operation with none. The ideal is 1.0: the cost of an exit should not grow with
// the number of children.
//
// Both sides are modhost in this process, so they cannot run in alternation one operation at a time
// (the idle children are either alive or not). Each benchmark iteration is one round of blocks
// instead: kBlock operations with no idle child, then 500 idle ChildProcess children spawned
// (untimed), 2 * kBlock operations with them alive, the children destroyed (untimed), and kBlock
// operations with none again. Over the none-idle-idle-none round a drift of the machine's speed
// that is linear in time weighs on both sides alike.
//
// Counters: none_p50_us, idle500_p50_us, ratio (idle500 over none), and the p99s. The iteration
// time is the mean operation time with the idle children alive.
//
// Run: build/bench_modhost --benchmark_filter=W8_ --benchmark_repetitions=3
//        --benchmark_report_aggregates_only=true

#include <benchmark/benchmark.h>

#include <cstddef>
#include <utility>
#include <vector>

#include "modhost/child_process.hpp"
#include "modhost_ops.hpp"
#include "paired.hpp"

namespace {

constexpr std::size_t kIdle = 500;
constexpr int kBlock = 50;
constexpr int kRounds = 3;

// Runs `op` `n` times into `into`; false when an operation failed.
template <class Op>
bool run_block(Op& op, int n, std::vector<double>& into) {
  for (int i = 0; i < n; ++i) {
    double s = op();
    if (s < 0) return false;
    into.push_back(s);
  }
  return true;
}

// `n` idle children (/bin/sleep 1000, stdio on the null device) owned by `idle`; false on error.
bool spawn_idle(std::vector<modhost::ChildProcess>& idle, std::size_t n) {
  modhost::SpawnOptions o = bench::sleeper_options();
  idle.reserve(n);
  for (std::size_t i = 0; i < n; ++i) {
    auto c = modhost::ChildProcess::spawn(o);
    if (!c) return false;
    idle.push_back(std::move(*c));
  }
  return true;
}

template <class Op>
void run_w8(benchmark::State& state, Op op) {
  std::vector<double> none, busy;
  for (auto _ : state) {
    if (!run_block(op, kBlock, none)) return state.SkipWithError("operation failed (no idle child)");
    std::size_t first = busy.size();
    {
      std::vector<modhost::ChildProcess> idle;
      if (!spawn_idle(idle, kIdle)) return state.SkipWithError("cannot spawn the idle children");
      if (!run_block(op, 2 * kBlock, busy)) return state.SkipWithError("operation failed (idle children)");
    }  // The idle children are killed and reaped here, outside every timed operation.
    if (!run_block(op, kBlock, none)) return state.SkipWithError("operation failed (no idle child)");
    double sum = 0;
    for (std::size_t i = first; i < busy.size(); ++i) sum += busy[i];
    state.SetIterationTime(sum / static_cast<double>(busy.size() - first));
  }
  bench::report_ratio(state, "none", none, "idle500", busy);
}

void W8_spawn_true_idle500(benchmark::State& state) {
  modhost::SpawnOptions o = bench::true_options();
  run_w8(state, [&] { return bench::modhost_true_once(o); });
}

void W8_stop_idle500(benchmark::State& state) {
  modhost::SpawnOptions o = bench::sleeper_options();
  run_w8(state, [&] { return bench::modhost_stop_once(o); });
}

BENCHMARK(W8_spawn_true_idle500)->UseManualTime()->Unit(benchmark::kMicrosecond)->Iterations(kRounds);
BENCHMARK(W8_stop_idle500)->UseManualTime()->Unit(benchmark::kMicrosecond)->Iterations(kRounds);

}  // namespace
