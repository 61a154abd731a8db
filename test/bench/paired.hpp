#pragma once
// Paired runs and the statistics they report.
//
// On a shared, loaded machine two separate benchmarks see different load, and their ratio swings
// by tens of percent. A paired benchmark runs one floor operation and one modhost operation per
// iteration, alternating which goes first, times each, and reports both medians and their ratio as
// counters: both sides then see the same conditions. The iteration time is modhost's.

#include <benchmark/benchmark.h>

#include <algorithm>
#include <chrono>
#include <string>
#include <vector>

namespace bench {

using Clock = std::chrono::steady_clock;

inline double seconds_since(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

// The value below which `fraction` of the samples lie (nearest rank); sorts `v`.
inline double percentile(std::vector<double>& v, double fraction) {
  if (v.empty()) return 0.0;
  std::sort(v.begin(), v.end());
  auto rank = static_cast<std::size_t>(fraction * static_cast<double>(v.size()));
  return v[std::min(v.size() - 1, rank)];
}

inline double median(std::vector<double>& v) { return percentile(v, 0.5); }

// Sets <a>_p50_us, <b>_p50_us, their ratio (b over a) as `ratio_name`, and the p99s, from two
// sample sets in seconds.
inline void report_ratio(benchmark::State& state, const std::string& a, std::vector<double>& as,
                         const std::string& b, std::vector<double>& bs,
                         const std::string& ratio_name = "ratio") {
  double am = median(as), bm = median(bs);
  state.counters[a + "_p50_us"] = am * 1e6;
  state.counters[b + "_p50_us"] = bm * 1e6;
  state.counters[ratio_name] = am > 0 ? bm / am : 0;
  state.counters[a + "_p99_us"] = percentile(as, 0.99) * 1e6;
  state.counters[b + "_p99_us"] = percentile(bs, 0.99) * 1e6;
}

// `floor_op` and `modhost_op` each perform one timed operation and return its duration in seconds
// (so that untimed setup, such as spawning the sleeper of W4, stays out), or a negative value on
// error. Counters: floor_p50_us, modhost_p50_us, ratio (modhost over floor), floor_p99_us,
// modhost_p99_us (other names for the two sides may be given).
template <class FloorOp, class ModhostOp>
void run_paired(benchmark::State& state, FloorOp floor_op, ModhostOp modhost_op,
                const std::string& floor_name = "floor", const std::string& modhost_name = "modhost") {
  std::vector<double> floors, ours;
  bool modhost_first = false;
  for (auto _ : state) {
    double f, m;
    if (modhost_first) {
      m = modhost_op();
      f = floor_op();
    } else {
      f = floor_op();
      m = modhost_op();
    }
    modhost_first = !modhost_first;
    if (f < 0 || m < 0) {
      state.SkipWithError(f < 0 ? "floor operation failed" : "modhost operation failed");
      break;
    }
    floors.push_back(f);
    ours.push_back(m);
    state.SetIterationTime(m);
  }
  report_ratio(state, floor_name, floors, modhost_name, ours);
}

// run_paired with a third side: the same raw floor code run in this process (`inprocess_op`), so
// that one run separates what modhost's code adds (modhost over inprocess, `code_ratio`) from what
// running in a process where modhost lives adds (inprocess over floor). The three take turns in a
// rotating order. Counters as run_paired's, plus inprocess_p50_us, inprocess_p99_us, code_ratio.
template <class FloorOp, class InprocessOp, class ModhostOp>
void run_paired3(benchmark::State& state, FloorOp floor_op, InprocessOp inprocess_op,
                 ModhostOp modhost_op) {
  std::vector<double> floors, inprocess, ours;
  int turn = 0;
  for (auto _ : state) {
    double f = 0, i = 0, m = 0;
    for (int k = 0; k < 3; ++k) {
      switch ((turn + k) % 3) {
        case 0: f = floor_op(); break;
        case 1: i = inprocess_op(); break;
        default: m = modhost_op(); break;
      }
    }
    turn = (turn + 1) % 3;
    if (f < 0 || i < 0 || m < 0) {
      state.SkipWithError(m < 0 ? "modhost operation failed" : "floor operation failed");
      break;
    }
    floors.push_back(f);
    inprocess.push_back(i);
    ours.push_back(m);
    state.SetIterationTime(m);
  }
  report_ratio(state, "inprocess", inprocess, "modhost", ours, "code_ratio");
  report_ratio(state, "floor", floors, "modhost", ours);
}

}  // namespace bench
