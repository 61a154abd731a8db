// Teardown of 500 idle children (the W8 population), wall time, each beside its floor in the floor
// server (floor_server.hpp), paired (floor and modhost alternating, see paired.hpp):
//
//   Teardown500_vector   destroying a std::vector of 500 running ChildProcess objects (each
//                        destructor kills its child's group and reaps it)
//                        floor: kill(SIGKILL) + waitpid(pid) of each child in turn
//   Teardown500_backend  LocalProcessBackend::shutdown() of 500 idle instances that die on SIGTERM
//                        (/bin/sleep); it should cost about one signal-and-reap round, not N
//                        times anything
//                        floor: kill(SIGTERM) to all, then waitpid(pid) of each
//
// Spawning the 500 children (on both sides) is not timed. Counters: floor_p50_us, modhost_p50_us,
// ratio; Teardown500_backend also reports `killed`, the instances the shutdown had to kill (must be
// 0: the grace is far longer than `sleep` takes to die).
//
// Run: build/bench_modhost --benchmark_filter=Teardown500 --benchmark_repetitions=3
//        --benchmark_report_aggregates_only=true

#include <benchmark/benchmark.h>

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <utility>
#include <vector>

#include "backend_factory.hpp"
#include "floor_server.hpp"
#include "modhost/child_process.hpp"
#include "modhost/local_backend.hpp"
#include "modhost_ops.hpp"
#include "paired.hpp"

namespace {

using namespace std::chrono_literals;

constexpr std::size_t kIdle = 500;
constexpr int kPairs = 3;

double floor_once(bench::FloorOp op) {
  bench::FloorReply r = bench::floor_call(op, static_cast<std::int64_t>(kIdle));
  return r.ok() ? r.seconds() : -1.0;
}

// Spawns kIdle sleepers into a vector (untimed) and times the vector's destruction.
double modhost_vector_once() {
  modhost::SpawnOptions o = bench::sleeper_options();
  std::vector<modhost::ChildProcess> children;
  children.reserve(kIdle);
  for (std::size_t i = 0; i < kIdle; ++i) {
    auto c = modhost::ChildProcess::spawn(o);
    if (!c) return -1;
    children.push_back(std::move(*c));
  }
  auto t0 = bench::Clock::now();
  children.clear();
  return bench::seconds_since(t0);
}

// Spawns kIdle sleeper instances under one backend (untimed) and times its shutdown(); instances
// the shutdown had to kill are added to `killed`.
double modhost_backend_once(std::atomic<int>& killed) {
  modhost::LocalBackendOptions o;
  o.sink = [](const modhost::LogRecord&) {};
  o.shutdown_grace = 30000ms;
  o.on_exit = [&killed](const modhost::InstanceStatus& s) {
    if (s.stop_result && s.stop_result->killed) ++killed;
  };
  auto backend = bench::make_backend(o);
  if (!backend) return -1;
  modhost::OopModuleConfig cfg("teardown", modhost::BackendKind::LocalProcess);
  cfg.binary = "/bin/sleep";
  cfg.args = {"1000"};
  for (std::size_t i = 0; i < kIdle; ++i) {
    if (!backend->spawn_instance(cfg).ok()) return -1;
  }
  auto t0 = bench::Clock::now();
  backend->shutdown();
  double s = bench::seconds_since(t0);
  backend.reset();
  return s;
}

void Teardown500_vector(benchmark::State& state) {
  bench::run_paired(state, [] { return floor_once(bench::FloorOp::KillEachIdle); }, modhost_vector_once);
}

void Teardown500_backend(benchmark::State& state) {
  std::atomic<int> killed{0};
  bench::run_paired(state, [] { return floor_once(bench::FloorOp::TermAllIdle); },
                    [&] { return modhost_backend_once(killed); });
  state.counters["killed"] = killed.load();
}

BENCHMARK(Teardown500_vector)->UseManualTime()->Unit(benchmark::kMillisecond)->Iterations(kPairs);
BENCHMARK(Teardown500_backend)->UseManualTime()->Unit(benchmark::kMillisecond)->Iterations(kPairs);

}  // namespace
