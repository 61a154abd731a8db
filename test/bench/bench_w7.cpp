// Workload W7 (docs/benchmarks.md): the modhost tool runs processes that print 1,000,000 lines
// of 64 bytes in all, with its stdout redirected to a file; beside it, in the same run, the floor
// `seq 1 1000000 | sed 's/^/00:00:00 spew.1 | /' > file`. One iteration runs both, alternating
// which goes first, and the counters are medians over the iterations (paired runs: see paired.hpp).
//
// The argument is the number of processes (1 or 20), which share the 1,000,000 lines; each is the
// line writer (line_writer.cpp) printing lines with no level (`0000000123 xxxx...`), every 10th
// on stderr, which the tool merges into the same pipe. The run uses `--can-die`, so that the tool
// ends when the last process has ended instead of stopping the rest when the first one does.
//
// Both sides are programs spawned with posix_spawn and reaped with wait4, whose resource usage
// covers the program and the children it reaped: the tool with its writers, the shell with seq and
// sed. `writer_cpu_ns/line` is the writer alone (its output to /dev/null, in the same iteration),
// and `tool_cpu_ns/line` the tool's own share (the tool's total less the writer's). After each run,
// untimed, the output file is checked: every line of the processes must be there once and whole
// (`lines_lost`, `torn` must be 0).
//
// Run: build/bench_modhost --benchmark_filter=W7 --benchmark_repetitions=3
//        --benchmark_report_aggregates_only=true

#include <benchmark/benchmark.h>

#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "paired.hpp"

extern char** environ;

#if defined(MODHOST_TOOL) && defined(MODHOST_LINE_WRITER)

