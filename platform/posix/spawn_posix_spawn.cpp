// The fast spawn path: posix_spawn(). On glibc it clones with CLONE_VM | CLONE_VFORK, so its cost
// does not grow with the parent's heap, and it reports an exec failure as its return value (the
// parent is suspended until the child has exec'd or failed), which is what makes spawn()
// synchronous without an extra pipe.

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <string.h>

#include "posix_process.hpp"

namespace modhost::detail {

namespace {

// Adds the file action that gives the child's fd `target` what `source` says.
int add_stdio(posix_spawn_file_actions_t* actions, int source, int target) noexcept {
  if (source == kInherit) return 0;
  if (source == kNull) {
    int flags = target == 0 ? O_RDONLY : O_WRONLY;
    return posix_spawn_file_actions_addopen(actions, target, "/dev/null", flags, 0);
  }
  // source >= 3 (spawn_process guarantees it), so dup2 always clears close-on-exec on the copy.
  return posix_spawn_file_actions_adddup2(actions, source, target);
}

}  // namespace

bool needs_fork_path(const SpawnPlan& plan) noexcept {
#if defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 34))
  // glibc >= 2.34 has every file action we need (addchdir_np 2.29, addclosefrom_np 2.34); only
  // PR_SET_PDEATHSIG has no posix_spawn attribute.
  return plan.kill_on_parent_death;
#else
  // Elsewhere the fork path is the one that is known to close every inherited fd.
  (void)plan;
  return true;
#endif
}

SpawnOutcome spawn_with_posix_spawn(const SpawnPlan& plan) noexcept {
  SpawnOutcome out;
#if defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 34))
  posix_spawn_file_actions_t actions;
  posix_spawnattr_t attr;
  int err = posix_spawn_file_actions_init(&actions);
  if (err != 0) {
    out.error = err;
    out.stage = "posix_spawn_file_actions_init";
    return out;
  }
  err = posix_spawnattr_init(&attr);
  if (err != 0) {
    posix_spawn_file_actions_destroy(&actions);
    out.error = err;
    out.stage = "posix_spawnattr_init";
    return out;
  }
  if (err == 0) err = add_stdio(&actions, plan.stdio[0], 0);
  if (err == 0) err = add_stdio(&actions, plan.stdio[1], 1);
  if (err == 0) {
    err = plan.merge_stderr ? posix_spawn_file_actions_adddup2(&actions, 1, 2)
                            : add_stdio(&actions, plan.stdio[2], 2);
  }
  if (err == 0 && plan.working_directory != nullptr) {
    err = posix_spawn_file_actions_addchdir_np(&actions, plan.working_directory);
  }
  // The child keeps 0, 1, 2 only, even when the host leaked descriptors without close-on-exec.
  // glibc does this with close_range(2), falling back to reading /proc/self/fd.
  if (err == 0) err = posix_spawn_file_actions_addclosefrom_np(&actions, 3);

  // A clean start: an empty signal mask, and every signal at its default disposition. Handled
  // signals would be reset by exec anyway; the full set is needed for the ones the host ignores
  // (SIGPIPE above all) and costs the same as glibc's own per-signal reset in the child.
  short flags = POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF;
  // The set is filled byte-wise, not with sigfillset(): glibc's sigfillset leaves out its two
  // internal signals (32, 33), and its spawn helper then sets those to SIG_IGN in the child, where
  // the ignored disposition survives exec. With every bit set they get SIG_DFL like the rest.
  sigset_t empty, all;
  sigemptyset(&empty);
  memset(&all, 0xff, sizeof all);
  if (err == 0) err = posix_spawnattr_setsigmask(&attr, &empty);
  if (err == 0) err = posix_spawnattr_setsigdefault(&attr, &all);
  if (err == 0 && plan.new_group) {
    flags |= POSIX_SPAWN_SETPGROUP;
    err = posix_spawnattr_setpgroup(&attr, 0);
  }
  if (err == 0) err = posix_spawnattr_setflags(&attr, flags);
  if (err != 0) {
    out.stage = "posix_spawn setup";
  } else {
    pid_t pid = -1;
    err = posix_spawn(&pid, plan.path, &actions, &attr, plan.argv, plan.envp);
    if (err == 0) out.pid = pid;
  }
  out.error = err;
  posix_spawnattr_destroy(&attr);
  posix_spawn_file_actions_destroy(&actions);
#else
  (void)plan;
  out.error = ENOSYS;
  out.stage = "posix_spawn";
#endif
  return out;
}

}  // namespace modhost::detail
