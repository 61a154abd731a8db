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
#include <regex>
#include <string>
#include <utility>
#include <vector>

#include "cli/signals.hpp"
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
    backend_ = std::make_unique<LocalProcessBackend>(CancellationToken(), std::move(o));
    OopModuleConfig cfg("modhost", BackendKind::LocalProcess);
    cfg.binary = std::move(program);
    cfg.args = std::move(args);
    cfg.env = std::move(env);
    Result<InstanceHandle> h = backend_->spawn_instance(cfg);
    EXPECT_TRUE(h.ok()) << (h.ok() ? "" : h.error().message());
    if (h.ok()) pid_ = h->pid.value_or(0);
  }

  /// Waits for a stdout line matching `pattern` (a regex, searched); returns the match.
  std::optional<std::smatch> wait_stdout(const std::string& pattern) {
    return wait_line(out_, pattern);
  }
  /// Waits for a stderr line matching `pattern`.
  std::optional<std::smatch> wait_stderr(const std::string& pattern) {
    return wait_line(err_, pattern);
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

  /// Sends `signal` to the tool itself (it leads its own process group; its children lead theirs).
  void send(Signal signal) {
    ASSERT_GT(pid_, 0);
    Result<void> r = signal_process(pid_, signal);
    ASSERT_TRUE(r.ok()) << r.error().message();
  }

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

  std::optional<std::smatch> wait_line(std::vector<std::string>& lines, const std::string& pattern) {
    std::regex re(pattern);
    std::unique_lock<std::mutex> lock(mutex_);
    std::size_t seen = 0;
    std::optional<std::smatch> found;
    auto scan = [&] {
      for (; seen < lines.size(); ++seen) {
        std::smatch m;
        if (std::regex_search(lines[seen], m, re)) {
          found = m;
          return true;
        }
      }
      return false;
    };
    // Matches refer to strings in `lines`, which are never modified or removed while the run
    // lives, but the vector may reallocate: copy the matched line to keep the match valid.
    if (!cv_.wait_for(lock, kPatience, scan)) return std::nullopt;
    kept_.push_back(std::make_unique<std::string>(lines[seen]));
    std::smatch m;
    std::regex_search(*kept_.back(), m, re);
    return m;
  }

  std::mutex mutex_;
  std::condition_variable cv_;
  std::vector<std::string> out_;
  std::vector<std::string> err_;
  std::vector<std::unique_ptr<std::string>> kept_;
  std::optional<ExitStatus> status_;
  ProcessId pid_ = 0;
  std::unique_ptr<LocalProcessBackend> backend_;
};

}  // namespace modhost::cli::test
