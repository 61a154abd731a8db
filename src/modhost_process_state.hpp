#pragma once
// ProcessState: the portable half of one child process. It owns what every platform shares: the
// pid, the parent's pipe ends until they are taken, the exit status, the condition variable that
// every wait blocks on, the exit listener, and a "stop in progress" flag; plus an opaque
// NativeProcess for the platform's own part.
//
// Contract for a platform implementation (platform/<os>/):
// - spawn_process() creates the state with the child's pid and its NativeProcess, stores the pipes
//   with set_pipes() before the state is shared with anyone, hands it to its exit watcher, and
//   returns it.
// - Every path that learns of the exit (the watcher, a thread waiting in place on the exit handle,
//   poll_exit) calls settle() with a probe that looks at the child and reaps it; settle() runs the
//   probe under the state's mutex and publishes what it found, so exactly one of them reaps, and a
//   signal sent under the same mutex (with_running()) can never reach a reaped, reusable id.
// - Nothing in this file blocks on the OS. wait_until() first lets the platform wait in place on
//   the exit handle (wait_exit_in_place); where that is unavailable it sleeps on the condition
//   variable, and after each quiet slice asks the platform to look for an exit nobody reported
//   (poll_exit) and whether exits can be observed at all (check_exit_notification), so a host
//   that broke the SIGCHLD contract gets a result or errc::host_contract instead of a hang.

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <utility>

#include "modhost/cancellation.hpp"
#include "modhost/child_process.hpp"
#include "modhost/pipe.hpp"
#include "modhost/result.hpp"
#include "modhost_platform.hpp"

namespace modhost::detail {

// What a platform's probe found when it looked at the child (see ProcessState::settle).
struct Probe {
  enum class Kind {
    Running,  // Still alive: nothing to publish.
    Exited,   // Reaped (POSIX) or its handle signalled (Windows), with `status`.
    Lost,     // It is gone and its status with it (reaped by the host, or by the kernel because
              // the host ignores SIGCHLD); `why` says which, for the waiters' error.
  };
  Kind kind = Kind::Running;
  ExitStatus status;
  const char* why = nullptr;

  static Probe running() noexcept { return {}; }
  static Probe exited(ExitStatus s) noexcept { return {Kind::Exited, s, nullptr}; }
  static Probe lost(const char* reason) noexcept { return {Kind::Lost, ExitStatus(), reason}; }
};

class ProcessState {
 public:
  // A state for the running child `pid`, owning the platform's part `native` (may be null).
  ProcessState(ProcessId pid, std::unique_ptr<NativeProcess, NativeProcessDeleter> native) noexcept
      : pid_(pid), native_(std::move(native)) {}
  ProcessState(const ProcessState&) = delete;
  ProcessState& operator=(const ProcessState&) = delete;

  // The child's process id; constant for the state's life.
  ProcessId pid() const noexcept { return pid_; }
  // The platform's part; constant for the state's life (the pointee is the platform's to guard).
  NativeProcess* native() const noexcept { return native_.get(); }

  // Stores the parent's pipe ends. Only spawn_process calls it, before the state is shared.
  void set_pipes(Pipe in, Pipe out, Pipe err) noexcept;
  // Hand over one pipe end each (an invalid Pipe when there is none or it was taken). Thread-safe.
  Pipe take_stdin() noexcept;
  Pipe take_stdout() noexcept;
  Pipe take_stderr() noexcept;

  // Runs `probe` (a callable returning Probe) under the state's mutex unless the exit is already
  // published. When it reports Exited or Lost, the result is recorded, every waiter is woken and
  // the exit listener runs (on this thread, after the mutex is released). Returns true when the
  // exit is published (now or before). The probe must not call back into this state.
  template <class F>
  bool settle(F&& probe) {
    std::function<void()> listener;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (finished_locked()) return true;
      Probe found = probe();
      if (found.kind == Probe::Kind::Running) return false;
      if (found.kind == Probe::Kind::Exited) {
        status_ = found.status;
      } else {
        lost_why_ = found.why != nullptr ? found.why : "it was reaped by someone else";
      }
      listener = std::move(listener_);
    }
    cv_.notify_all();
    if (listener) listener();
    return true;
  }

