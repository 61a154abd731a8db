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

#include "modhost/cancellation.hpp"
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
// anything up to PIPE_BUF), retrying on EINTR; errors are ignored. Never raises SIGPIPE: a host
// whose stderr is a pipe nobody reads any more is not killed by a log line (POSIX: SIGPIPE is
// blocked in the calling thread around the write and a SIGPIPE it raised is consumed).
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

// True when `path` (UTF-8) names an existing directory. Checked through the OS's own path type
// (UTF-16 on Windows), never through narrow-string library calls that would read the bytes in
// another code page.
bool is_directory(const std::string& path) noexcept;

// True when `path` (UTF-8) names an existing regular file (following symlinks), checked like
// is_directory().
bool is_regular_file(const std::string& path) noexcept;

// The characters that separate path components, and the one the OS prefers when joining.
#if defined(MODHOST_PLATFORM_WIN32)
constexpr std::string_view path_separators() noexcept { return "\\/"; }
constexpr char preferred_separator() noexcept { return '\\'; }
#else
constexpr std::string_view path_separators() noexcept { return "/"; }
constexpr char preferred_separator() noexcept { return '/'; }
#endif

// `path` (UTF-8) made absolute against the current directory and normalised: "." and ".." steps
// and repeated separators are resolved lexically on POSIX (symlinks are not followed, as
// std::filesystem::lexically_normal does), by GetFullPathNameW on Windows. Fails only when the
// current directory cannot be read or the path is not valid text for the OS.
Result<std::string> absolute_path(const std::string& path);

// True when `pid` is a child spawned by spawn_process() and not reaped yet, or a spawn is under
// way (see modhost::is_modhost_child). POSIX: from the registry the spawn and reap paths keep.
// Windows: false. Thread-safe.
bool owns_child(ProcessId pid) noexcept;


// ---- Threads ------------------------------------------------------------------------------------

// A thread the library owns. Created with the OS call itself (pthread_create / _beginthreadex), never
// std::thread, so a failure (EAGAIN under RLIMIT_NPROC, say) is an Error instead of an exception or
// std::terminate. On POSIX the thread starts with every signal blocked (the creator's mask is left
// as it was, also on failure): a process-directed signal then always lands on one of the host's
// threads, never on the library's.
class Thread {
 public:
  struct Native;  // The platform's handle; defined in the platform folder.
  struct NativeDeleter {
    void operator()(Native* native) const noexcept;
  };

  // An empty object (not joinable).
  Thread() noexcept;
  // Joins the thread if it is still joinable.
  ~Thread();
  Thread(Thread&& other) noexcept;
  Thread& operator=(Thread&& other) noexcept;
  Thread(const Thread&) = delete;
  Thread& operator=(const Thread&) = delete;

  // Starts `body` on a new thread. Errors: the OS's code, the message naming `what`
  // ("cannot start the exit watcher thread: Resource temporarily unavailable").
  static Result<Thread> start(std::function<void()> body, std::string_view what);

  // True until join() or detach().
  bool joinable() const noexcept;
  // Waits for the thread to end. Must not be called from the thread itself.
  void join() noexcept;
  // Lets the thread run on its own; its resources are released when it ends.
  void detach() noexcept;

 private:
  std::unique_ptr<Native, NativeDeleter> native_;
};

// Testing only: makes the next `count` calls of Thread::start fail as if the OS had refused
// (EAGAIN on POSIX, ERROR_NOT_ENOUGH_MEMORY on Windows), so a test reaches every place that
// starts a thread. Thread-safe. (src/thread.cpp)
void fail_thread_starts_for_testing(int count) noexcept;

// For the platforms' Thread::start: true, consuming one, while failures injected with
// fail_thread_starts_for_testing are left. Thread-safe.
bool take_injected_thread_failure() noexcept;

// ---- Processes ----------------------------------------------------------------------------------
//
// The split: src/modhost_process_state.hpp (portable) owns the child's exit status, its pipes, the
// condition variable every wait blocks on, the exit listener and a "stop in progress" flag. The
// platform owns an opaque NativeProcess (POSIX: the pidfd, the process group; Windows: process
// and job handles), the one exit watcher per process, and the reaping: every path that learns of
// an exit (the watcher, a thread waiting in place, a non-blocking check) settles it through
// ProcessState::settle(), so exactly one of them publishes the status.
//
// Exit handles. Where the OS gives one (a pidfd on Linux >= 5.3, the process HANDLE on Windows),
// the watcher waits on every child's handle at once, and a thread that waits for one child waits
// on that child's handle itself and reaps in place, without a hop through the watcher. Where there
// is none (POSIX without pidfds) the watcher learns of exits from a SIGCHLD handler through a
// self-pipe, and waiters sleep on the condition variable.

// The platform's part of a child; defined in the platform folder. ChildProcess holds a
// shared_ptr<ProcessState> (defined in src/modhost_process_state.hpp), which owns one of these.
struct NativeProcess;

// Destroys a NativeProcess (defined in the platform folder, where the type is complete), so that
// portable code can own one through std::unique_ptr<NativeProcess, NativeProcessDeleter>. Called
// only after the child's exit was published (or it never started); it releases handles, it does
// not wait.
struct NativeProcessDeleter {
  void operator()(NativeProcess* native) const noexcept;
};

