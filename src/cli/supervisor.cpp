#include "supervisor.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <unordered_map>

#include "event_queue.hpp"
#include "reaper.hpp"
#include "restart.hpp"
#include "shell.hpp"
#include "signals.hpp"
#include "stop_grace.hpp"
#include "summary.hpp"
#include "modhost/local_backend.hpp"
#include "modhost_platform.hpp"

namespace modhost::cli {

namespace {

// After the processes are gone, the least time the output queue is given to write what it holds.
constexpr std::chrono::milliseconds kLastOutputWindow{250};

// One `start` run. The main thread owns the decisions (when to stop, the exit code); the other
// threads (signals, the backend's poll thread, the stopper, the output writer) only report events
// through the queue and print lines.
class StartRun {
 public:
  StartRun(const Options& options, const ProjectConfig& config,
           const std::vector<InstancePlan>& plan, OutputWriter& out)
      : options_(options),
        config_(config),
        plan_(plan),
        out_(out),
        restarts_(restart_backoff_base()) {
    for (const auto& p : plan_) {
      color_of_[p.label] = static_cast<int>(p.entry_index);
      plan_of_[p.label] = &p;
    }
  }

  int run() {
    Result<void> rules = options_.end_rules.check(config_.procfile);
    if (!rules) {
      detail::write_stderr("modhost: error: " + rules.error().message() + "\n");
      return 1;
    }
    out_.set_on_broken([this] { queue_.push({RunEvent::Kind::OutputBroken, {}, {}}); });
    // First, before any other thread exists: the stopper thread inherits the mask the watcher
    // sets on this one, and must block the stop signals like every thread (the library's threads
    // block every signal anyway), or a stop signal handed to it would end the tool at once.
    auto watcher = SignalWatcher::start(
        [this](const SignalEvent& e) { queue_.push({RunEvent::Kind::SignalCaught, e, {}}); });
    if (!watcher) {
      detail::write_stderr("modhost: error: " + watcher.error().message() + "\n");
      return 1;
    }
    // After the watcher, so that the writer thread blocks the stop signals too.
    Result<void> writing = out_.start();
    if (!writing) {
      detail::write_stderr("modhost: error: " + writing.error().message() + "\n");
      return 1;
    }
    // Before the first spawn: the library's SIGCHLD handler, if it needs one, chains to the
    // reaper's. Not fatal: without it, orphans are left to init as before.
    if (Result<void> reaper = start_orphan_reaper(); !reaper) {
      out_.system("cannot reap orphaned processes: " + reaper.error().message(), LogLevel::Warn);
    }

    LocalBackendOptions bo;
    bo.sink = [this](const LogRecord& r) { on_record(r); };
    // Child output in batches (the lines of one read of one pipe): one buffer and one queue push
    // per batch instead of per line.
    bo.batch_sink = [this](const LogRecord* records, std::size_t count) {
      on_lines(records, count);
    };
    bo.shutdown_grace = options_.timeout;
    bo.partial_line_timeout = std::chrono::milliseconds(100);
    bo.max_line_length = options_.max_line_length;
    bo.on_exit = [this](const InstanceStatus& s) { on_exit(s); };
    // Comes before the instance's first line, so "started with pid N" precedes its output.
    bo.on_spawn = [this](const InstanceHandle& h) {
      out_.system(h.module + " started with pid " + std::to_string(h.pid.value_or(0)));
    };
    // If the tool dies without stopping its processes (SIGKILL, a crash), their leaders die too.
    // Linux ties this to the spawning thread: every spawn_instance call below runs on this thread,
    // which lives until the backend is destroyed at the end of run(), so no instance is killed
    // early. Only the leaders are covered, not their descendants; a normal stop reaches those.
    bo.kill_on_parent_death = true;
    auto created = LocalProcessBackend::create(token_, std::move(bo));
    if (!created) {
      detail::write_stderr("modhost: error: " + created.error().message() + "\n");
      return 1;
    }
    backend_ = std::move(*created);

    for (const InstancePlan& p : plan_) {
      if (!spawn(p)) break;
    }
    while (true) {
      // Restarts are only pending while no stop has begun (begin_stop cancels them).
      std::optional<RunEvent> e = queue_.pop_until(restarts_.next_due());
      if (!e) {
        restart_due();
        continue;
      }
      if (e->kind == RunEvent::Kind::StopDone) break;
      handle(*e);
    }
    if (stopper_.joinable()) stopper_.join();
    backend_.reset();
    std::vector<std::string> summary = summary_lines(ends(), grace_.load());
    std::string restarted = restart_summary(restarts_.counts());
    if (!restarted.empty()) summary.push_back(restarted);
    if (out_.broken()) {
      for (const std::string& line : summary) detail::write_stderr("modhost: " + line + "\n");
    } else {
      for (const std::string& line : summary) out_.system(line);
    }
    flush_output(summary);
    return exit_code_.value_or(0);
  }

