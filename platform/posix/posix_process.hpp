#pragma once
// Internal to platform/posix/: the POSIX NativeProcess, the exit watcher's interface and the two
// spawn paths. Nothing outside this folder includes it.

#include <sys/types.h>

#include <atomic>
#include <memory>
#include <string>

#include "modhost/result.hpp"
#include "platform.hpp"
#include "process_state.hpp"

namespace modhost::detail {

// The POSIX part of a child.
struct NativeProcess {
  // True when the child leads its own process group (pgid == pid), so signals go to -pid.
  bool has_group = false;
  // Set by the exit watcher, under its mutex, once the pid has been reaped: from then on the pid
  // (and the pgid) may belong to an unrelated process, so nothing may be signalled through it.
  bool reaped = false;
  // The process that spawned the child. A process forked from it (without exec) inherits copies
  // of its ChildProcess objects; their children are not the fork's, which must leave them alone.
  pid_t owner = 0;
  // release_process() ran (it is idempotent).
  std::atomic<bool> released{false};
};

// ---- Exit watcher (exit_watcher.cpp) -----------------------------------------------------------

// Installs the SIGCHLD handler and starts the watcher thread on first use; afterwards checks the
// host contract (check_exit_notification). Thread-safe.
Result<void> ensure_exit_watcher();

// Hands a freshly spawned child to the watcher, which reaps it when it exits and calls
// set_exited(). A child that exited before this call is still seen. Thread-safe.
void watch_child(std::shared_ptr<ProcessState> state);

// Sends `sig` to the child's group (or pid) unless it has been reaped already; the check and the
// kill() happen under the watcher's mutex, so a reaped (and possibly reused) id is never signalled.
// Returns 0 or an errno value; ESRCH counts as success (the child is exiting).
int signal_child(ProcessState& state, int sig) noexcept;

// Reaps the child directly with a blocking waitpid(): the fallback for release_process() when the
// host broke the SIGCHLD contract, so that the destructor still leaves no zombie. The child must
// have been sent SIGKILL first.
void reap_directly(ProcessState& state) noexcept;

// ---- Spawn paths (spawn_posix_spawn.cpp, spawn_fork.cpp) ---------------------------------------

// Everything a spawn path needs, built by spawn_process() before anything is started, so that the
// fork path allocates nothing after fork().
struct SpawnPlan {
  const char* path = nullptr;       // The resolved executable.
  char* const* argv = nullptr;      // NULL-terminated.
  char* const* envp = nullptr;      // NULL-terminated.
  const char* working_directory = nullptr;  // nullptr: the parent's.
  // The child's fds 0, 1, 2: kInherit, kNull, or an fd (>= 3, close-on-exec) to dup2 from.
  int stdio[3] = {-1, -1, -1};
  bool merge_stderr = false;        // Make fd 2 a copy of fd 1.
  bool new_group = false;           // setpgid(0, 0) in the child.
  bool kill_on_parent_death = false;  // PR_SET_PDEATHSIG (fork path only).
};
constexpr int kInherit = -1;
constexpr int kNull = -2;

// Result of a spawn path: the pid, or an error value and the step that failed.
struct SpawnOutcome {
  pid_t pid = -1;
  int error = 0;                // errno value, 0 on success.
  const char* stage = nullptr;  // nullptr for exec itself, else "chdir", "setpgid"...
};

// posix_spawn(): used whenever the plan can be expressed with it (everything but
// kill_on_parent_death on glibc).
SpawnOutcome spawn_with_posix_spawn(const SpawnPlan& plan) noexcept;
// fork() + execve(), async-signal-safe after the fork.
SpawnOutcome spawn_with_fork(const SpawnPlan& plan) noexcept;
// True when posix_spawn cannot express `plan` on this libc (or the test switch is on).
bool needs_fork_path(const SpawnPlan& plan) noexcept;

}  // namespace modhost::detail
