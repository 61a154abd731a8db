#pragma once
// The tool's signal handling, implemented once per platform in platform/<os>/cli/signals.cpp:
// taking the stop signals (and Ctrl-C / Ctrl-Break / close on Windows) and sending signals to the
// processes the tool runs.

#include <chrono>
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

/// One signal taken.
struct SignalEvent {
  /// Which signal.
  Signal signal = Signal::Interrupt;
  /// True when a process sent it (kill(2), sigqueue(3), tgkill(2)); false when the kernel or the
  /// terminal did (Ctrl-C in a terminal reaches the whole foreground process group). Always false
  /// on Windows.
  bool sent_by_process = false;
  /// How long the system lets the tool run after this signal before it ends the tool itself;
  /// zero when it does not. Windows' console close event: Windows ends the process about 5 s
  /// after it (the handler holds the process for 4.5 s), so the stop must fit in that.
  std::chrono::milliseconds ends_process_within{0};
};

/// "SIGINT", "SIGTERM", "SIGHUP", "SIGUSR1", "SIGUSR2".
std::string_view to_string(Signal signal) noexcept;

/// The shell's exit code for a process ended by `signal`: 128 + its number (130 for SIGINT).
int signal_exit_code(Signal signal) noexcept;

/// "SIGTERM" for 15 and so on (the platform's names); "signal N" for numbers it does not know.
std::string signal_number_name(int number);

/// Takes the stop signals while it lives and reports them on a thread of its own (never in a
/// signal handler), so the callback may lock, allocate and call the backend.
///
/// POSIX: no handler is installed. `start` blocks SIGINT, SIGTERM, SIGHUP, SIGUSR1, SIGUSR2 and
/// SIGPIPE in the calling thread, and every thread created after that inherits the mask (the
/// library's own threads block every signal anyway); one thread, which blocks every signal,
/// takes them with `sigwaitinfo`. So a process-directed signal (kill(1), the terminal's Ctrl-C)
/// waits, pending, until that thread takes it, and never interrupts another thread. A signal sent
/// to one particular thread other than the watcher's (tgkill) stays pending there, unseen.
/// SIGPIPE is taken only to be dropped: with it blocked, a write to a closed pipe fails with
/// EPIPE on every thread instead of ending the tool. An ignored disposition of these signals
/// (nohup ignores SIGHUP) is set to the default meanwhile, so that the signal is queued for the
/// watcher on every system. Processes the tool starts get an empty mask and default dispositions
/// from the library's spawn either way.
///
/// Hence: start it on the main thread before the tool creates any other thread (a thread created
/// earlier would keep an empty mask, and a signal handed to it would take its default action),
/// and destroy it on that same thread.
///
/// Windows: a console control handler queues Ctrl-C, Ctrl-Break and close events for the thread.
class SignalWatcher {
 public:
  /// Stops and joins the thread, then undoes what `start` did. POSIX: the dispositions it changed
  /// are put back, a SIGPIPE left pending on the calling thread (by a write to a closed pipe) is
  /// dropped, and the calling thread's mask is restored, so a stop signal that arrived after the
  /// thread stopped takes its default action then, as without a watcher.
  virtual ~SignalWatcher() = default;

  /// Blocks the signals (see above) and starts the thread, which calls `callback` once per
  /// signal, in the order it takes them. Only one watcher may exist at a time
  /// (`errc::invalid_argument` otherwise).
  static Result<std::unique_ptr<SignalWatcher>> start(std::function<void(const SignalEvent&)> callback);
};

/// The number of `signal` as the library's `ChildProcess::send_signal` and
/// `LocalProcessBackend::signal_instance` take it: the platform's (POSIX), or the POSIX number
/// (Windows, where the library turns SIGINT and SIGTERM into its graceful request, CTRL_BREAK or
/// WM_CLOSE, and refuses the rest).
/// Processes are signalled through those calls only, by handle, never by a pid from a snapshot.
int signal_number(Signal signal) noexcept;

}  // namespace modhost::cli
