#pragma once
/// @file child_process.hpp
/// `ChildProcess`: a small move-only RAII owner of one child process (and, by default, its
/// process group / job), with stdio pipes, exit statuses and a graceful stop.

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "modhost/cancellation.hpp"
#include "modhost/pipe.hpp"
#include "modhost/result.hpp"

namespace modhost {

/// What a child's standard stream is connected to.
enum class Stdio {
  Inherit,  ///< The parent's own stream.
  Null,     ///< The null device.
  Pipe,     ///< A pipe whose other end the parent gets (see `ChildProcess::take_stdout()`...).
};

/// A process id (pid_t on POSIX, DWORD on Windows).
using ProcessId = std::int64_t;

/// Everything `ChildProcess::spawn` needs. Strings are UTF-8 (converted to UTF-16 on Windows).
struct SpawnOptions {
  /// The program: a path (absolute or relative to the parent's cwd), or a bare name looked up on
  /// the `PATH` of the environment the child will get, like `execvp`, resolved in the parent.
  std::string program;
  /// Arguments after argv[0] (argv[0] is `program` as given).
  std::vector<std::string> args;
  /// Environment changes, applied in order on top of the inherited environment (or on an empty one
  /// with `clear_env`): a value sets the variable, `std::nullopt` removes it.
  std::vector<std::pair<std::string, std::optional<std::string>>> env;
  /// Start from an empty environment instead of the parent's.
  bool clear_env = false;
  /// The child's working directory; empty means the parent's. A directory that does not exist or
  /// is not a directory is an error from `spawn()`, with the OS's code (`ENOENT`, `ENOTDIR`;
  /// `ERROR_PATH_NOT_FOUND`, `ERROR_DIRECTORY` on Windows) in `std::system_category()`.
  std::string working_directory;
  /// The child's stdin (default: the null device, so a child never steals the host's terminal).
  Stdio stdin_mode = Stdio::Null;
  /// The child's stdout.
  Stdio stdout_mode = Stdio::Inherit;
  /// The child's stderr (ignored when `merge_stderr_into_stdout`).
  Stdio stderr_mode = Stdio::Inherit;
  /// Make the child's stderr the same file as its stdout (one pipe for both when stdout is piped).
  bool merge_stderr_into_stdout = false;
  /// Put the child in a new process group (POSIX) / job and console process group (Windows), so a
  /// stop reaches its whole tree. Default on.
  bool new_process_group = true;
  /// Linux only (ignored elsewhere): the child gets SIGKILL when the parent dies
  /// (`PR_SET_PDEATHSIG`). Caveat: Linux ties this to the *thread* that spawned the child, so the
  /// child is killed when that thread exits, even if the process lives on. Opt-in.
  bool kill_on_parent_death = false;
};

/// How a child ended.
struct ExitStatus {
  /// Exited by itself with a code, or was ended by a signal (POSIX only).
  enum class Kind { Exited, Signaled };
  /// Which of the two.
  Kind kind = Kind::Exited;
  /// The exit code (Exited) or the signal number (Signaled).
  int value = 0;

