// Workloads W1, W1B, W2 and W4 (../shared/workloads.md), each beside its raw-system-call floor in
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
// Run: build/bench_modhost --benchmark_filter='W[124]' --benchmark_repetitions=5
//        --benchmark_report_aggregates_only=true
// and compare the medians of each pair.

#include <benchmark/benchmark.h>

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "modhost/child_process.hpp"

extern char** environ;

namespace {

using Clock = std::chrono::steady_clock;

char kTrue[] = "/bin/true";
char kEcho[] = "/bin/echo";
char kHello[] = "hello";
char kSleep[] = "/bin/sleep";
char kThousand[] = "1000";

// ---- Floors: the raw system calls ---------------------------------------------------------------

pid_t raw_spawn_null(char* const argv[]) {
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
  posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
  pid_t pid = -1;
  if (posix_spawn(&pid, argv[0], &fa, nullptr, argv, environ) != 0) pid = -1;
  posix_spawn_file_actions_destroy(&fa);
  return pid;
}

void raw_wait(pid_t pid) {
  int status;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
}

void floor_true(benchmark::State& state) {
  char* argv[] = {kTrue, nullptr};
  for (auto _ : state) {
    pid_t pid = raw_spawn_null(argv);
    if (pid < 0) {
      state.SkipWithError("posix_spawn failed");
      break;
    }
    raw_wait(pid);
  }
}

modhost::SpawnOptions true_options() {
  modhost::SpawnOptions o;
  o.program = kTrue;
  o.stdin_mode = modhost::Stdio::Null;
  o.stdout_mode = modhost::Stdio::Null;
  o.stderr_mode = modhost::Stdio::Null;
  return o;
}

void modhost_true(benchmark::State& state) {
  modhost::SpawnOptions o = true_options();
  for (auto _ : state) {
    auto c = modhost::ChildProcess::spawn(o);
    if (!c || !c->wait()) {
      state.SkipWithError("modhost spawn failed");
      break;
    }
  }
}

// ---- W1 -----------------------------------------------------------------------------------------

void W1_floor_posix_spawn(benchmark::State& state) { floor_true(state); }
void W1_modhost(benchmark::State& state) { modhost_true(state); }

// ---- W1B ----------------------------------------------------------------------------------------

// 256 MiB, every page written, held for the duration of one benchmark run.
struct BigHeap {
  BigHeap() : bytes(new char[kSize]) {
    for (std::size_t i = 0; i < kSize; i += 4096) bytes[i] = static_cast<char>(i);
    benchmark::DoNotOptimize(bytes.get());
  }
  static constexpr std::size_t kSize = 256u << 20;
  std::unique_ptr<char[]> bytes;
};

void W1B_floor_posix_spawn(benchmark::State& state) {
  BigHeap heap;
  floor_true(state);
}

void W1B_modhost(benchmark::State& state) {
  BigHeap heap;
  modhost_true(state);
}

void W1B_reference_fork_exec(benchmark::State& state) {
  BigHeap heap;
  char* argv[] = {kTrue, nullptr};
  for (auto _ : state) {
    pid_t pid = fork();
    if (pid == 0) {
      int null_fd = open("/dev/null", O_RDWR);
      dup2(null_fd, 0);
      dup2(null_fd, 1);
      dup2(null_fd, 2);
      execve(argv[0], argv, environ);
      _exit(127);
    }
    raw_wait(pid);
  }
}

// ---- W2 -----------------------------------------------------------------------------------------

void W2_floor_posix_spawn_pipes_poll(benchmark::State& state) {
  char* argv[] = {kEcho, kHello, nullptr};
  std::string out, err;
  char buf[65536];
  for (auto _ : state) {
    int po[2], pe[2];
    if (pipe2(po, O_CLOEXEC) != 0 || pipe2(pe, O_CLOEXEC) != 0) {
      state.SkipWithError("pipe2 failed");
      break;
    }
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_adddup2(&fa, po[1], 1);
    posix_spawn_file_actions_adddup2(&fa, pe[1], 2);
    pid_t pid = -1;
    posix_spawn(&pid, argv[0], &fa, nullptr, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    close(po[1]);
    close(pe[1]);
    out.clear();
    err.clear();
    struct pollfd fds[2] = {{po[0], POLLIN, 0}, {pe[0], POLLIN, 0}};
    int open_count = 2;
    while (open_count > 0) {
      poll(fds, 2, -1);
      for (auto& f : fds) {
        if (f.fd < 0 || f.revents == 0) continue;
        ssize_t n = read(f.fd, buf, sizeof buf);
        if (n > 0) {
          (f.fd == po[0] ? out : err).append(buf, static_cast<std::size_t>(n));
        } else {
          close(f.fd);
          f.fd = -1;
          --open_count;
        }
      }
    }
    raw_wait(pid);
    if (out != "hello\n") state.SkipWithError("unexpected output");
  }
}

void W2_modhost(benchmark::State& state) {
  modhost::SpawnOptions o;
  o.program = kEcho;
  o.args = {kHello};
  o.stdout_mode = modhost::Stdio::Pipe;
  o.stderr_mode = modhost::Stdio::Pipe;
  for (auto _ : state) {
    auto c = modhost::ChildProcess::spawn(o);
    if (!c) {
      state.SkipWithError("modhost spawn failed");
      break;
    }
    auto out = c->output();
    if (!out || out->stdout_data != "hello\n") {
      state.SkipWithError("unexpected output");
      break;
    }
  }
}

// ---- W4 -----------------------------------------------------------------------------------------

// Reports the median and p99 of the per-iteration times as counters (microseconds).
void report_percentiles(benchmark::State& state, std::vector<double>& samples) {
  if (samples.empty()) return;
  std::sort(samples.begin(), samples.end());
  state.counters["p50_us"] = samples[samples.size() / 2] * 1e6;
  state.counters["p99_us"] = samples[std::min(samples.size() - 1, samples.size() * 99 / 100)] * 1e6;
}

void W4_floor_kill_waitpid(benchmark::State& state) {
  char* argv[] = {kSleep, kThousand, nullptr};
  std::vector<double> samples;
  for (auto _ : state) {
    pid_t pid = raw_spawn_null(argv);
    auto t0 = Clock::now();
    kill(pid, SIGTERM);
    raw_wait(pid);
    double s = std::chrono::duration<double>(Clock::now() - t0).count();
    state.SetIterationTime(s);
    samples.push_back(s);
  }
  report_percentiles(state, samples);
}

void W4_modhost_stop(benchmark::State& state) {
  modhost::SpawnOptions o;
  o.program = kSleep;
  o.args = {kThousand};
  o.stdout_mode = modhost::Stdio::Null;
  o.stderr_mode = modhost::Stdio::Null;
  std::vector<double> samples;
  for (auto _ : state) {
    auto c = modhost::ChildProcess::spawn(o);
    if (!c) {
      state.SkipWithError("modhost spawn failed");
      break;
    }
    auto t0 = Clock::now();
    auto r = c->stop(std::chrono::seconds(5));
    double s = std::chrono::duration<double>(Clock::now() - t0).count();
    if (!r || r->killed) {
      state.SkipWithError("stop failed or had to kill");
      break;
    }
    state.SetIterationTime(s);
    samples.push_back(s);
  }
  report_percentiles(state, samples);
}

// ---- Paired runs ---------------------------------------------------------------------------------
//
// On a shared, loaded machine two separate benchmarks see different load, and their ratio swings
// by tens of percent. The paired variants run one floor operation and one modhost operation per
// iteration, alternating which goes first, time each, and report both medians and their ratio as
// counters: both sides then see the same conditions. The iteration time is modhost's.

double seconds_since(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

double median(std::vector<double>& v) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0.0 : v[v.size() / 2];
}

// `floor_op` and `modhost_op` each perform one timed operation and return its duration in seconds
// (so that untimed setup such as spawning the sleeper of W4 stays out), or a negative value on error.
template <class FloorOp, class ModhostOp>
void run_paired(benchmark::State& state, FloorOp floor_op, ModhostOp modhost_op) {
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
      state.SkipWithError("operation failed");
      break;
    }
    floors.push_back(f);
    ours.push_back(m);
    state.SetIterationTime(m);
  }
  double fm = median(floors), mm = median(ours);
  state.counters["floor_us"] = fm * 1e6;
  state.counters["modhost_us"] = mm * 1e6;
  state.counters["ratio"] = fm > 0 ? mm / fm : 0;
  if (!ours.empty()) {
    state.counters["floor_p99_us"] = floors[std::min(floors.size() - 1, floors.size() * 99 / 100)] * 1e6;
    state.counters["modhost_p99_us"] = ours[std::min(ours.size() - 1, ours.size() * 99 / 100)] * 1e6;
  }
}

