// Workloads W3, W5 and W6 (docs/benchmarks.md) through LocalProcessBackend, each beside its
// floor in this same binary, so every figure reads as a ratio to the floor of the same run:
//
//   W3  line_writer 2,000,000 lines of 64 bytes (every 10th to stderr); every line reaches the
//       sink as one record, with level detection.       floor: posix_spawn + 2 pipes + poll +
//       read() counting '\n' with memchr + waitpid,     run in the floor server (floor_server.hpp).
//       Each W3 benchmark takes the line shape as its argument (line_shapes.hpp: 0 tracing,
//       1 no level, 2 JSON, 3 logfmt), and the floor reads the same writer with the same shape.
//       figures: lines/s, MB/s, parent CPU ns per line (getrusage, all threads of this process;
//       the server's own process CPU time for the floor), lines lost (must be 0)
//   W5  20 children that ignore SIGTERM; shutdown() with a 1 s grace: wall seconds
//                                                       floor: SIGTERM all, one 1 s wait, SIGKILL
//                                                       all, waitpid all
//   W6  N idle children (/bin/sleep) with both pipes under one backend, for 5 s: parent CPU
//       seconds, threads, RSS per child.                floor: the same children and pipes, the
//                                                       parent asleep in poll()
//
// The W5 and W6 floors stay in this process: W5's is one second of sleep between two signal
// rounds, and W6's is this process asleep in poll(), neither of which modhost's handler or idle
// threads can slow measurably.
//
// Run: build/bench_modhost --benchmark_filter='W[356]' --benchmark_repetitions=3
//        --benchmark_report_aggregates_only=true

#include <benchmark/benchmark.h>

#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <memory>
#include <condition_variable>
#include <cstring>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "backend_factory.hpp"
#include "floor_server.hpp"
#include "line_shapes.hpp"
#include "modhost/local_backend.hpp"

extern char** environ;

