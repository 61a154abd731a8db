#pragma once
// The tool's signal handling, implemented once per platform in platform/<os>/cli/signals.cpp:
// catching the stop signals (and Ctrl-C / Ctrl-Break / close on Windows) and sending signals to
// the processes the tool runs.

#include <functional>
#include <memory>
#include <string_view>

#include "modhost/child_process.hpp"
#include "modhost/result.hpp"

namespace modhost::cli {

/// The signals the tool reacts to or forwards.
enum class Signal {
  Interrupt,  ///< SIGINT; Ctrl-C on Windows.
  Terminate,  ///< SIGTERM; Ctrl-Break on Windows.
  Hangup,     ///< SIGHUP; the console window closing on Windows.
  User1,      ///< SIGUSR1 (POSIX only).
  User2,      ///< SIGUSR2 (POSIX only).
};

/// One caught signal.
struct SignalEvent {
  /// Which signal.
  Signal signal = Signal::Interrupt;
  /// True when another process sent it (kill(2)); false when the kernel or the terminal did
  /// (Ctrl-C in a terminal reaches the whole foreground process group). Always false on Windows.
  bool sent_by_process = false;
};

/// "SIGINT", "SIGTERM", "SIGHUP", "SIGUSR1", "SIGUSR2".
std::string_view signal_name(Signal signal) noexcept;

/// The shell's exit code for a process ended by `signal`: 128 + its number (130 for SIGINT).
int signal_exit_code(Signal signal) noexcept;

/// "SIGTERM" for 15 and so on (the platform's names); "signal N" for numbers it does not know.
std::string signal_number_name(int number);

/// Catches the stop signals while it lives and reports them on a thread of its own (never in a
/// signal handler), so the callback may lock, allocate and call the backend. POSIX: handlers
/// (not ignore dispositions, so children get the defaults back at exec) for SIGINT, SIGTERM,
/// SIGHUP, SIGUSR1, SIGUSR2 and SIGPIPE (which is swallowed so that a write to a closed pipe
/// fails with EPIPE instead of ending the tool); a self-pipe wakes the thread.
class SignalWatcher {
 public:
  /// Restores the previous handlers and joins the thread.
  virtual ~SignalWatcher() = default;

  /// Installs the handlers and starts the thread, which calls `callback` once per signal, in
  /// order. Only one watcher may exist at a time (`errc::invalid_argument` otherwise).
  static Result<std::unique_ptr<SignalWatcher>> start(std::function<void(const SignalEvent&)> callback);
};

/// Sends `signal` to the process group led by `pid` (POSIX `kill(-pid, sig)`; Windows: Interrupt
/// and Terminate become CTRL_BREAK to the group, the others are `errc::unsupported`). The caller
/// must know the group still exists (its leader not yet reaped), or the id might have been reused.
Result<void> signal_group(ProcessId pid, Signal signal) noexcept;

/// Sends `signal` to the single process `pid` (same caveats as `signal_group`).
Result<void> signal_process(ProcessId pid, Signal signal) noexcept;

}  // namespace modhost::cli
