// The portable waits of a child process: a condition variable that the exit watcher and a
// CancellationToken notify. No OS call here besides the host-contract check on quiet slices.

#include "process_state.hpp"

#include <string>
#include <utility>

namespace modhost::detail {

namespace {

// The longest a wait blocks without re-checking the host contract. It is a guard against a host
// that broke the SIGCHLD contract (nothing would ever wake us), not how exits are learned: an exit
// or a cancel wakes the condition variable at once.
constexpr std::chrono::seconds kContractCheckSlice{1};

Error lost_error(ProcessId pid) {
  return Error(errc::host_contract,
               "child process " + std::to_string(pid) +
                   " was reaped by someone else (waitpid(-1) in the host, or SIGCHLD set to "
                   "SIG_IGN); its exit status is lost");
}

}  // namespace

void ProcessState::set_pipes(Pipe in, Pipe out, Pipe err) noexcept {
  std::lock_guard<std::mutex> lock(mutex_);
  stdin_ = std::move(in);
  stdout_ = std::move(out);
  stderr_ = std::move(err);
}

Pipe ProcessState::take_stdin() noexcept {
  std::lock_guard<std::mutex> lock(mutex_);
  return std::move(stdin_);
}

Pipe ProcessState::take_stdout() noexcept {
  std::lock_guard<std::mutex> lock(mutex_);
  return std::move(stdout_);
}

Pipe ProcessState::take_stderr() noexcept {
  std::lock_guard<std::mutex> lock(mutex_);
  return std::move(stderr_);
}

void ProcessState::set_exited(ExitStatus status) noexcept {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (status_ || lost_) return;
    status_ = status;
  }
  cv_.notify_all();
}

void ProcessState::set_lost() noexcept {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (status_ || lost_) return;
    lost_ = true;
  }
  cv_.notify_all();
}

bool ProcessState::finished() const noexcept {
  std::lock_guard<std::mutex> lock(mutex_);
  return status_.has_value() || lost_;
}

Result<std::optional<ExitStatus>> ProcessState::try_status() const {
  std::lock_guard<std::mutex> lock(mutex_);
  if (lost_) return lost_error(pid_);
  return status_;
}

Result<std::optional<ExitStatus>> ProcessState::wait_until(
    std::chrono::steady_clock::time_point deadline, const CancellationToken* cancel) {
  // The callback takes the mutex before notifying: a waiter that has just checked the token under
  // the mutex is then certainly asleep on the condition variable, so the wake-up cannot be lost.
  // The registration is dropped after the lock is released, because dropping it waits for a
  // callback that may be running, and that callback needs the mutex.
  CancellationRegistration registration;
  if (cancel != nullptr) {
    registration = cancel->on_cancel([this] {
      { std::lock_guard<std::mutex> lock(mutex_); }
      cv_.notify_all();
    });
  }
  std::unique_lock<std::mutex> lock(mutex_);
  for (;;) {
    if (lost_) return lost_error(pid_);
    if (status_) return status_;
    if (cancel != nullptr && cancel->is_cancelled()) return std::optional<ExitStatus>();
    auto now = std::chrono::steady_clock::now();
    if (now >= deadline) break;
    auto slice_end = deadline - now > kContractCheckSlice ? now + kContractCheckSlice : deadline;
    if (cv_.wait_until(lock, slice_end) == std::cv_status::timeout && slice_end != deadline) {
      // A quiet slice: make sure an exit can still be noticed at all (see kContractCheckSlice).
      lock.unlock();
      Result<void> contract = check_exit_notification();
      if (!contract) return contract.error();
      lock.lock();
    }
  }
  lock.unlock();
  // Timed out: a broken contract would explain it, and is worth more to the caller than nullopt.
  Result<void> contract = check_exit_notification();
  if (!contract) return contract.error();
  return std::optional<ExitStatus>();
}

Result<ExitStatus> ProcessState::wait() {
  auto r = wait_until(std::chrono::steady_clock::time_point::max(), nullptr);
  if (!r) return r.error();
  // Without a deadline or a token, wait_until only returns with a status or an error.
  if (!r->has_value()) return Error(errc::internal, "wait returned without an exit status");
  return **r;
}

}  // namespace modhost::detail