namespace {

constexpr long kW7Lines = 1000000;
constexpr long kW7Length = 64;

// What one run cost: wall seconds, and CPU seconds of the program and the children it reaped.
struct RunCost {
  double wall = -1;
  double cpu = 0;
  double max_rss_mb = 0;
};

double cpu_of(const rusage& ru) {
  return static_cast<double>(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
         static_cast<double>(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

// Runs argv with stdin from /dev/null, stdout to `out_path` (truncated) and stderr to
// `err_path`, waits for it; wall < 0 when it could not be run or did not exit with 0.
RunCost run(std::vector<std::string> args, const std::string& out_path,
            const std::string& err_path) {
  RunCost cost;
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&fa, 1, out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawn_file_actions_addopen(&fa, 2, err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  auto t0 = bench::Clock::now();
  pid_t pid = -1;
  int err = ::posix_spawn(&pid, argv[0], &fa, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&fa);
  if (err != 0) return cost;
  int status = 0;
  rusage ru{};
  pid_t r;
  do {
    r = ::wait4(pid, &status, 0, &ru);
  } while (r < 0 && errno == EINTR);
  double wall = bench::seconds_since(t0);
  if (r != pid || !WIFEXITED(status) || WEXITSTATUS(status) != 0) return cost;
  cost.wall = wall;
  cost.cpu = cpu_of(ru);
  cost.max_rss_mb = static_cast<double>(ru.ru_maxrss) / 1024.0;
  return cost;
}

// What the check of an output file found among the processes' lines.
struct Check {
  long good = 0;  // whole lines, each sequence number of each process once
  long torn = 0;  // lines with a process's label whose text is not one whole line of it
};

// `HH:MM:SS spew.N  | 0000000123 xxxx...`: the label is padded to the width of "system".
Check check_output(const std::string& path, int processes, long lines_each) {
  Check c;
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (f == nullptr) return c;
  std::vector<std::vector<bool>> seen(static_cast<std::size_t>(processes),
                                      std::vector<bool>(static_cast<std::size_t>(lines_each)));
  const std::string padding(kW7Length - 12, 'x');
  std::vector<char> buf(1 << 20);
  std::string line;
  auto take = [&](std::string_view l) {
    // A process's line has its label right after the clock; the tool's own lines (label
    // "system") may name a process further on ("spew.1 started with pid ...") and are skipped.
    const std::size_t label = 8;
    if (l.substr(label, 6) != " spew.") return;
    std::size_t bar = l.find(" | ", label);
    if (bar == std::string_view::npos) return void(++c.torn);
    std::string number(l.substr(label + 6, bar - label - 6));
    long index = std::strtol(number.c_str(), nullptr, 10);
    std::string_view text = l.substr(bar + 3);
    bool whole = index >= 1 && index <= processes && text.size() == kW7Length - 1 &&
                 text[10] == ' ' && text.substr(11) == padding;
    long seq = whole ? std::strtol(std::string(text.substr(0, 10)).c_str(), nullptr, 10) : -1;
    if (!whole || seq < 0 || seq >= lines_each) return void(++c.torn);
    std::vector<bool>& mine = seen[static_cast<std::size_t>(index - 1)];
    if (mine[static_cast<std::size_t>(seq)]) return void(++c.torn);  // twice is as wrong as torn
    mine[static_cast<std::size_t>(seq)] = true;
    ++c.good;
  };
  std::size_t n;
  while ((n = std::fread(buf.data(), 1, buf.size(), f)) > 0) {
    std::string_view chunk(buf.data(), n);
    std::size_t at;
    while ((at = chunk.find('\n')) != std::string_view::npos) {
      if (line.empty()) {
        take(chunk.substr(0, at));
      } else {
        line.append(chunk.data(), at);
        take(line);
        line.clear();
      }
      chunk.remove_prefix(at + 1);
    }
    line.append(chunk.data(), chunk.size());
  }
  if (!line.empty()) take(line);
  std::fclose(f);
  return c;
}

// A scratch folder with the Procfile, removed at the end.
class Scratch {
 public:
  Scratch() {
    char tmpl[] = "/tmp/modhost-w7-XXXXXX";
    if (::mkdtemp(tmpl) != nullptr) dir_ = tmpl;
  }
  ~Scratch() {
    for (const char* name : {"Procfile", "tool.out", "tool.err", "floor.out", "floor.err"}) {
      ::unlink((dir_ + "/" + name).c_str());
    }
    if (!dir_.empty()) ::rmdir(dir_.c_str());
  }
  bool ok() const { return !dir_.empty(); }
  std::string path(const char* name) const { return dir_ + "/" + name; }

 private:
  std::string dir_;
};

void BM_W7_Paired(benchmark::State& state) {
  const int processes = static_cast<int>(state.range(0));
  const long lines_each = kW7Lines / processes;
  Scratch scratch;
  if (!scratch.ok()) return state.SkipWithError("cannot create a scratch folder");
  {
    std::FILE* procfile = std::fopen(scratch.path("Procfile").c_str(), "w");
    if (procfile == nullptr) return state.SkipWithError("cannot write the Procfile");
    std::fprintf(procfile, "spew: %s %ld %ld nolevel\n", MODHOST_LINE_WRITER, lines_each,
                 kW7Length);
    std::fclose(procfile);
  }
  const std::vector<std::string> tool = {MODHOST_TOOL, "start", "-f", scratch.path("Procfile"),
                                         "-m", "spew=" + std::to_string(processes), "--can-die",
                                         "spew"};
  const std::vector<std::string> floor = {
      "/bin/sh", "-c",
      "seq 1 " + std::to_string(kW7Lines) + " | sed 's/^/00:00:00 spew.1 | /' > " +
          scratch.path("floor.out")};
  const std::vector<std::string> writer = {MODHOST_LINE_WRITER, std::to_string(kW7Lines),
                                           std::to_string(kW7Length), "nolevel"};

  std::vector<double> floor_rate, floor_cpu, tool_rate, tool_cpu, writer_cpu, own_cpu, rss;
  long lost = 0, torn = 0;
  bool floor_first = true;
  for (auto _ : state) {
    RunCost f, t;
    for (int half = 0; half < 2; ++half) {
      if ((half == 0) == floor_first) {
        f = run(floor, "/dev/null", scratch.path("floor.err"));
      } else {
        t = run(tool, scratch.path("tool.out"), scratch.path("tool.err"));
      }
    }
    floor_first = !floor_first;
    RunCost w = run(writer, "/dev/null", "/dev/null");
    if (f.wall < 0) return state.SkipWithError("the floor failed");
    if (t.wall < 0) return state.SkipWithError("the tool failed");
    if (w.wall < 0) return state.SkipWithError("the writer failed");
    state.SetIterationTime(t.wall);
    Check c = check_output(scratch.path("tool.out"), processes, lines_each);
    lost += lines_each * processes - c.good;
    torn += c.torn;
    floor_rate.push_back(kW7Lines / f.wall);
    floor_cpu.push_back(f.cpu * 1e9 / kW7Lines);
    tool_rate.push_back(kW7Lines / t.wall);
    tool_cpu.push_back(t.cpu * 1e9 / kW7Lines);
    writer_cpu.push_back(w.cpu * 1e9 / kW7Lines);
    own_cpu.push_back((t.cpu - w.cpu) * 1e9 / kW7Lines);
    rss.push_back(t.max_rss_mb);
  }
  double fr = bench::median(floor_rate), tr = bench::median(tool_rate);
  state.counters["floor_Mlines/s"] = fr / 1e6;
  state.counters["modhost_Mlines/s"] = tr / 1e6;
  state.counters["rate_ratio"] = fr > 0 ? tr / fr : 0;
  state.counters["floor_cpu_ns/line"] = bench::median(floor_cpu);
  state.counters["modhost_cpu_ns/line"] = bench::median(tool_cpu);
  state.counters["writer_cpu_ns/line"] = bench::median(writer_cpu);
  state.counters["tool_cpu_ns/line"] = bench::median(own_cpu);
  state.counters["max_rss_MB"] = bench::median(rss);
  state.counters["lines_lost"] = static_cast<double>(lost);
  state.counters["torn"] = static_cast<double>(torn);
}
BENCHMARK(BM_W7_Paired)
    ->ArgName("processes")
    ->Arg(1)
    ->Arg(20)
    ->Unit(benchmark::kMillisecond)
    ->UseManualTime()
    ->Iterations(5);

}  // namespace

#endif  // MODHOST_TOOL && MODHOST_LINE_WRITER
