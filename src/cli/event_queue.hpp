#pragma once
// The queue through which the signal thread, the backend's threads and the output writer tell the
// tool's main thread what happened; the main thread alone decides what to do about it.

#include <chrono>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <optional>
#include <utility>

#include "signals.hpp"
#include "modhost/local_backend.hpp"

namespace modhost::cli {

/// Something the main loop reacts to.
struct RunEvent {
  /// What happened.
  enum class Kind {
    SignalCaught,   ///< `signal` arrived.
    InstanceEnded,  ///< `status` is the final status of an instance.
    OutputBroken,   ///< Writing to stdout failed (the reader went away).
    StopDone,       ///< The backend's shutdown returned: every process is gone.
    OutputFlushed,  ///< The output queue, closed, has written everything it held.
  };
  /// Which of the kinds.
  Kind kind = Kind::StopDone;
  /// For SignalCaught.
  SignalEvent signal;
  /// For InstanceEnded.
  InstanceStatus status;
};

/// An unbounded multi-producer, single-consumer queue; `pop` blocks on a condition variable.
class EventQueue {
 public:
  /// Adds an event and wakes the consumer. Thread-safe; never blocks for long.
  void push(RunEvent event) {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      events_.push_back(std::move(event));
    }
    cv_.notify_one();
  }

  /// Removes the oldest event, waiting for one if there is none.
  RunEvent pop() {
    std::unique_lock<std::mutex> lock(mutex_);
    cv_.wait(lock, [this] { return !events_.empty(); });
    return take_locked();
  }

  /// Removes the oldest event, waiting for one until `deadline` (steady clock); nullopt when none
  /// came by then. `time_point::max()` waits without a deadline.
  std::optional<RunEvent> pop_until(std::chrono::steady_clock::time_point deadline) {
    // Some C++ libraries turn a steady deadline into a system clock one by adding the difference
    // of the clocks' readings, which overflows for max(): no deadline is taken as none.
    if (deadline == std::chrono::steady_clock::time_point::max()) return pop();
    std::unique_lock<std::mutex> lock(mutex_);
    if (!cv_.wait_until(lock, deadline, [this] { return !events_.empty(); })) return std::nullopt;
    return take_locked();
  }

 private:
  RunEvent take_locked() {
    RunEvent e = std::move(events_.front());
    events_.pop_front();
    return e;
  }

  std::mutex mutex_;
  std::condition_variable cv_;
  std::deque<RunEvent> events_;
};

}  // namespace modhost::cli
