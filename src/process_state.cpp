// The portable waits of a child process: in place on the exit handle where the platform has one,
// else on a condition variable that the exit watcher and a CancellationToken notify.

#include "modhost_process_state.hpp"

#include <string>
#include <utility>

namespace modhost::detail {

namespace {

// How long a wait on the condition variable sleeps before it looks for itself (poll_exit,
// check_exit_notification). It is a guard against a host that keeps exits from being reported
// (SIGCHLD blocked in every thread, or its handler replaced), not how exits are learned: an exit or
// a cancel wakes the condition variable at once. Short enough that such a host sees its stops
// complete within a fraction of a second, long enough to cost nothing measurable (one waitid).
constexpr std::chrono::milliseconds kQuietSlice{250};

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

bool ProcessState::set_exit_listener(std::function<void()> listener) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (finished_locked()) return false;
  listener_ = std::move(listener);
  return true;
}

void ProcessState::set_undelivered_request(std::string why) {
  std::lock_guard<std::mutex> lock(note_mutex_);
  undelivered_ = std::move(why);
}

std::optional<std::string> ProcessState::undelivered_request() const {
  std::lock_guard<std::mutex> lock(note_mutex_);
  return undelivered_;
}

Error ProcessState::lost_error_locked() const {
  return Error(errc::host_contract, "the exit status of child process " + std::to_string(pid_) +
                                        " is lost: " + lost_why_);
}

bool ProcessState::finished() const noexcept {
  std::lock_guard<std::mutex> lock(mutex_);
  return finished_locked();
}

Result<std::optional<ExitStatus>> ProcessState::try_status() const {
  std::lock_guard<std::mutex> lock(mutex_);
  if (lost_why_ != nullptr) return lost_error_locked();
  return status_;
}

Result<std::optional<ExitStatus>> ProcessState::wait_until(
    std::chrono::steady_clock::time_point deadline, const CancellationToken* cancel) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (lost_why_ != nullptr) return lost_error_locked();
    if (status_) return status_;
  }
  if (cancel != nullptr && cancel->is_cancelled()) return std::optional<ExitStatus>();
  switch (wait_exit_in_place(*this, deadline, cancel)) {
    case InPlaceWait::Exited: return try_status();
    case InPlaceWait::TimedOut:
    case InPlaceWait::Cancelled: {
      // The exit may have been published by another thread at the very end of the wait.
      Result<std::optional<ExitStatus>> now = try_status();
      if (!now || now->has_value()) return now;
      return std::optional<ExitStatus>();
    }
    case InPlaceWait::Unavailable: break;
  }
  return wait_on_condition(deadline, cancel);
}

Result<std::optional<ExitStatus>> ProcessState::wait_on_condition(
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
    if (lost_why_ != nullptr) return lost_error_locked();
    if (status_) return status_;
    if (cancel != nullptr && cancel->is_cancelled()) return std::optional<ExitStatus>();
    auto now = std::chrono::steady_clock::now();
    if (now >= deadline) break;
    auto slice_end = deadline - now > kQuietSlice ? now + kQuietSlice : deadline;
    if (cv_.wait_until(lock, slice_end) == std::cv_status::timeout && slice_end != deadline) {
      // A quiet slice: look for an exit nobody reported, and make sure one can be reported at all.
      lock.unlock();
      poll_exit(*this, true);
      Result<void> contract = check_exit_notification(*this);
      lock.lock();
      if (!contract && !finished_locked()) return contract.error();
    }
  }
  lock.unlock();
  // Timed out: the exit may just not have been reported yet, and a broken contract would explain
  // it, which is worth more to the caller than nullopt.
  poll_exit(*this, false);
  Result<std::optional<ExitStatus>> now = try_status();
  if (!now || now->has_value()) return now;
  Result<void> contract = check_exit_notification(*this);
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