double floor_true_once() {
  char* argv[] = {kTrue, nullptr};
  auto t0 = Clock::now();
  pid_t pid = raw_spawn_null(argv);
  if (pid < 0) return -1;
  raw_wait(pid);
  return seconds_since(t0);
}

double modhost_true_once(const modhost::SpawnOptions& o) {
  auto t0 = Clock::now();
  auto c = modhost::ChildProcess::spawn(o);
  if (!c || !c->wait()) return -1;
  return seconds_since(t0);
}

void W1_paired(benchmark::State& state) {
  modhost::SpawnOptions o = true_options();
  run_paired(state, floor_true_once, [&] { return modhost_true_once(o); });
}

void W1B_paired(benchmark::State& state) {
  BigHeap heap;
  modhost::SpawnOptions o = true_options();
  run_paired(state, floor_true_once, [&] { return modhost_true_once(o); });
}

void W2_paired(benchmark::State& state) {
  modhost::SpawnOptions o;
  o.program = kEcho;
  o.args = {kHello};
  o.stdout_mode = modhost::Stdio::Pipe;
  o.stderr_mode = modhost::Stdio::Pipe;
  // The floor body of W2, one iteration at a time.
  auto floor_once = [] {
    char* argv[] = {kEcho, kHello, nullptr};
    char buf[4096];
    auto t0 = Clock::now();
    int po[2], pe[2];
    if (pipe2(po, O_CLOEXEC) != 0 || pipe2(pe, O_CLOEXEC) != 0) return -1.0;
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_adddup2(&fa, po[1], 1);
    posix_spawn_file_actions_adddup2(&fa, pe[1], 2);
    pid_t pid = -1;
    posix_spawn(&pid, argv[0], &fa, nullptr, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    close(po[1]);
    close(pe[1]);
    std::string out;
    struct pollfd fds[2] = {{po[0], POLLIN, 0}, {pe[0], POLLIN, 0}};
    int open_count = 2;
    while (open_count > 0) {
      poll(fds, 2, -1);
      for (auto& f : fds) {
        if (f.fd < 0 || f.revents == 0) continue;
        ssize_t n = read(f.fd, buf, sizeof buf);
        if (n > 0) {
          if (f.fd == po[0]) out.append(buf, static_cast<std::size_t>(n));
        } else {
          close(f.fd);
          f.fd = -1;
          --open_count;
        }
      }
    }
    raw_wait(pid);
    return out == "hello\n" ? seconds_since(t0) : -1.0;
  };
  auto modhost_once = [&] {
    auto t0 = Clock::now();
    auto c = modhost::ChildProcess::spawn(o);
    if (!c) return -1.0;
    auto out = c->output();
    if (!out || out->stdout_data != "hello\n") return -1.0;
    return seconds_since(t0);
  };
  run_paired(state, floor_once, modhost_once);
}

void W4_paired(benchmark::State& state) {
  modhost::SpawnOptions o;
  o.program = kSleep;
  o.args = {kThousand};
  o.stdout_mode = modhost::Stdio::Null;
  o.stderr_mode = modhost::Stdio::Null;
  auto floor_once = [] {
    char* argv[] = {kSleep, kThousand, nullptr};
    pid_t pid = raw_spawn_null(argv);
    if (pid < 0) return -1.0;
    auto t0 = Clock::now();
    kill(pid, SIGTERM);
    raw_wait(pid);
    return seconds_since(t0);
  };
  auto modhost_once = [&] {
    auto c = modhost::ChildProcess::spawn(o);
    if (!c) return -1.0;
    auto t0 = Clock::now();
    auto r = c->stop(std::chrono::seconds(5));
    if (!r || r->killed) return -1.0;
    return seconds_since(t0);
  };
  run_paired(state, floor_once, modhost_once);
}

// Floors and modhost alternate, so that slow drifts of a shared machine hit both alike.
BENCHMARK(W1_floor_posix_spawn)->Unit(benchmark::kMicrosecond);
BENCHMARK(W1_modhost)->Unit(benchmark::kMicrosecond);
BENCHMARK(W1B_floor_posix_spawn)->Unit(benchmark::kMicrosecond);
BENCHMARK(W1B_modhost)->Unit(benchmark::kMicrosecond);
BENCHMARK(W1B_reference_fork_exec)->Unit(benchmark::kMicrosecond);
BENCHMARK(W2_floor_posix_spawn_pipes_poll)->Unit(benchmark::kMicrosecond);
BENCHMARK(W2_modhost)->Unit(benchmark::kMicrosecond);
BENCHMARK(W4_floor_kill_waitpid)->UseManualTime()->Unit(benchmark::kMicrosecond);
BENCHMARK(W4_modhost_stop)->UseManualTime()->Unit(benchmark::kMicrosecond);
BENCHMARK(W1_paired)->UseManualTime()->Unit(benchmark::kMicrosecond);
BENCHMARK(W1B_paired)->UseManualTime()->Unit(benchmark::kMicrosecond);
BENCHMARK(W2_paired)->UseManualTime()->Unit(benchmark::kMicrosecond);
BENCHMARK(W4_paired)->UseManualTime()->Unit(benchmark::kMicrosecond);

}  // namespace