  /// An exit with `code`.
  static ExitStatus exited(int code) noexcept { return {Kind::Exited, code}; }
  /// An end by signal `sig`.
  static ExitStatus signaled(int sig) noexcept { return {Kind::Signaled, sig}; }
  /// True for an exit with code 0.
  bool success() const noexcept { return kind == Kind::Exited && value == 0; }
  /// The exit code, if it exited.
  std::optional<int> code() const noexcept {
    return kind == Kind::Exited ? std::optional<int>(value) : std::nullopt;
  }
  /// The signal number, if a signal ended it.
  std::optional<int> signal() const noexcept {
    return kind == Kind::Signaled ? std::optional<int>(value) : std::nullopt;
  }
  /// The shell convention: the code, or 128 + the signal number.
  int shell_code() const noexcept { return kind == Kind::Exited ? value : 128 + value; }
  /// "exited with code 3" or "killed by signal 15 (SIGTERM)".
  std::string to_string() const;
  /// Equal kind and value.
  friend bool operator==(const ExitStatus& a, const ExitStatus& b) noexcept {
    return a.kind == b.kind && a.value == b.value;
  }
  /// Different kind or value.
  friend bool operator!=(const ExitStatus& a, const ExitStatus& b) noexcept { return !(a == b); }
};

/// The name of signal number `sig` on this platform ("SIGTERM" for 15 on Linux), or an empty view
/// for a number it does not know; always empty on Windows, which has no signals.
std::string_view signal_name(int sig) noexcept;

/// What `ChildProcess::stop` did.
struct StopResult {
  /// How the child ended.
  ExitStatus status;
  /// True when the graceful request was delivered (SIGTERM on POSIX; on Windows CTRL_BREAK to a
  /// console child, WM_CLOSE to a GUI child's windows). False when there was none to send, or
  /// (Windows) when one sent off the calling thread could not be delivered: the child was then
  /// killed at once, and `killed` is true.
  bool graceful_sent = false;
  /// True when the grace period ran out (or was cancelled) and the child had to be killed.
  bool killed = false;
  /// True when the child had already exited before the stop began.
  bool already_exited = false;
};

/// Everything a child wrote, from `ChildProcess::output()`.
struct Output {
  /// How it ended.
  ExitStatus status;
  /// All bytes of its stdout (empty unless stdout was piped).
  std::string stdout_data;
  /// All bytes of its stderr (empty unless stderr was piped).
  std::string stderr_data;
};

namespace detail {
class ProcessState;         ///< Internal: the state of one child, shared with the exit watcher.
struct ChildProcessAccess;  ///< Internal: the library's access to that state.
}  // namespace detail

/// A move-only owner of one child process. All member functions may be called from any thread;
/// one object may be used by several threads at once (the waits are condition variables shared
/// with the exit watcher). A moved-from or default-constructed object is inert: `valid()` is
/// false and every operation returns `errc::not_running`.
///
/// Each function's comment ends with what it can fail with ("Errors:"), listing codes, never
/// message texts. Common to all: `errc::not_running` on an inert object, and, on POSIX, from the
/// functions that report an exit status, `errc::host_contract` when that status is lost: the host
/// reaped the child itself (`wait()`, `waitpid(-1)`) or had the kernel reap it (`SIG_IGN` or
/// `SA_NOCLDWAIT` on SIGCHLD) and the status cannot be read back (always on the SIGCHLD path; on
/// the pidfd path before Linux 6.15), or, on the SIGCHLD path, the host changed SIGCHLD after
/// modhost installed its handler; also for an object inherited through `fork()`, whose child
/// belongs to the process that spawned it (see the README's Gotchas).
///
/// The destructor of a child that is still running kills its process group (its job on
/// Windows) and reaps it: no zombie and no orphan is left. A child that already exited was reaped
/// by the exit watcher when it exited.
class ChildProcess {
 public:
  /// An inert object.
  ChildProcess() noexcept;
  /// Kills and reaps a still-running child (see the class comment).
  ~ChildProcess();
  /// Takes over `other`'s child; `other` becomes inert.
  ChildProcess(ChildProcess&& other) noexcept;
  /// Kills and reaps this object's running child, if any, then takes over `other`'s.
  ChildProcess& operator=(ChildProcess&& other) noexcept;
  /// Not copyable: one owner per child.
  ChildProcess(const ChildProcess&) = delete;
  /// Not copyable.
  ChildProcess& operator=(const ChildProcess&) = delete;

  /// Starts a child. Returns once the program is executing, or with the reason it could not be
  /// started: every message reads `failed to spawn process: <program>: <reason>` (the program's
  /// bytes that are not printable UTF-8 written as `\xNN`). Leaves no zombie, fd or thread behind
  /// on failure. Blocks until the child runs (or failed to).
  ///
  /// Errors: the OS's code in `std::system_category()` when the OS refused (`ENOENT`, `EACCES`,
  /// `ENOEXEC`, `E2BIG`, `EAGAIN` under `RLIMIT_NPROC`, `EMFILE`...; on Windows
  /// `ERROR_FILE_NOT_FOUND`, `ERROR_ACCESS_DENIED`, `ERROR_BAD_EXE_FORMAT`...), also when the
  /// exit watcher's thread or pipe cannot be created, and for a bad `working_directory`;
  /// `errc::invalid_argument` for unusable options (empty program, NUL in a string, `=` in an
  /// environment key, invalid UTF-8 on Windows), naming the field; `errc::host_contract` (POSIX
  /// SIGCHLD path only) when, after modhost installed its SIGCHLD handler, the host set SIGCHLD
  /// to `SIG_IGN` or `SA_NOCLDWAIT` or replaced the handler (`SIG_IGN` before that is replaced
  /// by the handler, not refused).
  static Result<ChildProcess> spawn(const SpawnOptions& options);

  /// True when this object owns a child (running or exited but not yet released).
  bool valid() const noexcept;
  /// The child's process id (0 when inert).
  ProcessId pid() const noexcept;