 private:
  bool spawn(const InstancePlan& p) {
    ShellCommand run = start_command(p.command, config_.root, config_.env.value_for_child("PATH"),
                                     config_.env.value_for_child("PWD"));
    Result<InstanceHandle> handle = spawn_as(p, run);
    // What the spawn could not start, the shell gets to try and to report as it always did.
    if (!handle && run.direct) handle = spawn_as(p, shell_command(p.command));
    if (!handle) {
      out_.system("cannot start " + p.label + ": " + handle.error().message(), LogLevel::Error);
      exit_code_ = 1;
      begin_stop();
      return false;
    }
    ++running_;
    restarts_.started(p.label, std::chrono::steady_clock::now());
    return true;
  }

  Result<InstanceHandle> spawn_as(const InstancePlan& p, const ShellCommand& run) {
    OopModuleConfig cfg(p.label, BackendKind::LocalProcess);
    cfg.binary = run.program;
    cfg.args = run.args;
    for (const auto& kv : config_.env.items()) cfg.env.push_back(kv);
    for (const auto& kv : run.env) cfg.env.push_back(kv);
    // The instance's own values win over the .env files, as in foreman.
    cfg.env.emplace_back("PORT", std::to_string(p.port));
    cfg.env.emplace_back("PS", p.label);
    cfg.working_directory = config_.root;
    // One pipe for both streams, as foreman and honcho do: the lines keep the order in which the
    // process wrote them (two pipes are read in whatever order the poll finds them ready).
    cfg.merge_stderr_into_stdout = options_.merge_stderr;
    return backend_->spawn_instance(cfg);
  }

  // Runs on this (the main) thread only, and never after the stop began: begin_stop cancels the
  // pending restarts first, so no instance is spawned once a stop is under way.
  void restart_due() {
    for (const std::string& label : restarts_.take_due(std::chrono::steady_clock::now())) {
      if (stopping_ || !spawn(*plan_of_.at(label))) return;
    }
  }

  // An instance's final status reached the main thread. Before any stop, it ended by itself.
  void on_instance_ended(const InstanceStatus& s) {
    --running_;
    if (stopping_) return;
    const std::string& label = s.handle.module;
    const std::string& name = plan_of_.at(label)->name;
    if (options_.end_rules.restarts(name)) {
      auto [delay, number] = restarts_.schedule(label, std::chrono::steady_clock::now());
      out_.system("restarting " + label + " in " + format_seconds(delay) + " (restart " +
                  std::to_string(number) + ")");
      return;
    }
    if (options_.end_rules.may_end(name)) {
      if (running_ > 0 || restarts_.pending()) return;
      // Everything has ended and nothing is to restart: the run is over, and none of the ends
      // was a failure of the run.
      out_.system("every process has ended");
      if (!exit_code_) exit_code_ = 0;
      begin_stop(false);
      return;
    }
    exit_code_ = s.exit_status ? s.exit_status->shell_code() : 1;
    begin_stop();
  }

  void handle(const RunEvent& e) {
    switch (e.kind) {
      case RunEvent::Kind::SignalCaught: on_signal(e.signal); break;
      case RunEvent::Kind::InstanceEnded: on_instance_ended(e.status); break;
      case RunEvent::Kind::OutputBroken:
        if (!stopping_) {
          detail::write_stderr("modhost: stdout is closed, stopping all processes\n");
          exit_code_ = kBrokenOutputExitCode;
          begin_stop();
        }
        break;
      case RunEvent::Kind::StopDone:
      case RunEvent::Kind::OutputFlushed: break;
    }
  }