  // Runs `fn` under the state's mutex if the exit is not published yet and returns true; returns
  // false without running it otherwise. Signals are sent through here: while the exit is not
  // published the child is not reaped, so its id (and its group's) cannot have been reused.
  template <class F>
  bool with_running(F&& fn) {
    std::lock_guard<std::mutex> lock(mutex_);
    if (finished_locked()) return false;
    fn();
    return true;
  }

  // Sets the function run once when the exit is published (on the thread that publishes it,
  // outside the state's mutex; it must be short and must not block). Returns false, storing
  // nothing, when the exit is already published: the caller then acts at once itself. One
  // listener per state.
  bool set_exit_listener(std::function<void()> listener);

  // Marks a stop as in progress; returns true for the call that set it. While set, the POSIX
  // reaper kills the child's whole group before it reaps the leader.
  bool begin_stop() noexcept { return !stopping_.exchange(true, std::memory_order_acq_rel); }
  // True once begin_stop() was called. Lock-free, so a probe may read it under the state's mutex.
  bool stop_in_progress() const noexcept { return stopping_.load(std::memory_order_acquire); }

  // Windows: a graceful request sent off the caller's thread (WM_CLOSE to a GUI child's windows,
  // CTRL_BREAK through the helper program) could not be delivered, so the platform killed the
  // child at once instead of letting a stop wait out its grace for nothing; `why` says what failed.
  // Set before that kill, so whoever sees the exit published sees this too. Thread-safe; may be
  // called under the state's mutex (it takes a lock of its own).
  void set_undelivered_request(std::string why);
  // What set_undelivered_request recorded, if anything. Thread-safe.
  std::optional<std::string> undelivered_request() const;

  // Claims the one in-place wait on the exit handle (see wait_exit_in_place): true for the caller
  // that got it, which must call end_in_place_wait() when done.
  bool begin_in_place_wait() noexcept { return !in_place_.exchange(true, std::memory_order_acq_rel); }
  void end_in_place_wait() noexcept { in_place_.store(false, std::memory_order_release); }

  // The status if the exit is published; never blocks. errc::host_contract when it was lost.
  Result<std::optional<ExitStatus>> try_status() const;
  // True once the exit is published (with a status, or lost).
  bool finished() const noexcept;

  // Blocks until the child exits, `deadline` passes, or `cancel` (if given) is cancelled; the
  // status, or nullopt on timeout or cancel. Errors: errc::host_contract (see the file comment).
  // Must not be called with the state's mutex held. Thread-safe; any number of waiters.
  Result<std::optional<ExitStatus>> wait_until(std::chrono::steady_clock::time_point deadline,
                                                const CancellationToken* cancel);
  // Blocks until the child exits. Errors: errc::host_contract.
  Result<ExitStatus> wait();

 private:
  bool finished_locked() const noexcept { return status_.has_value() || lost_why_ != nullptr; }
  Error lost_error_locked() const;
  Result<std::optional<ExitStatus>> wait_on_condition(std::chrono::steady_clock::time_point deadline,
                                                       const CancellationToken* cancel);

  const ProcessId pid_;
  const std::unique_ptr<NativeProcess, NativeProcessDeleter> native_;
  std::atomic<bool> stopping_{false};
  std::atomic<bool> in_place_{false};

  mutable std::mutex mutex_;
  std::condition_variable cv_;
  std::optional<ExitStatus> status_;    // Guarded by mutex_.
  const char* lost_why_ = nullptr;      // Guarded by mutex_; set when the status was lost.
  std::function<void()> listener_;      // Guarded by mutex_.
  mutable std::mutex note_mutex_;        // Guards undelivered_ only (set under mutex_ too).
  std::optional<std::string> undelivered_;
  Pipe stdin_;                          // Guarded by mutex_ once shared.
  Pipe stdout_;
  Pipe stderr_;
};

// The backend's way to a ChildProcess's state (to set its exit listener); not public API.
struct ChildProcessAccess {
  static ProcessState& state(ChildProcess& child) noexcept { return *child.state_; }
};

}  // namespace modhost::detail