  /// Asks the child to stop: SIGTERM to its process group (to the pid without a group) on POSIX.
  /// Windows: CTRL_BREAK to a console child's process group (at once when it shares the host's
  /// console; else queued for the helper program `modhost-ctrl-break.exe`, which attaches to the
  /// child's console), WM_CLOSE to a GUI child's top-level windows (queued). A queued request
  /// that cannot be delivered kills the child at once (see docs/win32.md). Ok, doing nothing,
  /// when the child already exited. Never blocks for long.
  ///
  /// Errors: `errc::unsupported` on Windows when nothing can reach the child (a console child
  /// without its own group, no helper program); the OS's code when the signal cannot be sent
  /// (`EPERM`).
  Result<void> terminate();
  /// Kills the child: SIGKILL to its group on POSIX, the job is terminated on Windows. Ok, doing
  /// nothing, when the child already exited. Never blocks (the exit comes later: `wait()`).
  ///
  /// Errors: the OS's code when the signal cannot be sent (`EPERM`; `ERROR_ACCESS_DENIED`).
  Result<void> kill();
  /// Sends signal number `sig` to the child's process group (to the child alone when it has no
  /// group of its own), like `terminate()` and `kill()`, but without starting a stop. Refused
  /// with `errc::not_running` once the child has been reaped, so a process id the OS may have
  /// given to another process is never signalled (use this, never `kill(pid())`). Other errors:
  /// the OS's (EPERM, EINVAL for a bad number). POSIX: any signal. Windows, which has no signals:
  /// `SIGINT` and `SIGTERM` send the graceful request as `terminate()` does, 9 (SIGKILL's number
  /// on POSIX) kills as `kill()` does, others are `errc::unsupported`. Never blocks; thread-safe.
  Result<void> send_signal(int sig);

  /// The exit status if the child has exited, else nullopt. Never blocks.
  ///
  /// Errors: only the common ones (see the class comment).
  Result<std::optional<ExitStatus>> try_wait();
  /// Blocks until the child exits and returns how it ended (at once when it already has).
  ///
  /// Errors: only the common ones.
  Result<ExitStatus> wait();
  /// Blocks until the child exits, `timeout` passes, or `cancel` (if given) is cancelled; returns
  /// the status, or nullopt on timeout or cancel (neither is an error). Woken by events, never by
  /// polling.
  ///
  /// Errors: only the common ones.
  Result<std::optional<ExitStatus>> wait_for(std::chrono::nanoseconds timeout,
                                              const CancellationToken* cancel = nullptr);

  /// Graceful stop: `terminate()`, wait up to `grace` (a cancel of `cancel` cuts it short), then
  /// `kill()`, and wait for the exit. When it returns, no process of the child's group (job) is
  /// left, with one POSIX exception: a child that had already exited by itself before the stop
  /// was reaped then, and its group id may since have been reused, so what it left in its group
  /// is not signalled (on Windows the job is still held and is terminated in that case too).
  /// Blocks for at most about `grace` plus the time the OS takes to deliver SIGKILL. On Windows,
  /// when no graceful request can reach the child (`terminate()`'s `errc::unsupported`), the
  /// grace is skipped and the job is terminated at once (`graceful_sent` false).
  ///
  /// Errors: the OS's code when a signal cannot be sent; the common ones.
  Result<StopResult> stop(std::chrono::nanoseconds grace, const CancellationToken* cancel = nullptr);

  /// Hands over the parent's end of the child's stdin pipe (write end), if `stdin_mode` was
  /// `Pipe`; an invalid `Pipe` otherwise or on a second call. Close-on-exec; non-blocking on
  /// POSIX, synchronous on Windows (see `Pipe` for the modes; `Pipe::write` blocks on both).
  Pipe take_stdin() noexcept;
  /// Hands over the read end of the child's stdout pipe, as `take_stdin` does. Close-on-exec;
  /// non-blocking on POSIX, overlapped on Windows (`Pipe::read` blocks on both).
  Pipe take_stdout() noexcept;
  /// Hands over the read end of the child's stderr pipe, as `take_stdout` does.
  Pipe take_stderr() noexcept;

  /// Reads the child's piped stdout and stderr to EOF together (no deadlock when both fill up),
  /// then waits for its exit. Pipes already taken are skipped. Blocks until both pipes reach EOF
  /// (a grandchild holding them open keeps it waiting) and the child exits.
  ///
  /// Errors: the OS's code when a read fails; the common ones.
  Result<Output> output();

 private:
  friend struct detail::ChildProcessAccess;
  explicit ChildProcess(std::shared_ptr<detail::ProcessState> state) noexcept;
  std::shared_ptr<detail::ProcessState> state_;
};

/// True when `pid` is, or may be, a child process modhost spawned (through `ChildProcess` or a
/// backend) and has not reaped yet; while a spawn is under way on any thread, true for every pid
/// (the new child exists before modhost knows its id). For hosts that reap children they did not
/// spawn (a child subreaper, a container's PID 1): peek at a zombie with
/// `waitid(P_ALL, 0, &info, WEXITED | WNOHANG | WNOWAIT)`, reap it (`waitid(P_PID, pid, ...)`)
/// only when this returns false, and look again a little later when it returns true (modhost
/// reaps its own promptly; until then that zombie hides the others from `P_ALL`). Never call
/// `waitpid(-1)`. Holds one mutex briefly; never fails; thread-safe. A process forked from the
/// spawning one owns none of the spawner's children. Windows: always false (no parent reaps there).
bool is_modhost_child(ProcessId pid) noexcept;

}  // namespace modhost