  void on_signal(const SignalEvent& event) {
    const Signal sig = event.signal;
    if (sig == Signal::User1 || sig == Signal::User2) {
      // By handle: the backend refuses an instance that has been reaped meanwhile, so no pid
      // from the snapshot can reach another process.
      int sent = 0;
      for (const InstanceStatus& s : backend_->statuses()) {
        if (s.state == InstanceState::Running &&
            backend_->signal_instance(s.handle, signal_number(sig)).ok()) {
          ++sent;
        }
      }
      out_.system(std::string(to_string(sig)) + " forwarded to " + std::to_string(sent) +
                  (sent == 1 ? " process" : " processes"));
      return;
    }
    if (!stopping_) {
      out_.system(std::string(to_string(sig)) + " received");
      exit_code_ = signal_exit_code(sig);
      begin_stop(true, event.ends_process_within);
      return;
    }
    // Also the first signal after every process ended by itself: stdout may be stalled, and
    // the output still owed must not hold up the end any longer.
    out_.stop_waiting();
    if (!forced_.exchange(true)) {
      out_.system(std::string(to_string(sig)) + " received again, killing all processes now",
                  LogLevel::Warn);
      // The shutdown in progress (on stopper_) completes as soon as the processes are gone.
      backend_->kill_all();
    }
  }

  // `announce`: say that SIGTERM is sent (false when no process is left to receive it).
  // `ends_within`: nonzero when the system ends the tool that long after the stop began (see
  // SignalEvent); the grace period is then cut so the whole stop fits.
  void begin_stop(bool announce = true,
                  std::chrono::milliseconds ends_within = std::chrono::milliseconds(0)) {
    if (stopping_) return;
    stopping_ = true;
    stop_began_ = std::chrono::steady_clock::now();
    // A stop that stops something (a signal, a process that failed) must not depend on anyone
    // reading stdout: from now on the poll thread drops what does not fit in the output queue
    // rather than wait for room. When every process has ended by itself there is nothing to
    // stop, and the lines still in their pipes are owed in full (they come after an exit record
    // whenever the drain timeout ran out while the queue was full); a signal then still ends the
    // wait (on_signal).
    if (announce) out_.stop_waiting();
    const std::chrono::milliseconds grace = stop_grace(options_.timeout, ends_within);
    const bool cut = grace < options_.timeout;
    grace_.store(grace);
    if (announce) {
      out_.system("sending SIGTERM to all processes (killing them after " +
                  format_seconds(grace) +
                  (cut ? ", not " + format_seconds(options_.timeout) +
                             ": the system ends modhost " + format_seconds(ends_within) +
                             " after this signal"
                       : std::string()) +
                  ")");
    }
    for (const std::string& label : restarts_.cancel_all()) {
      out_.system("restart of " + label + " cancelled");
    }
    // shutdown() blocks for up to the grace period; the main loop must stay free to see a second
    // Ctrl-C, so it runs here.
    stopper_ = std::thread([this, grace] {
      backend_->shutdown(grace);
      queue_.push({RunEvent::Kind::StopDone, {}, {}});
    });
  }

  // Runs on the backend's threads, one call at a time: lines of one process.
  void on_lines(const LogRecord* records, std::size_t count) {
    std::string_view module = records[0].module;
    auto it = color_of_.find(std::string(module));
    out_.lines(records, count, module, it == color_of_.end() ? kSystemColor : it->second,
               PushWait::ForRoom);
  }

  // Runs on the backend's threads, one call at a time.
  void on_record(const LogRecord& r) {
    if (!r.is_supervisor()) {
      auto it = color_of_.find(std::string(r.module));
      out_.line(r.timestamp, r.module, it == color_of_.end() ? kSystemColor : it->second, r.level,
                r.line, PushWait::ForRoom);
      return;
    }
    // The backend's own lifecycle records are replaced by the tool's shorter lines, printed from
    // on_spawn, on_exit and the stop; what is left are its warnings and errors.
    if (r.event != SupervisorEvent::Warning && r.event != SupervisorEvent::Error) return;
    std::string_view text = r.line;
    std::string line = r.module.empty() ? std::string(text)
                                        : std::string(r.module) + ": " + std::string(text);
    out_.line(r.timestamp, kSystemLabel, kSystemColor, r.level, line, PushWait::Never);
  }

