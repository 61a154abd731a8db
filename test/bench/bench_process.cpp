// Workloads W1, W1B, W2 and W4 (docs/benchmarks.md), each beside its raw-system-call floor in
// this same binary, so that every figure can be read as a ratio to the floor of the same run:
//
//   W1   spawn /bin/true (stdio to /dev/null), wait        floor: posix_spawn + waitpid
//   W1B  W1 from a parent holding 256 MiB of touched heap  floor: the same, same heap
//        (plus fork + execve + waitpid, to show what a forking library pays there)
//   W2   spawn /bin/echo hello, stdout and stderr piped, read both to EOF, wait
//                                                          floor: posix_spawn + 2 pipes + poll + waitpid
//   W4   child `sleep 1000`; time from the stop call until reaped (median and p99 counters)
//                                                          floor: kill(SIGTERM) + waitpid
//
// Every floor runs in the floor server (floor_server.hpp), a process forked before any modhost
// call, and is timed there: the bench process itself carries modhost's SIGCHLD handler and threads,
// which slow a raw spawn by a few percent. The floor benchmarks therefore use manual time (the
// server's own measurement; the round trip to it is not counted).
//
// Run: build/bench_modhost --benchmark_filter=paired --benchmark_repetitions=9
//        --benchmark_report_aggregates_only=true --benchmark_min_time=0.5
// and read the ratio counters; the unpaired pairs (W1_floor_posix_spawn, W1_modhost, ...) are kept
// for a quick look at absolute times.

#include <benchmark/benchmark.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "floor_server.hpp"
#include "modhost/child_process.hpp"
#include "modhost_ops.hpp"
#include "paired.hpp"
#include "raw_floor.hpp"

