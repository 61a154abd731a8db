#pragma once
// The one internal platform header. Everything the portable code needs from the OS is declared
// here and implemented exactly once per platform folder (platform/posix/, platform/win32/); the
// build compiles one of them. Portable code never includes an OS header: native values travel as
// std::intptr_t (int fd / pid on POSIX, HANDLE on Windows).
//
// This is the only file outside platform/ allowed to test platform macros.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "modhost/child_process.hpp"
#include "modhost/pipe.hpp"
#include "modhost/result.hpp"

#if defined(_WIN32)
#define MODHOST_PLATFORM_WIN32 1
#else
#define MODHOST_PLATFORM_POSIX 1
#endif

namespace modhost::detail {

// ---- Small OS services --------------------------------------------------------------------------

// Fills `buf` with `size` bytes from the OS's secure random source (getrandom or /dev/urandom;
// BCryptGenRandom).
Result<void> os_random(void* buf, std::size_t size) noexcept;

// Writes all of `text` to the process's stderr with as few write calls as the OS allows (one for
// anything up to PIPE_BUF), retrying on EINTR; errors are ignored.
void write_stderr(std::string_view text) noexcept;

// Closes a native pipe end; tolerates the invalid value.
void close_native(Pipe::native_type native) noexcept;

// Registers handlers run around fork() (pthread_atfork on POSIX; nothing on Windows, which has no
// fork): `prepare` in the parent before the fork, `parent` and `child` after it in each process.
// Portable code uses it to keep its locks and caches right in a host that forks without exec.
void at_fork(void (*prepare)(), void (*parent)(), void (*child)()) noexcept;

// The OS's text for an OS error code (errno on POSIX; GetLastError() on Windows, as UTF-8 from
// FormatMessageW, since the C++ runtime's text there is in the ANSI code page). Error::from_os uses
// it, so every OS error reads the same whichever layer made it.
std::string os_error_text(int code);

// The name of a signal ("SIGTERM"), or an empty view when unknown / not applicable.
std::string_view signal_name(int sig) noexcept;

// ---- Processes ----------------------------------------------------------------------------------
//
// The split: src/process_state.hpp (portable) owns the child's exit status, its pipes, the
// condition variable every wait blocks on and a "stop in progress" flag. The platform owns an opaque
// NativeProcess (POSIX: process group id and watcher bookkeeping; Windows: process and job handles)
// and the exit watcher, which calls ProcessState::set_exited() exactly once per child. The portable
// src/spawn_support.hpp validates SpawnOptions and merges environments before spawn_process runs.

// The platform's part of a child; defined in the platform folder. ChildProcess holds a
// shared_ptr<ProcessState> (defined in src/process_state.hpp), which owns one of these.
struct NativeProcess;

// Destroys a NativeProcess (defined in the platform folder, where the type is complete), so that
// portable code can own one through std::unique_ptr<NativeProcess, NativeProcessDeleter>. Called
// only after the child was reaped (or never started); it releases handles, it does not wait.
struct NativeProcessDeleter {
  void operator()(NativeProcess* native) const noexcept;
};

// See src/process_state.hpp for ProcessState, the portable, condition-variable-based part.
class ProcessState;

// Spawns the child described by `options` and registers it with the platform's exit watcher,
// which will call ProcessState::set_exited() exactly once. `options` has already passed
// validate_spawn_options() (src/spawn_support.hpp); the platform still checks what only the OS can
// tell (the program exists and is executable, the working directory exists). On success the pipes
// the options asked for are stored in `state` (parent ends: close-on-exec, read ends non-blocking).
// Returns once the program is executing (exec failure is reported here, synchronously, as
// `failed to spawn process: <program>: <OS reason>`). On failure nothing is left behind (no zombie,
// no fd). Thread-safe. POSIX: errc::host_contract when SIGCHLD was set to SIG_IGN or the handler
// modhost installed was replaced without chaining.
Result<std::shared_ptr<ProcessState>> spawn_process(const SpawnOptions& options);

// What to send to a child's group.
enum class StopSignal { Terminate, Kill };

// Sends `signal` to the child's process group (or to the pid when it has none). Ok when the child
// has already exited. POSIX: after the leader exited but before it is reaped, the group is still
// signalled (a Kill is how leftovers are removed). Windows: Terminate is CTRL_BREAK (errc::
// unsupported without a shared console), Kill terminates the job. Thread-safe.
Result<void> signal_process(ProcessState& state, StopSignal signal) noexcept;

// Called by ChildProcess's destructor (and stop()) once the caller wants the child gone for good:
// kills what remains of the group, waits for the exit, and releases the OS resources. Blocking.
// Must not be called with the state's mutex held. Idempotent.
void release_process(ProcessState& state) noexcept;

// Checks that exit notifications can still arrive: ok, or errc::host_contract with a message
// saying what the host changed (POSIX: SIGCHLD set to SIG_IGN, or modhost's handler replaced).
// Called by waits that time out, so a broken contract is reported instead of a hang. Cheap (one
// system call); thread-safe. Windows: always ok.
Result<void> check_exit_notification();

// Reads the parent's read ends `out` and `err` (either may be invalid: skipped) together until
// both reach EOF, appending their bytes to `out_data` / `err_data`; closes each at EOF. Uses poll
// (an overlapped wait on Windows), so a child that fills one pipe while the caller would be
// blocked on the other cannot deadlock. Blocks; errors name the pipe and the OS reason.
Result<void> read_pipes_to_end(Pipe& out, std::string& out_data, Pipe& err, std::string& err_data);

// Testing only: makes spawn_process use the platform's fallback spawn path even when the fast one
// could express the request (POSIX: fork/execve instead of posix_spawn), so one test suite covers
// both. Returns false, doing nothing, on a platform with a single path (Windows). The environment
// variable MODHOST_FORCE_FORK=1, read once at the first spawn, sets the same switch. Thread-safe.
bool set_spawn_fallback_for_testing(bool on) noexcept;

// ---- The pipe reader (one thread per owner, many pipes) -----------------------------------------

// Events the reader delivers, always on its own thread, one at a time. A key that was removed by
// another thread may still see one last event that was already in flight; handlers ignore keys
// they no longer know.
class PipeReaderHandler {
 public:
  virtual ~PipeReaderHandler() = default;
  // Bytes arrived on the pipe registered with `key`. The view is valid during the call only.
  virtual void on_data(std::uint64_t key, std::string_view bytes) = 0;
  // The pipe registered with `key` reached EOF (or failed); it has been closed and removed. For a
  // key registered with watch_exit: the process has exited (the watch is removed).
  virtual void on_eof(std::uint64_t key) = 0;
  // The deadline set with PipeReader::set_deadline passed (or a wake() arrived).
  virtual void on_wake() = 0;
};

// Reads many pipes on one thread (poll on POSIX, an I/O completion port on Windows). Idle costs
// nothing: no timers except the one deadline the handler asks for.
class PipeReader {
 public:
  virtual ~PipeReader() = default;
  // Starts reading `pipe` (a read end this reader now owns). Thread-safe; wakes the thread.
  virtual Result<void> add(std::uint64_t key, Pipe pipe) = 0;
  // Delivers on_eof(`key`) once process `pid` (a child of this process) has exited, without a
  // thread or a timer per process: a pidfd in the poll set on Linux (an IOCP-posted wait on
  // Windows). The caller must know the pid is still its child when this is called (e.g. check
  // ChildProcess::try_wait() right after: if it has not exited, the pid could not have been
  // reused). errc::unsupported where the platform has no such event (the default; then the owner
  // learns of exits otherwise); an OS error (ESRCH) when the process is already gone. Thread-safe.
  virtual Result<void> watch_exit(std::uint64_t key, ProcessId pid) {
    (void)key;
    (void)pid;
    return Error(errc::unsupported, "pipe reader: no process exit event on this platform");
  }
  // Stops reading and closes the pipe of `key` (or drops its exit watch); no on_eof is delivered
  // for it afterwards, except one already in flight on the reader's thread (see the handler).
  // Thread-safe.
  virtual void remove(std::uint64_t key) = 0;
  // Makes on_wake run on the reader's thread as soon as possible. Thread-safe.
  virtual void wake() = 0;
  // Makes on_wake run at `deadline` (replacing an earlier one); time_point::max() clears it.
  // Thread-safe.
  virtual void set_deadline(std::chrono::steady_clock::time_point deadline) = 0;
  // Stops the thread and joins it; closes every pipe still registered. Idempotent. Must not be
  // called from the reader's thread.
  virtual void stop() = 0;
};

// Starts a reader thread delivering events to `handler` (which must outlive it).
Result<std::unique_ptr<PipeReader>> start_pipe_reader(PipeReaderHandler& handler);

}  // namespace modhost::detail
