// Workload W8 (docs/benchmarks.md): W1 (spawn /bin/true, wait) and W4 (stop() of a `sleep 1000`
// that dies on SIGTERM) through modhost while 500 idle children of the same host are alive, as a
// ratio to the same operation with none. The ideal is 1.0: the cost of an exit should not grow with
// the number of children.
//
// The kernel's own share is measured beside it: many live children make a plain posix_spawn +
// waitpid slower too (a larger process table, and for modhost one pidfd per child in the fd table
// that each spawn copies). So the floor server holds 500 raw idle sleepers of its own, each with a
// pidfd as a pidfd-based supervisor holds them, while the modhost side holds 500 ChildProcess
// children, and each block alternates one floor operation (in
// the server) with one modhost operation. `excess` (modhost's ratio over the floor's) is what
// modhost adds to the cost of many children; 1.0 means nothing.
//
// The idle children are either alive or not, so each benchmark iteration is one round of blocks:
// kBlock pairs with no idle child, then 500 idle children on each side (spawned untimed), 2 * kBlock
// pairs with them alive, the children killed (untimed), and kBlock pairs with none again. Over the
// none-idle-idle-none round a drift of the machine's speed that is linear in time weighs on both
// sides alike.
//
// Counters: modhost_none_p50_us, modhost_idle500_p50_us, ratio (modhost idle500 over none),
// floor_none_p50_us, floor_idle500_p50_us, floor_ratio, excess (ratio over floor_ratio). The
// iteration time is modhost's mean with the idle children alive.
//
// Run: build/bench_modhost --benchmark_filter=W8_ --benchmark_repetitions=3
//        --benchmark_report_aggregates_only=true

#include <benchmark/benchmark.h>

#include <cstddef>
#include <utility>
#include <vector>

#include "floor_server.hpp"
#include "modhost/child_process.hpp"
#include "modhost_ops.hpp"
#include "paired.hpp"

namespace {

using bench::FloorOp;

constexpr std::size_t kIdle = 500;
constexpr int kBlock = 50;
constexpr int kRounds = 3;

struct Samples {
  std::vector<double> floor_none, floor_busy, modhost_none, modhost_busy;
};

// `n` pairs into `floors` / `ours`, alternating which side goes first; false on an error.
template <class FloorFn, class ModhostFn>
bool run_block(FloorFn& floor_op, ModhostFn& modhost_op, int n, std::vector<double>& floors,
               std::vector<double>& ours) {
  for (int i = 0; i < n; ++i) {
    double f, m;
    if (i % 2 == 0) {
      f = floor_op();
      m = modhost_op();
    } else {
      m = modhost_op();
      f = floor_op();
    }
    if (f < 0 || m < 0) return false;
    floors.push_back(f);
    ours.push_back(m);
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

template <class ModhostFn>
void run_w8(benchmark::State& state, FloorOp floor_kind, ModhostFn modhost_op) {
  auto floor_op = [floor_kind] {
    bench::FloorReply r = bench::floor_call(floor_kind);
    return r.ok() ? r.seconds() : -1.0;
  };
  Samples s;
  for (auto _ : state) {
    if (!run_block(floor_op, modhost_op, kBlock, s.floor_none, s.modhost_none)) {
      return state.SkipWithError("operation failed (no idle child)");
    }
    std::size_t first = s.modhost_busy.size();
    {
      std::vector<modhost::ChildProcess> idle;
      if (!spawn_idle(idle, kIdle) || !bench::floor_call(FloorOp::HoldIdle, kIdle).ok()) {
        bench::floor_call(FloorOp::HoldIdle, 0);
        return state.SkipWithError("cannot spawn the idle children");
      }
      bool ok = run_block(floor_op, modhost_op, 2 * kBlock, s.floor_busy, s.modhost_busy);
      bench::floor_call(FloorOp::HoldIdle, 0);
      if (!ok) return state.SkipWithError("operation failed (idle children)");
    }  // The idle children are killed and reaped here, outside every timed operation.
    if (!run_block(floor_op, modhost_op, kBlock, s.floor_none, s.modhost_none)) {
      return state.SkipWithError("operation failed (no idle child)");
    }
    double sum = 0;
    for (std::size_t i = first; i < s.modhost_busy.size(); ++i) sum += s.modhost_busy[i];
    state.SetIterationTime(sum / static_cast<double>(s.modhost_busy.size() - first));
  }
  bench::report_ratio(state, "floor_none", s.floor_none, "floor_idle500", s.floor_busy, "floor_ratio");
  bench::report_ratio(state, "modhost_none", s.modhost_none, "modhost_idle500", s.modhost_busy);
  double floor_ratio = state.counters["floor_ratio"];
  state.counters["excess"] = floor_ratio > 0 ? state.counters["ratio"] / floor_ratio : 0;
}

void W8_spawn_true_idle500(benchmark::State& state) {
  modhost::SpawnOptions o = bench::true_options();
  run_w8(state, FloorOp::SpawnTrue, [&] { return bench::modhost_true_once(o); });
}

void W8_stop_idle500(benchmark::State& state) {
  modhost::SpawnOptions o = bench::sleeper_options();
  run_w8(state, FloorOp::StopSleeper, [&] { return bench::modhost_stop_once(o); });
}

BENCHMARK(W8_spawn_true_idle500)->UseManualTime()->Unit(benchmark::kMicrosecond)->Iterations(kRounds);
BENCHMARK(W8_stop_idle500)->UseManualTime()->Unit(benchmark::kMicrosecond)->Iterations(kRounds);

}  // namespace
