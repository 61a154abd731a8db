#pragma once
// Runs the built modhost tool (MODHOST_TOOL) as a child through the library's own
// LocalProcessBackend, collects its stdout and stderr lines, and lets a test wait for a line or
// for the exit with generous timeouts: events, never sleeps.

#include <gtest/gtest.h>

#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "cli/signals.hpp"
#include "modhost/child_process.hpp"
#include "modhost/local_backend.hpp"

namespace modhost::cli::test {

/// Where the fixtures live.
inline std::string fixture(const std::string& relative) {
  return std::string(MODHOST_SOURCE_DIR) + "/test/cli/fixtures/" + relative;
}

/// Generous: the tests assert what happens, never how fast.
inline constexpr std::chrono::seconds kPatience{30};

/// One run of the tool.
class ToolRun {
 public:
  /// Starts `modhost ARGS...` (or `program ARGS...`) with `env` added to the inherited
  /// environment.
  explicit ToolRun(std::vector<std::string> args,
                   std::vector<std::pair<std::string, std::string>> env = {},
                   std::string program = MODHOST_TOOL) {
    LocalBackendOptions o;
    // The tool's own lines are up to 64 KiB plus its prefix: take them whole.
    o.max_line_length = 1024 * 1024;
    o.sink = [this](const LogRecord& r) {
      if (r.is_supervisor()) return;
      std::lock_guard<std::mutex> lock(mutex_);
      (r.stream == StreamKind::Stdout ? out_ : err_).emplace_back(r.line);
      cv_.notify_all();
    };
    o.on_exit = [this](const InstanceStatus& s) {
      std::lock_guard<std::mutex> lock(mutex_);
      status_ = s.exit_status.value_or(ExitStatus::exited(-1));
      cv_.notify_all();
    };
    auto created = LocalProcessBackend::create(CancellationToken(), std::move(o));
    if (!created) {
      ADD_FAILURE() << "cannot create the backend: " << created.error().message();
      return;
    }
    backend_ = std::move(*created);
    OopModuleConfig cfg("modhost", BackendKind::LocalProcess);
    cfg.binary = std::move(program);
    cfg.args = std::move(args);
    cfg.env = std::move(env);
    Result<InstanceHandle> h = backend_->spawn_instance(cfg);
    EXPECT_TRUE(h.ok()) << (h.ok() ? "" : h.error().message());
    if (h.ok()) {
      pid_ = h->pid.value_or(0);
      handle_ = *h;
    }
  }

  /// Waits for a stdout line containing `needle`; returns the line (nullopt after kPatience).
  std::optional<std::string> wait_stdout(const std::string& needle) {
    return wait_line(out_, [&](const std::string& l) { return l.find(needle) != std::string::npos; });
  }
  /// Waits until `count` stdout lines contain `needle`; false after kPatience.
  bool wait_stdout_count(const std::string& needle, std::size_t count) {
    std::unique_lock<std::mutex> lock(mutex_);
    return cv_.wait_for(lock, kPatience, [&] {
      std::size_t n = 0;
      for (const std::string& l : out_) n += l.find(needle) != std::string::npos ? 1 : 0;
      return n >= count;
    });
  }
  /// Waits for a stdout line equal to `line`.
  std::optional<std::string> wait_stdout_line(const std::string& line) {
    return wait_line(out_, [&](const std::string& l) { return l == line; });
  }
  /// Waits for a stdout line that is a clock (`HH:MM:SS`), a space, and `rest`.
  std::optional<std::string> wait_stdout_stamped(const std::string& rest) {
    return wait_line(out_, [&](const std::string& l) {
      return l.size() == 9 + rest.size() && is_clock(l.substr(0, 8)) && l[8] == ' ' &&
             l.compare(9, std::string::npos, rest) == 0;
    });
  }
  /// Waits for a stderr line containing `needle`.
  std::optional<std::string> wait_stderr(const std::string& needle) {
    return wait_line(err_, [&](const std::string& l) { return l.find(needle) != std::string::npos; });
  }

  /// True for `HH:MM:SS` (digits and colons in that shape).
  static bool is_clock(const std::string& t) {
    if (t.size() != 8) return false;
    for (std::size_t i = 0; i < 8; ++i) {
      bool colon = i == 2 || i == 5;
      if (colon ? t[i] != ':' : (t[i] < '0' || t[i] > '9')) return false;
    }
    return true;
  }

