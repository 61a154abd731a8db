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

// The name of a signal ("SIGTERM"), or an empty view when unknown / not applicable.
std::string_view signal_name(int sig) noexcept;

// ---- Processes ----------------------------------------------------------------------------------

// The platform's part of a child; defined in the platform folder. ChildProcess holds a
// shared_ptr<ProcessState> (defined in src/process_state.hpp), which owns one of these.
struct NativeProcess;

// See src/process_state.hpp for ProcessState, the portable, condition-variable-based part.
class ProcessState;

// Spawns the child described by `options` and registers it with the platform's exit watcher,
// which will call ProcessState::set_exited() exactly once. On success the pipes the options asked
// for are stored in `state`. On failure nothing is left behind (no zombie, no fd).
Result<std::shared_ptr<ProcessState>> spawn_process(const SpawnOptions& options);

// What to send to a child's group.
enum class StopSignal { Terminate, Kill };

// Sends `signal` to the child's process group (or to the pid when it has none). Ok when the child
// has already exited. POSIX: after the leader exited but before it is reaped, the group is still
// signalled (a Kill is how leftovers are removed). Windows: Terminate is CTRL_BREAK (errc::
// unsupported without a shared console), Kill terminates the job.
Result<void> signal_process(ProcessState& state, StopSignal signal) noexcept;

// Called by ChildProcess's destructor (and stop()) once the caller wants the child gone for good:
// kills what remains of the group, waits for the exit, and releases the OS resources. Blocking.
void release_process(ProcessState& state) noexcept;

// ---- The pipe reader (one thread per owner, many pipes) -----------------------------------------

// Events the reader delivers, always on its own thread, one at a time.
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
  // Stops reading and closes the pipe of `key` (no on_eof is delivered). Thread-safe.
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
