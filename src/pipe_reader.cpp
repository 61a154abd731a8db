// The portable half of the PipeReader (see modhost_pipe_reader.hpp).

#include "modhost_pipe_reader.hpp"

#include <algorithm>

namespace modhost::detail {

using Clock = std::chrono::steady_clock;

int pipe_reader_timeout_ms(Clock::time_point deadline, Clock::time_point now) noexcept {
  if (deadline == Clock::time_point::max()) return -1;
  // Rounded up: waking a little late is harmless, waking early would spin until it is due.
  const auto ms = std::chrono::ceil<std::chrono::milliseconds>(deadline - now).count();
  return static_cast<int>(std::clamp<long long>(ms, 0, 24LL * 3600 * 1000));
}

void PipeReaderBase::wake() {
  std::lock_guard<std::mutex> lock(mutex_);
  wake_requested_ = true;
  signal_locked();
}

void PipeReaderBase::set_deadline(Clock::time_point deadline) {
  std::lock_guard<std::mutex> lock(mutex_);
  deadline_ = deadline;
  signal_locked();
}

void PipeReaderBase::stop() {
  // One stopper at a time: a second caller waits here until the first has joined the thread, then
  // finds nothing left to join (two joins of one thread would be undefined, and joinable() would
  // race with the first join).
  std::lock_guard<std::mutex> stopping(stop_mutex_);
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopped_ = true;
    signal_locked();
  }
  if (thread_.joinable()) thread_.join();
}

Result<void> PipeReaderBase::start_thread() {
  // Thread::start blocks every signal in the new thread (on POSIX), so that the host's handlers
  // run on the host's own threads and never interrupt the reader in the middle of delivering a
  // line.
  Result<Thread> thread = Thread::start([this] { run(); }, "the pipe reader thread");
  if (!thread) return thread.error();
  thread_ = std::move(*thread);
  return ok_result();
}

void PipeReaderBase::signal_locked() noexcept {
  if (wake_pending_) return;
  wake_pending_ = true;
  post_wake_signal();
}

bool PipeReaderBase::take_wake() {
  std::lock_guard<std::mutex> lock(mutex_);
  wake_pending_ = false;
  const bool woken = wake_requested_;
  wake_requested_ = false;
  return woken;
}

void PipeReaderBase::run() {
  for (;;) {
    int timeout_ms;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (stopped_) break;
      prepare_round_locked();
      timeout_ms = pipe_reader_timeout_ms(deadline_, Clock::now());
    }
    finish_round(wait_and_deliver(timeout_ms));
  }
  shut_down();
}

void PipeReaderBase::finish_round(bool woken) {
  bool due = false;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (deadline_ != Clock::time_point::max() && Clock::now() >= deadline_) {
      deadline_ = Clock::time_point::max();
      due = true;
    }
  }
  if (woken || due) handler_.on_wake();
}

}  // namespace modhost::detail