  /// Waits for the tool's exit; nullopt after kPatience.
  std::optional<ExitStatus> wait_exit() {
    std::unique_lock<std::mutex> lock(mutex_);
    cv_.wait_for(lock, kPatience, [this] { return status_.has_value(); });
    return status_;
  }

  /// Waits for the exit and for every line to be delivered (shutdown drains the pipes).
  std::optional<ExitStatus> finish() {
    std::optional<ExitStatus> st = wait_exit();
    backend_->shutdown();
    return st;
  }

  /// Sends `signal` to the tool itself, by handle (it leads its own process group; its children
  /// lead theirs).
  void send(Signal signal) {
    ASSERT_TRUE(handle_.has_value());
    Result<void> r = backend_->signal_instance(*handle_, signal_number(signal));
    ASSERT_TRUE(r.ok()) << r.error().message();
  }

  /// The tool's process id (0 if it did not start).
  ProcessId pid() const noexcept { return pid_; }

  /// All stdout lines so far.
  std::vector<std::string> stdout_lines() {
    std::lock_guard<std::mutex> lock(mutex_);
    return out_;
  }
  /// All stderr lines so far.
  std::vector<std::string> stderr_lines() {
    std::lock_guard<std::mutex> lock(mutex_);
    return err_;
  }
  /// Every stdout line joined by newlines, for failure messages and searches.
  std::string stdout_text() { return join(stdout_lines()); }
  /// Every stderr line joined by newlines.
  std::string stderr_text() { return join(stderr_lines()); }

 private:
  static std::string join(const std::vector<std::string>& lines) {
    std::string all;
    for (const auto& l : lines) all += l + "\n";
    return all;
  }

  // std::regex is avoided on purpose: GCC 12's <regex> trips -Wmaybe-uninitialized under ASan.
  template <class Pred>
  std::optional<std::string> wait_line(std::vector<std::string>& lines, Pred pred) {
    std::unique_lock<std::mutex> lock(mutex_);
    std::size_t seen = 0;
    auto scan = [&] {
      for (; seen < lines.size(); ++seen) {
        if (pred(lines[seen])) return true;
      }
      return false;
    };
    if (!cv_.wait_for(lock, kPatience, scan)) return std::nullopt;
    return lines[seen];
  }

  std::mutex mutex_;
  std::condition_variable cv_;
  std::vector<std::string> out_;
  std::vector<std::string> err_;
  std::optional<ExitStatus> status_;
  ProcessId pid_ = 0;
  std::optional<InstanceHandle> handle_;
  std::unique_ptr<LocalProcessBackend> backend_;
};

/// True when `pid` no longer exists (a zombie waiting for init to reap it counts as gone: it runs
/// nothing). Asked of ps, so the test needs no OS call of its own.
inline bool process_gone(const std::string& pid) {
  SpawnOptions so;
  so.program = "ps";
  so.args = {"-o", "stat=", "-p", pid};
  so.stdout_mode = Stdio::Pipe;
  so.stderr_mode = Stdio::Null;
  Result<ChildProcess> ps = ChildProcess::spawn(so);
  EXPECT_TRUE(ps.ok()) << (ps.ok() ? "" : ps.error().message());
  if (!ps.ok()) return false;
  Result<Output> out = ps->output();
  EXPECT_TRUE(out.ok());
  if (!out.ok()) return false;
  return out->stdout_data.empty() || out->stdout_data[0] == 'Z';
}

/// Sends signal `name` ("TERM", "INT") to process `pid` with kill(1), for a process the test only
/// knows by the id it printed (the tool behind a shell pipeline). Waits for kill(1) to finish.
inline void kill_process(const std::string& pid, const std::string& name) {
  SpawnOptions so;
  so.program = "/bin/sh";  // its kill builtin: a kill program is not installed everywhere
  so.args = {"-c", "kill -s " + name + " " + pid};
  Result<ChildProcess> kill = ChildProcess::spawn(so);
  ASSERT_TRUE(kill.ok()) << kill.error().message();
  Result<ExitStatus> st = kill->wait();
  ASSERT_TRUE(st.ok()) << st.error().message();
  EXPECT_TRUE(st->success()) << "kill -s " << name << " " << pid << ": " << st->to_string();
}

}  // namespace modhost::cli::test
