// ChildProcess: the portable RAII owner of a child, on top of src/modhost_platform.hpp and the
// condition-variable waits of src/modhost_process_state.hpp.

#include "modhost/child_process.hpp"

#include <string>
#include <utility>

#include "modhost_platform.hpp"
#include "modhost_process_state.hpp"
#include "modhost_spawn_support.hpp"

namespace modhost {

namespace {

Error inert_error() {
  return Error(errc::not_running, "the ChildProcess owns no child (moved-from or default-constructed)");
}

// now + timeout, saturating instead of overflowing for huge timeouts.
std::chrono::steady_clock::time_point deadline_after(std::chrono::nanoseconds timeout) {
  auto now = std::chrono::steady_clock::now();
  if (timeout <= std::chrono::nanoseconds::zero()) return now;
  if (timeout >= std::chrono::steady_clock::time_point::max() - now) {
    return std::chrono::steady_clock::time_point::max();
  }
  return now + std::chrono::duration_cast<std::chrono::steady_clock::duration>(timeout);
}

// Windows sends some graceful requests off the caller's thread; one that could not be delivered
// made the platform kill the child at once (ProcessState::set_undelivered_request), and the
// result says so: no request arrived, and the child was killed.
void note_undelivered_request(const detail::ProcessState& state, StopResult& result) {
  if (state.undelivered_request()) {
    result.graceful_sent = false;
    result.killed = true;
  }
}

}  // namespace

std::string ExitStatus::to_string() const {
  if (kind == Kind::Exited) return "exited with code " + std::to_string(value);
  std::string s = "killed by signal " + std::to_string(value);
  std::string_view name = signal_name(value);
  if (!name.empty()) {
    s += " (";
    s += name;
    s += ")";
  }
  return s;
}

ChildProcess::ChildProcess() noexcept = default;

ChildProcess::ChildProcess(std::shared_ptr<detail::ProcessState> state) noexcept
    : state_(std::move(state)) {}

namespace {

// Kills and reaps a still-running child, and closes the parent's pipe ends that were never taken.
// The ends are closed here rather than with the state: the exit watcher may hold the last reference
// to the state for a moment after the exit was delivered, and the fds must not outlive the object.
void finish(detail::ProcessState& state) noexcept {
  detail::release_process(state);
  state.take_stdin();
  state.take_stdout();
  state.take_stderr();
}

}  // namespace

ChildProcess::~ChildProcess() {
  if (state_) finish(*state_);
}

ChildProcess::ChildProcess(ChildProcess&& other) noexcept : state_(std::move(other.state_)) {}

ChildProcess& ChildProcess::operator=(ChildProcess&& other) noexcept {
  if (this != &other) {
    if (state_) finish(*state_);
    state_ = std::move(other.state_);
  }
  return *this;
}

Result<ChildProcess> ChildProcess::spawn(const SpawnOptions& options) {
  // The one place that says what failed: the layers below give the reason only.
  auto failed = [&](const Error& reason) {
    if (options.program.empty()) return reason.with_context("failed to spawn process");
    return reason.with_context("failed to spawn process: " + detail::printable(options.program));
  };
  if (Result<void> v = detail::validate_spawn_options(options); !v) return failed(v.error());
  auto state = detail::spawn_process(options);
  if (!state) return failed(state.error());
  return ChildProcess(std::move(*state));
}

bool ChildProcess::valid() const noexcept { return state_ != nullptr; }

ProcessId ChildProcess::pid() const noexcept { return state_ ? state_->pid() : 0; }

Result<void> ChildProcess::terminate() {
  if (!state_) return inert_error();
  // A graceful request starts a stop: if the leader dies of it, the watcher must kill the rest of
  // its group before reaping it, as stop() arranges. LocalProcessBackend's parallel shutdown sends
  // this to every instance first and calls stop() one by one afterwards, by which time a leader
  // may be gone already; without the mark its SIGTERM-ignoring descendants would survive.
  state_->begin_stop();
  return detail::signal_process(*state_, detail::StopSignal::Terminate);
}

Result<void> ChildProcess::kill() {
  if (!state_) return inert_error();
  return detail::signal_process(*state_, detail::StopSignal::Kill);
}

Result<void> ChildProcess::send_signal(int sig) {
  if (!state_) return inert_error();
  return detail::send_signal(*state_, sig);
}

Result<std::optional<ExitStatus>> ChildProcess::try_wait() {
  if (!state_) return inert_error();
  // Looks at the child itself rather than only at what the watcher published, so an exit that
  // happened a moment ago is already seen.
  detail::poll_exit(*state_, false);
  return state_->try_status();
}

Result<ExitStatus> ChildProcess::wait() {
  if (!state_) return inert_error();
  return state_->wait();
}

Result<std::optional<ExitStatus>> ChildProcess::wait_for(std::chrono::nanoseconds timeout,
                                                          const CancellationToken* cancel) {
  if (!state_) return inert_error();
  return state_->wait_until(deadline_after(timeout), cancel);
}

Result<StopResult> ChildProcess::stop(std::chrono::nanoseconds grace,
                                      const CancellationToken* cancel) {
  if (!state_) return inert_error();
  StopResult result;
  auto before = state_->try_status();
  if (!before) return before.error();
  if (before->has_value()) {
    result.status = **before;
    result.already_exited = true;
    // What the child left behind goes too, where that is safe: on Windows the job handle is
    // still ours, so its remaining processes can be terminated; on POSIX the group id may have
    // been reused since the leader was reaped, and the platform leaves it alone.
    detail::release_process(*state_);
    return result;
  }
  // Marked before the first signal: if the leader dies of it, the watcher must kill the rest of
  // the group before it reaps the leader (after that the group id may be reused).
  state_->begin_stop();
  Result<void> term = detail::signal_process(*state_, detail::StopSignal::Terminate);
  if (!term && term.error().code() != make_error_code(errc::unsupported)) return term.error();
  result.graceful_sent = term.ok();
  if (term.ok()) {
    auto waited = state_->wait_until(deadline_after(grace), cancel);
    if (!waited) return waited.error();
    if (waited->has_value()) {
      result.status = **waited;
      // The leader is gone; descendants that ignored the request go with it (POSIX killed its
      // group before reaping it; Windows terminates the job here).
      detail::release_process(*state_);
      note_undelivered_request(*state_, result);
      return result;
    }
  }
  if (Result<void> k = detail::signal_process(*state_, detail::StopSignal::Kill); !k) {
    return k.error();
  }
  result.killed = true;
  auto final_status = state_->wait();
  if (!final_status) return final_status.error();
  result.status = *final_status;
  note_undelivered_request(*state_, result);
  return result;
}

Pipe ChildProcess::take_stdin() noexcept { return state_ ? state_->take_stdin() : Pipe(); }

Pipe ChildProcess::take_stdout() noexcept { return state_ ? state_->take_stdout() : Pipe(); }

Pipe ChildProcess::take_stderr() noexcept { return state_ ? state_->take_stderr() : Pipe(); }

Result<Output> ChildProcess::output() {
  if (!state_) return inert_error();
  Output out;
  Pipe out_pipe = state_->take_stdout();
  Pipe err_pipe = state_->take_stderr();
  Result<void> read = detail::read_pipes_to_end(out_pipe, out.stdout_data, err_pipe, out.stderr_data);
  if (!read) return read.error();
  auto status = state_->wait();
  if (!status) return status.error();
  out.status = *status;
  return out;
}

bool is_modhost_child(ProcessId pid) noexcept { return detail::owns_child(pid); }

}  // namespace modhost