  // Runs on the backend's poll (or stop) thread as soon as the instance ended, after its last lines
  // were delivered: during a stop, each process's line comes when it ends.
  void on_exit(const InstanceStatus& s) {
    InstanceEnd end = classify_end(s, forced_.load());
    {
      // A restarted label is listed once in the summary, with its last end.
      std::lock_guard<std::mutex> lock(mutex_);
      auto same = std::find_if(ends_.begin(), ends_.end(),
                               [&](const InstanceEnd& e) { return e.label == end.label; });
      if (same != ends_.end()) ends_.erase(same);
      ends_.push_back(end);
    }
    // The backend keeps an instance that ended by itself (and its pipes, which a descendant may
    // still write to) until it is stopped; one that may end is not stopped until the run ends,
    // so it is let go now. From this callback the call only posts: it never waits.
    if (s.exited_by_itself && options_.end_rules.may_end(plan_of_.at(s.handle.module)->name)) {
      (void)backend_->stop_instance(s.handle);
    }
    bool bad = end.kind == EndKind::Killed || end.kind == EndKind::KilledAtOnce ||
               (end.kind == EndKind::ExitedByItself && !end.status.success());
    out_.system(end.label + " " + describe_end(end, grace_.load()),
                bad ? LogLevel::Warn : LogLevel::Info);
    queue_.push({RunEvent::Kind::InstanceEnded, {}, s});
  }

  std::vector<InstanceEnd> ends() {
    std::lock_guard<std::mutex> lock(mutex_);
    return ends_;
  }

  // Gives the output queue until the grace period is over (at least a short while after the
  // stop, so that a slow reader still gets the last lines), or until a stop signal says not to
  // wait; then whatever stdout did not take is dropped, and stderr says how much.
  void flush_output(const std::vector<std::string>& summary) {
    out_.close([this] { queue_.push({RunEvent::Kind::OutputFlushed, {}, {}}); });
    const auto now = std::chrono::steady_clock::now();
    auto deadline = std::max(stop_began_ + grace_.load(), now + kLastOutputWindow);
    if (forced_.load()) deadline = now + kLastOutputWindow;
    while (std::optional<RunEvent> e = queue_.pop_until(deadline)) {
      if (e->kind == RunEvent::Kind::OutputFlushed || e->kind == RunEvent::Kind::OutputBroken) break;
      if (e->kind == RunEvent::Kind::SignalCaught && e->signal.signal != Signal::User1 &&
          e->signal.signal != Signal::User2) {
        break;
      }
    }
    OutputLoss loss = out_.finish();
    if (loss.lines == 0) return;
    // stdout may not be read at all: the summary and the loss go to stderr too.
    for (const std::string& line : summary) detail::write_stderr("modhost: " + line + "\n");
    detail::write_stderr("modhost: " + std::to_string(loss.lines) + (loss.lines == 1 ? " line" : " lines") +
                 " of output (" + std::to_string(loss.bytes) +
                 " bytes) dropped: stdout did not take them within the grace period\n");
  }

  const Options& options_;
  const ProjectConfig& config_;
  const std::vector<InstancePlan>& plan_;
  OutputWriter& out_;
  std::unordered_map<std::string, int> color_of_;  // read-only once the run starts
  std::unordered_map<std::string, const InstancePlan*> plan_of_;  // by label; read-only too

  EventQueue queue_;
  CancellationToken token_;
  std::unique_ptr<LocalProcessBackend> backend_;
  std::thread stopper_;
  bool stopping_ = false;              // main thread only
  std::chrono::steady_clock::time_point stop_began_;  // main thread only
  // The stop's grace period: --timeout, or less when the system ends the tool sooner (begin_stop,
  // on the main thread); on_exit reads it on the backend's poll thread.
  std::atomic<std::chrono::milliseconds> grace_{options_.timeout};
  std::optional<int> exit_code_;       // main thread only; the first reason to stop decides it
  int running_ = 0;                    // main thread only: spawned, final status not yet seen
  RestartSchedule restarts_;           // main thread only
  std::atomic<bool> forced_{false};   // the second interrupt called kill_all

  std::mutex mutex_;  // guards ends_
  std::vector<InstanceEnd> ends_;
};

}  // namespace

int run_start(const Options& options, const ProjectConfig& config,
              const std::vector<InstancePlan>& plan, OutputWriter& out) {
  return StartRun(options, config, plan, out).run();
}

}  // namespace modhost::cli
