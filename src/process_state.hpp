#pragma once
// ProcessState: the portable half of one child process. It owns what every platform shares: the
// pid, the parent's pipe ends until they are taken, the exit status, the condition variable that
// every wait blocks on, and a "stop in progress" flag; plus an opaque NativeProcess for the
// platform's own part. The platform's exit watcher delivers the status with set_exited(), which
// wakes every waiter; a CancellationToken wakes the same condition variable through on_cancel.
//
// Contract for a platform implementation (platform/<os>/):
// - spawn_process() creates the state with the child's pid and its NativeProcess, stores the pipes
//   with set_pipes() before the state is shared with anyone, registers the child with its exit
//   watcher, and returns it.
// - The watcher calls set_exited() exactly once, after the child has been reaped (POSIX) or its
//   process handle signalled (Windows), or set_lost() when the OS says the child is not ours any
//   more (POSIX: someone else reaped it). It may read stop_in_progress() at any time, without locks.
// - Nothing in this file blocks on the OS; waits block on the condition variable only, and check
//   check_exit_notification() whenever a one-second slice passes without news, so a host that
//   broke the SIGCHLD contract gets errc::host_contract instead of a hang.

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <optional>

#include "modhost/cancellation.hpp"
#include "modhost/child_process.hpp"
#include "modhost/pipe.hpp"
#include "modhost/result.hpp"
#include "platform.hpp"

namespace modhost::detail {

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

  // Records the exit status and wakes every waiter. The first call wins; later ones are ignored.
  // Called by the exit watcher, never with the state's mutex held by the caller.
  void set_exited(ExitStatus status) noexcept;
  // Records that the child can no longer be waited for because someone else reaped it (a host
  // that calls waitpid(-1) or sets SIGCHLD to SIG_IGN); waits then fail with errc::host_contract.
  void set_lost() noexcept;

  // Marks a stop as in progress; returns true for the call that set it. While set, the POSIX
  // watcher kills the child's whole group before it reaps the leader.
  bool begin_stop() noexcept { return !stopping_.exchange(true, std::memory_order_acq_rel); }
  // True once begin_stop() was called. Lock-free, so the watcher may read it under its own lock.
  bool stop_in_progress() const noexcept { return stopping_.load(std::memory_order_acquire); }

  // The status if the child exited; never blocks. errc::host_contract when the child was lost.
  Result<std::optional<ExitStatus>> try_status() const;
  // True once set_exited() or set_lost() was called.
  bool finished() const noexcept;

  // Blocks until the child exits, `deadline` passes, or `cancel` (if given) is cancelled; the
  // status, or nullopt on timeout or cancel. Errors: errc::host_contract (see the file comment).
  // Must not be called with the state's mutex held. Thread-safe; any number of waiters.
  Result<std::optional<ExitStatus>> wait_until(std::chrono::steady_clock::time_point deadline,
                                                const CancellationToken* cancel);
  // Blocks until the child exits. Errors: errc::host_contract.
  Result<ExitStatus> wait();

 private:
  const ProcessId pid_;
  const std::unique_ptr<NativeProcess, NativeProcessDeleter> native_;
  std::atomic<bool> stopping_{false};

  mutable std::mutex mutex_;
  std::condition_variable cv_;
  std::optional<ExitStatus> status_;  // Guarded by mutex_.
  bool lost_ = false;                 // Guarded by mutex_.
  Pipe stdin_;                        // Guarded by mutex_ once shared.
  Pipe stdout_;
  Pipe stderr_;
};

}  // namespace modhost::detail
