#pragma once
// Internal to platform/posix/: the POSIX NativeProcess, the exit watcher's interface and the two
// spawn paths. Nothing outside this folder includes it.

#include <sys/types.h>

#include <atomic>
#include <memory>
#include <string>

#include "modhost/result.hpp"
#include "modhost_platform.hpp"
#include "modhost_process_state.hpp"

namespace modhost::detail {

// The POSIX part of a child.
struct NativeProcess {
  // The child's exit handle: a pidfd (Linux >= 5.3), or -1 on the SIGCHLD path. Owned; closed
  // with the NativeProcess, after the watcher has let go of it.
  int pidfd = -1;
  // True when the child leads its own process group (pgid == pid), so signals go to -pid.
  bool has_group = false;
  // Set by the reaper, under the state's mutex, once the pid has been reaped: from then on the pid
  // (and the pgid) may belong to an unrelated process, so nothing may be signalled through it.
  bool reaped = false;
  // The process that spawned the child. A process forked from it (without exec) inherits copies
  // of its ChildProcess objects; their children are not the fork's, which must leave them alone.
  pid_t owner = 0;
  // release_process() ran (it is idempotent).
  std::atomic<bool> released{false};
};

// ---- Exit watcher (exit_watcher.cpp) -----------------------------------------------------------
//
// One thread for the whole process, started on first use and never torn down. It waits, in one
// epoll set, on the pidfd of every child that has one and on a self-pipe that modhost's SIGCHLD
// handler writes to for the children that have none, and settles every exit it sees (reap.cpp).

// Makes sure the watcher runs and, for a child about to be spawned on the SIGCHLD path
// (`sigchld`), that the SIGCHLD handler is installed and the host contract holds. Errors: the
// watcher's thread, pipe or epoll set could not be made (the next call tries again), or
// errc::host_contract. Thread-safe.
Result<void> prepare_exit_watch(bool sigchld);

// Hands a freshly spawned child to the watcher, which settles its exit (a child that exited
// before this call is still seen). Errors: its pidfd could not be added to the epoll set (the
// caller then kills and reaps the child). Thread-safe.
Result<void> watch_child(std::shared_ptr<ProcessState> state);

// Drops the watcher's hold on a child whose exit was published (its pidfd leaves the epoll set).
// Idempotent; thread-safe.
void forget_child(const ProcessState& state) noexcept;

// Takes a child's pidfd out of the watcher's epoll set (`polled` false) while a thread waits on it
// in place, and puts it back (true) when that thread stops waiting without the exit. Idempotent.
void set_watcher_polls(const ProcessState& state, bool polled) noexcept;

// ---- Reaping (reap.cpp) ------------------------------------------------------------------------

// Looks at the child and, if it has exited, kills what is left of its group when a stop is in
// progress, reaps it and publishes the status (ProcessState::settle). Returns true once the exit
// is published. Never blocks.
bool reap_child(ProcessState& state) noexcept;

// The outcome of sending a signal to a child.
enum class SignalOutcome { Sent, NotRunning, Failed };

// Sends `sig` to the child's group (or pid) unless its exit was published; under the state's
// mutex, so a reaped (and possibly reused) id is never signalled. ESRCH counts as sent (the
// child is exiting). On Failed, `error` holds the errno value.
SignalOutcome signal_child(ProcessState& state, int sig, int& error) noexcept;

// Reaps the child with a blocking waitid(): the fallback for release_process() when its exit
// cannot be observed otherwise (a host that broke the SIGCHLD contract), so that the destructor
// still leaves no zombie. The child must have been sent SIGKILL first.
void reap_directly(ProcessState& state) noexcept;

// ---- Ownership (child_registry.cpp) ------------------------------------------------------------
//
// The pids modhost has spawned and not reaped, for owns_child() (src/modhost_platform.hpp): a host that
// reaps other children asks it before reaping a zombie it peeked at.

// A spawn is starting: until the matching end_spawn(), every pid counts as modhost's, since the
// new child exists before its id is known. Call before fork()/posix_spawn().
void begin_spawn();

// The spawn is over: `registered` (> 0) is the new child, now known as modhost's until
// note_reaped(); 0 when no child was left (the spawn failed and reaped what it started).
void end_spawn(pid_t registered);

// Testing only: `hook` (nullptr: none) runs on the spawning thread right after a child is started
// and before it is registered, the moment where only the spawn being in flight keeps a host's
// reaper off it. Thread-safe.
void set_spawned_hook_for_testing(void (*hook)(pid_t pid)) noexcept;

// Called right after modhost reaped `pid` (or learned that it is not its child any more), never
// before: from then on a host may reap a process with that id. Thread-safe.
void note_reaped(pid_t pid) noexcept;

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
// A child of our own + execve(): on Linux created with vfork() (shared memory, the calling thread
// suspended until exec), elsewhere, or where a sandbox refuses vfork, with fork(); only raw,
// async-signal-safe system calls in the child (spawn_fork.cpp).
SpawnOutcome spawn_with_fork(const SpawnPlan& plan) noexcept;
// Testing only: makes spawn_with_fork create its child with fork() where it would use vfork(),
// so the plain fork() path stays covered on Linux. Thread-safe.
void set_plain_fork_for_testing(bool on) noexcept;
// True when posix_spawn cannot express `plan` on this libc (or the test switch is on).
bool needs_fork_path(const SpawnPlan& plan) noexcept;

}  // namespace modhost::detail