namespace {



using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

constexpr long kW3Lines = 2000000;
constexpr long kW3Length = 64;

double cpu_seconds() {
  rusage ru{};
  ::getrusage(RUSAGE_SELF, &ru);
  return static_cast<double>(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
         static_cast<double>(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

long rss_bytes() {
  long pages = 0, resident = 0;
  FILE* f = std::fopen("/proc/self/statm", "r");
  if (f == nullptr) return 0;
  if (std::fscanf(f, "%ld %ld", &pages, &resident) != 2) resident = 0;
  std::fclose(f);
  return resident * ::sysconf(_SC_PAGESIZE);
}

int thread_count() {
  int n = 0;
  DIR* d = ::opendir("/proc/self/task");
  if (d == nullptr) return -1;
  while (dirent* e = ::readdir(d)) n += e->d_name[0] != '.';
  ::closedir(d);
  return n;
}

// posix_spawn with stdout/stderr to fresh pipes (parent ends returned, close-on-exec) and stdin
// from /dev/null.
pid_t raw_spawn_piped(std::vector<std::string> args, int* out_fd, int* err_fd) {
  int o[2], e[2];
  if (::pipe2(o, O_CLOEXEC) != 0 || ::pipe2(e, O_CLOEXEC) != 0) return -1;
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&fa, o[1], 1);
  posix_spawn_file_actions_adddup2(&fa, e[1], 2);
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  pid_t pid = -1;
  if (::posix_spawn(&pid, argv[0], &fa, nullptr, argv.data(), environ) != 0) pid = -1;
  posix_spawn_file_actions_destroy(&fa);
  ::close(o[1]);
  ::close(e[1]);
  *out_fd = o[0];
  *err_fd = e[0];
  return pid;
}

// Waits for `n` on_exit calls of a backend.
struct ExitLatch {
  std::mutex mutex;
  std::condition_variable cv;
  std::size_t exits = 0;
  std::size_t ready = 0;
  bool wait_exits(std::size_t n, std::chrono::seconds bound) {
    std::unique_lock<std::mutex> lock(mutex);
    return cv.wait_for(lock, bound, [&] { return exits >= n; });
  }
  bool wait_ready(std::size_t n, std::chrono::seconds bound) {
    std::unique_lock<std::mutex> lock(mutex);
    return cv.wait_for(lock, bound, [&] { return ready >= n; });
  }
};

// ---- W3 -----------------------------------------------------------------------------------------

// What one run of the W3 writer cost: lines and bytes that arrived, parent CPU and wall seconds.
struct W3Sample {
  long lines = 0;
  double bytes = 0;
  double cpu = 0;
  double wall = 0;
};

double wall_seconds() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

// The floor: the writer's two pipes read with poll() + read() into one buffer, counting '\n',
// run and timed (wall and CPU) in the floor server, the clean process forked before any modhost
// call (floor_server.hpp), so modhost's SIGCHLD handler and threads in this process cost it nothing.
bool w3_floor_once(W3Sample& s, bench::LineShape shape) {
  bench::FloorReply r = bench::floor_call(bench::FloorOp::ReadLines, kW3Lines, kW3Length,
                                          static_cast<std::int32_t>(shape));
  if (!r.ok()) return false;
  s.lines += static_cast<long>(r.lines);
  s.bytes += static_cast<double>(r.bytes);
  s.cpu += r.cpu_seconds();
  s.wall += r.seconds();
  return true;
}

// modhost: the writer as a backend instance; a sink that looks at every record (what a real sink
// starts with); a run ends when on_exit reports the instance, after its last line.
class W3Backend {
 public:
  explicit W3Backend(bench::LineShape shape) : cfg_("w3", modhost::BackendKind::LocalProcess) {
    modhost::LocalBackendOptions o;
    o.sink = [this](const modhost::LogRecord& r) {
      if (r.stream) {
        ++sample_->lines;
        sample_->bytes += static_cast<double>(r.line.size() + 1);
        benchmark::DoNotOptimize(r.level);
      }
    };
    o.on_exit = [this](const modhost::InstanceStatus&) {
      std::lock_guard<std::mutex> lock(latch_.mutex);
      ++latch_.exits;
      latch_.cv.notify_all();
    };
    backend_ = bench::make_backend(o);
    cfg_.binary = MODHOST_LINE_WRITER;
    cfg_.args = {std::to_string(kW3Lines), std::to_string(kW3Length), bench::shape_name(shape)};
  }

  // One run into `s`; an error text on failure.
  std::string run_once(W3Sample& s) {
    if (!backend_) return "cannot create the backend";
    sample_ = &s;
    double c0 = cpu_seconds();
    double w0 = wall_seconds();
    auto h = backend_->spawn_instance(cfg_);
    if (!h.ok()) return h.error().message();
    if (!latch_.wait_exits(++runs_, 60s)) return "no exit";
    (void)backend_->stop_instance(*h);  // forgets it; its pipes are at EOF already
    s.cpu += cpu_seconds() - c0;
    s.wall += wall_seconds() - w0;
    return {};
  }

 private:
  ExitLatch latch_;
  modhost::OopModuleConfig cfg_;
  std::unique_ptr<modhost::LocalProcessBackend> backend_;
  W3Sample* sample_ = nullptr;
  std::size_t runs_ = 0;
};

// Rates over the runs' own wall time (for the floor, the server's measurement, without the round
// trip to it).
void w3_counters(benchmark::State& state, const W3Sample& s) {
  state.counters["lines/s"] = s.wall > 0 ? static_cast<double>(s.lines) / s.wall : 0;
  state.counters["MB/s"] = s.wall > 0 ? s.bytes / 1e6 / s.wall : 0;
  state.counters["cpu_ns/line"] = s.cpu * 1e9 / static_cast<double>(s.lines);
  state.counters["lines_lost"] = static_cast<double>(kW3Lines * static_cast<long>(state.iterations()) - s.lines);
}

bench::LineShape shape_of(const benchmark::State& state) {
  return static_cast<bench::LineShape>(state.range(0));
}

// The W3 benchmarks run once per line shape.
void w3_shapes(benchmark::internal::Benchmark* b) {
  b->ArgName("shape")->DenseRange(0, 3);
}

void BM_W3_Floor_ReadLoop(benchmark::State& state) {
  W3Sample s;
  state.SetLabel(bench::shape_name(shape_of(state)));
  for (auto _ : state) {
    if (!w3_floor_once(s, shape_of(state))) return state.SkipWithError("spawn failed");
  }
  w3_counters(state, s);
}
BENCHMARK(BM_W3_Floor_ReadLoop)
    ->Apply(w3_shapes)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime()
    ->Iterations(5);

void BM_W3_Backend(benchmark::State& state) {
  W3Backend backend(shape_of(state));
  state.SetLabel(bench::shape_name(shape_of(state)));
  W3Sample s;
  for (auto _ : state) {
    std::string error = backend.run_once(s);
    if (!error.empty()) return state.SkipWithError(error.c_str());
  }
  w3_counters(state, s);
}
BENCHMARK(BM_W3_Backend)
    ->Apply(w3_shapes)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime()
    ->Iterations(5);

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0 : v[v.size() / 2];
}

// Floor and modhost alternately in one loop (which goes first alternates too), so both see the
// same machine load; the ratios of the medians are the figures to read on a shared machine.
void BM_W3_Paired(benchmark::State& state) {
  W3Backend backend(shape_of(state));
  state.SetLabel(bench::shape_name(shape_of(state)));
  std::vector<double> floor_cpu, floor_rate, mh_cpu, mh_rate;
  long lost = 0;
  bool floor_first = true;
  for (auto _ : state) {
    W3Sample f, m;
    for (int half = 0; half < 2; ++half) {
      if ((half == 0) == floor_first) {
        if (!w3_floor_once(f, shape_of(state))) return state.SkipWithError("spawn failed");
      } else {
        std::string error = backend.run_once(m);
        if (!error.empty()) return state.SkipWithError(error.c_str());
      }
    }
    floor_first = !floor_first;
    floor_cpu.push_back(f.cpu * 1e9 / static_cast<double>(f.lines));
    floor_rate.push_back(static_cast<double>(f.lines) / f.wall);
    mh_cpu.push_back(m.cpu * 1e9 / static_cast<double>(m.lines));
    mh_rate.push_back(static_cast<double>(m.lines) / m.wall);
    lost += kW3Lines - m.lines;
  }
  state.counters["floor_cpu_ns/line"] = median(floor_cpu);
  state.counters["modhost_cpu_ns/line"] = median(mh_cpu);
  state.counters["cpu_ratio"] = median(mh_cpu) / median(floor_cpu);
  state.counters["floor_Mlines/s"] = median(floor_rate) / 1e6;
  state.counters["modhost_Mlines/s"] = median(mh_rate) / 1e6;
  state.counters["rate_ratio"] = median(mh_rate) / median(floor_rate);
  state.counters["lines_lost"] = static_cast<double>(lost);
}
BENCHMARK(BM_W3_Paired)
    ->Apply(w3_shapes)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime()
    ->Iterations(25);

// ---- W5 -----------------------------------------------------------------------------------------

constexpr int kW5Children = 20;

void BM_W5_Floor_OneGrace(benchmark::State& state) {
  for (auto _ : state) {
    state.PauseTiming();
    std::vector<pid_t> pids;
    std::vector<int> fds;
    for (int i = 0; i < kW5Children; ++i) {
      int o, e;
      pids.push_back(raw_spawn_piped({MODHOST_TEST_CHILD, "ignore-term"}, &o, &e));
      char c[6];
      (void)!::read(o, c, sizeof c);  // "ready\n": SIGTERM is ignored from now on
      fds.push_back(o);
      fds.push_back(e);
    }
    state.ResumeTiming();
    auto deadline = Clock::now() + 1s;
    for (pid_t p : pids) ::kill(p, SIGTERM);
    std::this_thread::sleep_until(deadline);  // the floor knows nobody will exit early
    for (pid_t p : pids) ::kill(p, SIGKILL);
    for (pid_t p : pids) ::waitpid(p, nullptr, 0);
    state.PauseTiming();
    for (int fd : fds) ::close(fd);
    state.ResumeTiming();
  }
}
BENCHMARK(BM_W5_Floor_OneGrace)->Unit(benchmark::kMillisecond)->UseRealTime()->Iterations(3);

void BM_W5_BackendShutdown(benchmark::State& state) {
  for (auto _ : state) {
    state.PauseTiming();
    ExitLatch latch;
    modhost::LocalBackendOptions o;
    o.shutdown_grace = 1000ms;
    o.sink = [&](const modhost::LogRecord& r) {
      if (r.line == "ready") {
        std::lock_guard<std::mutex> lock(latch.mutex);
        ++latch.ready;
        latch.cv.notify_all();
      }
    };
    auto backend = bench::make_backend(o);
    if (!backend) return state.SkipWithError("cannot create the backend");
    modhost::OopModuleConfig cfg("w5", modhost::BackendKind::LocalProcess);
    cfg.binary = MODHOST_TEST_CHILD;
    cfg.args = {"ignore-term"};
    for (int i = 0; i < kW5Children; ++i) (void)backend->spawn_instance(cfg);
    if (!latch.wait_ready(kW5Children, 30s)) {
      state.SkipWithError("children not ready");
      return;
    }
    state.ResumeTiming();
    backend->shutdown();
    state.PauseTiming();
    backend.reset();
    state.ResumeTiming();
  }
}
BENCHMARK(BM_W5_BackendShutdown)->Unit(benchmark::kMillisecond)->UseRealTime()->Iterations(3);

// ---- W6 -----------------------------------------------------------------------------------------

constexpr auto kW6Idle = 5s;

void BM_W6_Floor_PollIdle(benchmark::State& state) {
  const int n = static_cast<int>(state.range(0));
  for (auto _ : state) {
    long rss0 = rss_bytes();
    std::vector<pid_t> pids;
    std::vector<pollfd> fds;
    for (int i = 0; i < n; ++i) {
      int o, e;
      pids.push_back(raw_spawn_piped({"/bin/sleep", "1000"}, &o, &e));
      fds.push_back({o, POLLIN, 0});
      fds.push_back({e, POLLIN, 0});
    }
    double c0 = cpu_seconds();
    (void)::poll(fds.data(), fds.size(), static_cast<int>(std::chrono::milliseconds(kW6Idle).count()));
    state.counters["cpu_s"] = cpu_seconds() - c0;
    state.counters["threads"] = thread_count();
    state.counters["rss_per_child_B"] = static_cast<double>(rss_bytes() - rss0) / n;
    for (pid_t p : pids) ::kill(p, SIGKILL);
    for (pid_t p : pids) ::waitpid(p, nullptr, 0);
    for (auto& f : fds) ::close(f.fd);
  }
}
BENCHMARK(BM_W6_Floor_PollIdle)->Arg(200)->Unit(benchmark::kSecond)->UseRealTime()->Iterations(1);

void BM_W6_BackendIdle(benchmark::State& state) {
  const int n = static_cast<int>(state.range(0));
  for (auto _ : state) {
    modhost::LocalBackendOptions o;
    o.sink = [](const modhost::LogRecord&) {};
    auto backend = bench::make_backend(o);
    if (!backend) return state.SkipWithError("cannot create the backend");
    modhost::OopModuleConfig cfg("w6", modhost::BackendKind::LocalProcess);
    cfg.binary = "/bin/sleep";
    cfg.args = {"1000"};
    // One warm-up instance, so that one-time costs (the read buffer, the exit watcher, the
    // allocator's arenas) are not charged to the idle instances.
    auto warm = backend->spawn_instance(cfg);
    if (warm.ok()) (void)backend->stop_instance(*warm);
    long rss0 = rss_bytes();
    for (int i = 0; i < n; ++i) {
      if (!backend->spawn_instance(cfg).ok()) {
        state.SkipWithError("spawn failed");
        return;
      }
    }
    long rss1 = rss_bytes();
    double c0 = cpu_seconds();
    std::this_thread::sleep_for(kW6Idle);
    state.counters["cpu_s"] = cpu_seconds() - c0;
    state.counters["threads"] = thread_count();
    state.counters["rss_per_child_B"] = static_cast<double>(rss1 - rss0) / n;
    backend->shutdown();
  }
}
BENCHMARK(BM_W6_BackendIdle)->Arg(20)->Arg(200)->Unit(benchmark::kSecond)->UseRealTime()->Iterations(1);

}  // namespace