namespace {

using bench::FloorOp;
using bench::floor_call;
using bench::modhost_echo_once;
using bench::modhost_stop_once;
using bench::modhost_true_once;

constexpr std::int64_t kHeapBytes = std::int64_t{256} << 20;

// One floor operation in the server; its own measurement in seconds, negative on error.
double floor_once(FloorOp op) {
  bench::FloorReply r = floor_call(op);
  return r.ok() ? r.seconds() : -1.0;
}

// 256 MiB, every page written, held for the duration of one benchmark run.
struct BigHeap {
  BigHeap() : bytes(new char[static_cast<std::size_t>(kHeapBytes)]) {
    for (std::size_t i = 0; i < static_cast<std::size_t>(kHeapBytes); i += 4096) bytes[i] = static_cast<char>(i);
    benchmark::DoNotOptimize(bytes.get());
  }
  std::unique_ptr<char[]> bytes;
};

// The same heap in the floor server, for as long as this object lives.
struct ServerHeap {
  ServerHeap() { ok = floor_call(FloorOp::HoldHeap, kHeapBytes).ok(); }
  ~ServerHeap() { (void)floor_call(FloorOp::HoldHeap, 0); }
  ServerHeap(const ServerHeap&) = delete;
  ServerHeap& operator=(const ServerHeap&) = delete;
  bool ok = false;
};

// ---- Unpaired: one side per benchmark ----------------------------------------------------------

// Reports the median and p99 of the per-iteration times as counters (microseconds).
void report_percentiles(benchmark::State& state, std::vector<double>& samples) {
  if (samples.empty()) return;
  state.counters["p50_us"] = bench::median(samples) * 1e6;
  state.counters["p99_us"] = bench::percentile(samples, 0.99) * 1e6;
}

// One server operation per iteration, the iteration time being the server's measurement.
void run_floor(benchmark::State& state, FloorOp op) {
  std::vector<double> samples;
  for (auto _ : state) {
    double s = floor_once(op);
    if (s < 0) {
      state.SkipWithError("floor operation failed");
      break;
    }
    state.SetIterationTime(s);
    samples.push_back(s);
  }
  report_percentiles(state, samples);
}

// One modhost operation per iteration (returning its own duration, see modhost_*_once).
template <class Op>
void run_modhost(benchmark::State& state, Op op) {
  std::vector<double> samples;
  for (auto _ : state) {
    double s = op();
    if (s < 0) {
      state.SkipWithError("modhost operation failed");
      break;
    }
    state.SetIterationTime(s);
    samples.push_back(s);
  }
  report_percentiles(state, samples);
}

void W1_floor_posix_spawn(benchmark::State& state) { run_floor(state, FloorOp::SpawnTrue); }

void W1_modhost(benchmark::State& state) {
  modhost::SpawnOptions o = bench::true_options();
  run_modhost(state, [&] { return modhost_true_once(o); });
}

void W1B_floor_posix_spawn(benchmark::State& state) {
  ServerHeap heap;
  if (!heap.ok) return state.SkipWithError("the floor server could not hold the heap");
  run_floor(state, FloorOp::SpawnTrue);
}

void W1B_modhost(benchmark::State& state) {
  BigHeap heap;
  modhost::SpawnOptions o = bench::true_options();
  run_modhost(state, [&] { return modhost_true_once(o); });
}

void W1B_reference_fork_exec(benchmark::State& state) {
  ServerHeap heap;
  if (!heap.ok) return state.SkipWithError("the floor server could not hold the heap");
  run_floor(state, FloorOp::ForkExecTrue);
}

void W2_floor_posix_spawn_pipes_poll(benchmark::State& state) { run_floor(state, FloorOp::EchoPipes); }

void W2_modhost(benchmark::State& state) {
  modhost::SpawnOptions o = bench::echo_options();
  run_modhost(state, [&] { return modhost_echo_once(o); });
}

void W4_floor_kill_waitpid(benchmark::State& state) { run_floor(state, FloorOp::StopSleeper); }

void W4_modhost_stop(benchmark::State& state) {
  modhost::SpawnOptions o = bench::sleeper_options();
  run_modhost(state, [&] { return modhost_stop_once(o); });
}

// ---- Paired: floor (in the server) and modhost (here) alternating --------------------------------

// The raw floor code run in this process, for run_paired3's third side.
double inprocess_once(bench::FloorReply (*raw_op)()) {
  bench::FloorReply r = raw_op();
  return r.ok() ? r.seconds() : -1.0;
}

void W1_paired(benchmark::State& state) {
  modhost::SpawnOptions o = bench::true_options();
  bench::run_paired3(state, [] { return floor_once(FloorOp::SpawnTrue); },
                     [] { return inprocess_once(bench::raw::spawn_true); },
                     [&] { return modhost_true_once(o); });
}

void W1B_paired(benchmark::State& state) {
  BigHeap heap;
  ServerHeap server_heap;
  if (!server_heap.ok) return state.SkipWithError("the floor server could not hold the heap");
  modhost::SpawnOptions o = bench::true_options();
  bench::run_paired(state, [] { return floor_once(FloorOp::SpawnTrue); },
                    [&] { return modhost_true_once(o); });
}

void W2_paired(benchmark::State& state) {
  modhost::SpawnOptions o = bench::echo_options();
  bench::run_paired(state, [] { return floor_once(FloorOp::EchoPipes); },
                    [&] { return modhost_echo_once(o); });
}

void W4_paired(benchmark::State& state) {
  modhost::SpawnOptions o = bench::sleeper_options();
  bench::run_paired3(state, [] { return floor_once(FloorOp::StopSleeper); },
                     [] { return inprocess_once(bench::raw::stop_sleeper); },
                     [&] { return modhost_stop_once(o); });
}

// ---- Check: why the floor runs in the server ------------------------------------------------------

// The W1 floor in the clean server against the very same raw code in this process after modhost
// has installed its SIGCHLD handler and started its exit watcher, alternating. The ratio
// (inprocess over server) is what an in-process floor would have flattered the W1 ratio by.
void W1_floor_inprocess_check(benchmark::State& state) {
  if (modhost_true_once(bench::true_options()) < 0) return state.SkipWithError("modhost spawn failed");
  bench::run_paired(
      state, [] { return floor_once(FloorOp::SpawnTrue); },
      [] {
        bench::FloorReply r = bench::raw::spawn_true();
        return r.ok() ? r.seconds() : -1.0;
      },
      "server", "inprocess");
}

// Floors and modhost alternate, so that slow drifts of a shared machine hit both alike.
BENCHMARK(W1_floor_posix_spawn)->UseManualTime()->Unit(benchmark::kMicrosecond);
BENCHMARK(W1_modhost)->UseManualTime()->Unit(benchmark::kMicrosecond);
BENCHMARK(W1B_floor_posix_spawn)->UseManualTime()->Unit(benchmark::kMicrosecond);
BENCHMARK(W1B_modhost)->UseManualTime()->Unit(benchmark::kMicrosecond);
BENCHMARK(W1B_reference_fork_exec)->UseManualTime()->Unit(benchmark::kMicrosecond);
BENCHMARK(W2_floor_posix_spawn_pipes_poll)->UseManualTime()->Unit(benchmark::kMicrosecond);
BENCHMARK(W2_modhost)->UseManualTime()->Unit(benchmark::kMicrosecond);
BENCHMARK(W4_floor_kill_waitpid)->UseManualTime()->Unit(benchmark::kMicrosecond);
BENCHMARK(W4_modhost_stop)->UseManualTime()->Unit(benchmark::kMicrosecond);
BENCHMARK(W1_paired)->UseManualTime()->Unit(benchmark::kMicrosecond);
BENCHMARK(W1B_paired)->UseManualTime()->Unit(benchmark::kMicrosecond);
BENCHMARK(W2_paired)->UseManualTime()->Unit(benchmark::kMicrosecond);
BENCHMARK(W4_paired)->UseManualTime()->Unit(benchmark::kMicrosecond);
BENCHMARK(W1_floor_inprocess_check)->UseManualTime()->Unit(benchmark::kMicrosecond);

}  // namespace
