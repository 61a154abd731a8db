// Which pids are modhost's: every child it has spawned and not reaped yet, plus, while a spawn is
// under way, every pid at all (the new child exists before its id is known here). A host that
// reaps children it did not spawn (a subreaper, an init) asks owns_child() before reaping a zombie
// it peeked at with waitid(WNOWAIT), so it never takes a status that belongs to a ChildProcess or
// a backend instance, on either exit path (pidfd or SIGCHLD).
//
// The two rules that make the answer safe:
// - a spawn counts as in flight from before vfork()/fork()/posix_spawn() until its pid is
//   registered (or it failed and its child was reaped inside the spawn), both under one mutex, so
//   there is no moment where the child exists and the answer is "not ours";
// - a pid leaves the registry only after modhost has reaped it (note_reaped), never before, so a
//   zombie of ours is always known. A pid reused by an unrelated child between modhost's reap and
//   note_reaped is briefly reported as ours; the host looks again later and finds it free.
// Counts, not a set: after a reap and before its note_reaped, a new child may get the same pid.

#include <pthread.h>
#include <unistd.h>

#include <mutex>
#include <unordered_map>

#include "posix_process.hpp"

namespace modhost::detail {
namespace {

struct Registry {
  std::mutex mutex;
  pid_t owner = 0;      // The process the entries belong to (a forked child has none of them).
  int in_flight = 0;    // Spawns between begin_spawn and end_spawn.
  std::unordered_map<pid_t, int> pids;  // Spawned and not yet reaped, with their counts.
};

// Never destroyed: the exit watcher may still reap (and call note_reaped) during exit().
Registry& registry() {
  static Registry* r = new Registry;
  return *r;
}

// A process forked from a spawning one (without exec) inherits the registry but none of its
// children: everything in it belongs to the parent. The mutex is kept usable across fork by the
// pthread_atfork handlers below.
void adopt_locked(Registry& r) {
  const pid_t self = ::getpid();
  if (r.owner == self) return;
  r.owner = self;
  r.in_flight = 0;
  r.pids.clear();
}

void lock_for_fork() { registry().mutex.lock(); }
void unlock_after_fork() { registry().mutex.unlock(); }

void register_fork_handlers() {
  static std::once_flag once;
  std::call_once(once,
                 [] { ::pthread_atfork(lock_for_fork, unlock_after_fork, unlock_after_fork); });
}

}  // namespace

void begin_spawn() {
  register_fork_handlers();
  Registry& r = registry();
  std::lock_guard<std::mutex> lock(r.mutex);
  adopt_locked(r);
  ++r.in_flight;
}

void end_spawn(pid_t registered) {
  Registry& r = registry();
  std::lock_guard<std::mutex> lock(r.mutex);
  adopt_locked(r);
  if (registered > 0) ++r.pids[registered];
  if (r.in_flight > 0) --r.in_flight;
}

void note_reaped(pid_t pid) noexcept {
  Registry& r = registry();
  std::lock_guard<std::mutex> lock(r.mutex);
  if (r.owner != ::getpid()) return;
  auto it = r.pids.find(pid);
  if (it == r.pids.end()) return;
  if (--it->second == 0) r.pids.erase(it);
}

bool owns_child(ProcessId pid) noexcept {
  Registry& r = registry();
  std::lock_guard<std::mutex> lock(r.mutex);
  if (r.owner != ::getpid()) return false;
  return r.in_flight > 0 || r.pids.count(static_cast<pid_t>(pid)) != 0;
}

}  // namespace modhost::detail