// See src/modhost_process_state.hpp for ProcessState, the portable, condition-variable-based part.
class ProcessState;

// Spawns the child described by `options` and hands it to the platform's exit watcher, which
// publishes its exit. `options` has already passed validate_spawn_options()
// (src/modhost_spawn_support.hpp); the platform still checks what only the OS can tell (the program exists
// and is executable, the working directory exists). On success the pipes the options asked for
// are stored in `state` (parent ends: close-on-exec, read ends non-blocking). Returns once the
// program is executing (exec failure is reported here, synchronously, as `failed to spawn process:
// <program>: <OS reason>`). On failure nothing is left behind (no zombie, no fd, no thread).
// Thread-safe. POSIX, on the SIGCHLD path only: errc::host_contract when SIGCHLD was set to
// SIG_IGN or the handler modhost installed was replaced without chaining.
Result<std::shared_ptr<ProcessState>> spawn_process(const SpawnOptions& options);

// What to send to a child's group.
enum class StopSignal { Terminate, Kill };

// Sends `signal` to the child's process group (or to the pid when it has none). Ok when the child
// has already exited. POSIX: after the leader exited but before it is reaped, the group is still
// signalled (a Kill is how leftovers are removed). Windows: Terminate is the graceful request
// platform/win32/graceful_stop.hpp picks (CTRL_BREAK, sent at once or queued for the helper
// program; WM_CLOSE, queued), errc::unsupported when none can reach the child; Kill terminates
// the job. Never blocks for long: what takes long is queued. Thread-safe.
Result<void> signal_process(ProcessState& state, StopSignal signal) noexcept;

// Sends signal number `sig` to the child's process group (or its pid when it has none), unless
// its exit was published: then errc::not_running, so a reaped (maybe reused) id is never
// signalled. POSIX: any signal. Windows: SIGINT and SIGTERM are the graceful request (as
// Terminate), 9 (SIGKILL's number elsewhere) is Kill, the rest errc::unsupported. Thread-safe.
Result<void> send_signal(ProcessState& state, int sig) noexcept;

// Called by ChildProcess's destructor (and stop()) once the caller wants the child gone for good:
// kills what remains of the group, waits for the exit, and releases the OS resources. Blocking.
// Must not be called with the state's mutex held. Idempotent.
void release_process(ProcessState& state) noexcept;

// How a wait on the child's own exit handle ended.
enum class InPlaceWait {
  Exited,       // The exit is published (by this thread, which reaped the child, or by another).
  TimedOut,     // `deadline` passed.
  Cancelled,    // `cancel` was cancelled.
  Unavailable,  // No exit handle to wait on (the SIGCHLD path), another thread is waiting on it,
                // or the wake-up for `cancel` could not be made: wait on the condition variable.
};

// Blocks the calling thread on the child's exit handle together with `cancel`'s wake-up (if
// given) until the child exits (then reaps it in place and publishes the status, so the waiter
// wakes without a hop through the watcher thread), `deadline` passes, or `cancel` is cancelled.
// One thread at a time waits in place per child; the others get Unavailable. Never throws; must
// not be called with the state's mutex held.
InPlaceWait wait_exit_in_place(ProcessState& state, std::chrono::steady_clock::time_point deadline,
                               const CancellationToken* cancel) noexcept;

// Looks, without blocking, whether the child has exited although no exit was published yet, and
// if so reaps it and publishes the status. `overdue` says the caller has waited a while for news
// (a quiet slice of a wait, the backend's check after a kill); no platform needs to act on it
// today (POSIX: the exit watcher looks at its SIGCHLD-path children once a second anyway). This
// is what keeps a host that blocks SIGCHLD in every thread from hanging the waits. Cheap (one
// system call); thread-safe.
void poll_exit(ProcessState& state, bool overdue) noexcept;

// Checks that the child's exit can still be observed: ok, or errc::host_contract with a message
// saying what the host changed. POSIX, SIGCHLD path: SIGCHLD set to SIG_IGN, SA_NOCLDWAIT, or
// modhost's handler replaced; always ok for a child with an exit handle, and on Windows. Called
// by waits that time out, so a broken contract is reported instead of a hang. Thread-safe.
Result<void> check_exit_notification(const ProcessState& state);

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

// Testing only: makes children spawned from now on use the platform's portable exit mechanism even
// where an exit handle exists (POSIX: the SIGCHLD self-pipe instead of pidfds), so one test suite
// covers both; the SIGCHLD handler is then installed at the next spawn. Returns false, doing
// nothing, on a platform with a single mechanism (Windows). The environment variable
// MODHOST_FORCE_SIGCHLD=1, read once at the first spawn, sets the same switch. Thread-safe.
bool set_exit_fallback_for_testing(bool on) noexcept;

// ---- The pipe reader (one thread per owner, many pipes) -----------------------------------------

// Events the reader delivers, always on its own thread, one at a time. A key that was removed by
// another thread may still see one last event that was already in flight; handlers ignore keys
// they no longer know.
class PipeReaderHandler {
 public:
  virtual ~PipeReaderHandler() = default;
  // Bytes arrived on the pipe registered with `key`. The view is valid during the call only.
  virtual void on_data(std::uint64_t key, std::string_view bytes) = 0;
  // The pipe registered with `key` reached EOF (or failed); it has been closed and removed.
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
  // Stops reading and closes the pipe of `key`; no on_eof is delivered
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
