// The POSIX exit watcher: a SIGCHLD handler that writes one byte to a self-pipe, and one thread
// for the whole process that drains it and reaps the children modhost owns (and only those).
//
// Host contract (README "Gotchas"): modhost installs its SIGCHLD handler at the first spawn and
// chains to the handler the host had installed before (SA_SIGINFO or plain). The host must not
// afterwards set SIGCHLD to SIG_IGN (the kernel would reap our children and their statuses would
// be lost), set SA_NOCLDWAIT, replace the handler without chaining to the previous one, or call
// waitpid(-1) / wait(). modhost detects the first three at every spawn and whenever a wait has
// been quiet for a second, and reports errc::host_contract instead of hanging; a child reaped by
// the host is reported as lost (errc::host_contract) when the watcher next looks at it.

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <mutex>
#include <thread>
#include <unordered_map>
#include <utility>
#include <vector>

#include "posix_process.hpp"

namespace modhost::detail {
namespace {

// The host's handler from before ours, written once before ours is installed and only read
// afterwards (by the handler), so the handler needs no lock.
struct sigaction g_previous_action;
// The self-pipe's write end, or -1. Atomic because the handler reads it on any thread while a
// forked child replaces it (see after_fork_in_child).
std::atomic<int> g_wake_fd{-1};

}  // namespace
}  // namespace modhost::detail

// The one global-scope symbol: a C-linkage signal handler. Async-signal-safe: it only calls
// write(2) and the previous handler, and keeps errno intact for the code it interrupted.
extern "C" void modhost_sigchld_handler(int sig, siginfo_t* info, void* context) {
  using modhost::detail::g_previous_action;
  int saved_errno = errno;
  int fd = modhost::detail::g_wake_fd.load(std::memory_order_relaxed);
  if (fd >= 0) {
    char byte = 0;
    // A full pipe (EAGAIN) already guarantees a wake-up, so the byte may be dropped.
    ssize_t ignored = ::write(fd, &byte, 1);
    (void)ignored;
  }
  if (g_previous_action.sa_flags & SA_SIGINFO) {
    if (g_previous_action.sa_sigaction != nullptr) g_previous_action.sa_sigaction(sig, info, context);
  } else if (g_previous_action.sa_handler != SIG_DFL && g_previous_action.sa_handler != SIG_IGN &&
             g_previous_action.sa_handler != nullptr) {
    g_previous_action.sa_handler(sig);
  }
  errno = saved_errno;
}

namespace modhost::detail {
namespace {

ExitStatus decode(const siginfo_t& info) noexcept {
  if (info.si_code == CLD_EXITED) return ExitStatus::exited(info.si_status);
  return ExitStatus::signaled(info.si_status);
}

class ExitWatcher {
 public:
  // Creates the self-pipe and starts the thread; null on failure (with errno set).
  static ExitWatcher* create() noexcept {
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC | O_NONBLOCK) != 0) return nullptr;
    // The read end blocks (the thread sleeps in read); only the handler's write end must not.
    int flags = ::fcntl(fds[0], F_GETFL);
    ::fcntl(fds[0], F_SETFL, flags & ~O_NONBLOCK);
    auto* watcher = new ExitWatcher(fds[0], fds[1]);
    // The thread starts with every signal blocked, so no host handler ever runs on it (the host
    // may not expect its handlers on a thread it does not know).
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    std::thread(&ExitWatcher::run, watcher).detach();
    pthread_sigmask(SIG_SETMASK, &old, nullptr);
    g_wake_fd.store(fds[1], std::memory_order_release);
    return watcher;
  }

  void add(std::shared_ptr<ProcessState> state) {
    pid_t pid = static_cast<pid_t>(state->pid());
    {
      std::lock_guard<std::mutex> lock(mutex_);
      children_.emplace(pid, std::move(state));
    }
    // The child may have exited, and its SIGCHLD been consumed by a scan, before it was in the
    // map; look once more now that it is, and let the thread reap it if so.
    siginfo_t info;
    memset(&info, 0, sizeof info);
    int r;
    do {
      r = ::waitid(P_PID, static_cast<id_t>(pid), &info, WEXITED | WNOHANG | WNOWAIT);
    } while (r < 0 && errno == EINTR);
    if (r < 0 || info.si_pid != 0) wake();
  }

  int signal(ProcessState& state, int sig) noexcept {
    std::lock_guard<std::mutex> lock(mutex_);
    NativeProcess& native = *state.native();
    if (native.reaped || native.owner != ::getpid()) return 0;
    pid_t pid = static_cast<pid_t>(state.pid());
    if (::kill(native.has_group ? -pid : pid, sig) != 0 && errno != ESRCH) return errno;
    return 0;
  }

  void reap_directly(ProcessState& state) noexcept {
    std::shared_ptr<ProcessState> owned;
    siginfo_t info;
    memset(&info, 0, sizeof info);
    bool reaped = false;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      auto it = children_.find(static_cast<pid_t>(state.pid()));
      if (it == children_.end()) return;  // The watcher got there first.
      owned = std::move(it->second);
      children_.erase(it);
      int r;
      do {
        r = ::waitid(P_PID, static_cast<id_t>(state.pid()), &info, WEXITED);
      } while (r < 0 && errno == EINTR);
      reaped = r == 0;
      state.native()->reaped = true;
    }
    if (reaped) {
      owned->set_exited(decode(info));
    } else {
      owned->set_lost();
    }
  }

 private:
  ExitWatcher(int read_fd, int write_fd) noexcept : read_fd_(read_fd), write_fd_(write_fd) {}

  void wake() noexcept {
    char byte = 0;
    ssize_t ignored = ::write(write_fd_, &byte, 1);
    (void)ignored;
  }

  [[noreturn]] void run() {
    char buf[256];
    for (;;) {
      ssize_t n = ::read(read_fd_, buf, sizeof buf);
      if (n < 0 && errno == EINTR) continue;
      scan();
    }
  }

  // Looks at every owned pid. waitid(WNOWAIT) first: it tells that the child exited while leaving
  // it a zombie, so its pid (and process group id) cannot be reused yet. If a stop is in progress
  // the group is killed at that moment, which is the only moment it is both necessary (the leader
  // is gone, grandchildren may be left) and safe (the id still names this group); then the leader
  // is reaped. Never waitpid(-1): the host's own children are not ours.
  void scan() {
    std::vector<std::pair<std::shared_ptr<ProcessState>, ExitStatus>> exited;
    std::vector<std::shared_ptr<ProcessState>> lost;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      for (auto it = children_.begin(); it != children_.end();) {
        pid_t pid = it->first;
        siginfo_t info;
        memset(&info, 0, sizeof info);
        int r;
        do {
          r = ::waitid(P_PID, static_cast<id_t>(pid), &info, WEXITED | WNOHANG | WNOWAIT);
        } while (r < 0 && errno == EINTR);
        if (r == 0 && info.si_pid == 0) {
          ++it;  // Still running.
          continue;
        }
        ProcessState& state = *it->second;
        if (r == 0) {
          if (state.native()->has_group && state.stop_in_progress()) ::kill(-pid, SIGKILL);
          do {
            r = ::waitid(P_PID, static_cast<id_t>(pid), &info, WEXITED | WNOHANG);
          } while (r < 0 && errno == EINTR);
        }
        state.native()->reaped = true;
        if (r == 0) {
          exited.emplace_back(std::move(it->second), decode(info));
        } else {
          lost.push_back(std::move(it->second));  // ECHILD: someone else reaped it.
        }
        it = children_.erase(it);
      }
    }
    // Outside the watcher's mutex: waiters woken here may call back into the watcher.
    for (auto& [state, status] : exited) state->set_exited(status);
    for (auto& state : lost) state->set_lost();
  }

  const int read_fd_;
  const int write_fd_;
  std::mutex mutex_;
  std::unordered_map<pid_t, std::shared_ptr<ProcessState>> children_;
};

// Guards creation of the watcher. A heap object never destroyed, so no static destructor can race
// with a watcher thread that is still running at exit().
std::mutex& creation_mutex() {
  static std::mutex* m = new std::mutex;
  return *m;
}
std::atomic<ExitWatcher*> g_watcher{nullptr};
bool g_handler_installed = false;  // Guarded by creation_mutex().

// pthread_atfork handlers. A child of fork() has only the forking thread: the watcher thread is
// gone, and the old watcher's mutex may be held forever. The child therefore forgets the old
// watcher (leaking it: destroying a possibly locked mutex is undefined) and closes its self-pipe;
// the next spawn in the child starts a fresh one. The SIGCHLD handler stays installed across fork.
void before_fork() { creation_mutex().lock(); }
void after_fork_in_parent() { creation_mutex().unlock(); }
void after_fork_in_child() {
  ExitWatcher* old = g_watcher.exchange(nullptr);
  int fd = g_wake_fd.exchange(-1);
  if (old != nullptr && fd >= 0) ::close(fd);
  // The read end is left open in the child: the old watcher object still names it, and one
  // leaked descriptor per fork is cheaper than any scheme to find it safely.
  creation_mutex().unlock();
}

Result<void> install_handler_locked() {
  struct sigaction current;
  if (::sigaction(SIGCHLD, nullptr, &current) != 0) {
    return Error::from_os(errno, "cannot read the SIGCHLD disposition");
  }
  g_previous_action = current;
  struct sigaction ours;
  memset(&ours, 0, sizeof ours);
  ours.sa_sigaction = modhost_sigchld_handler;
  sigemptyset(&ours.sa_mask);
  // SA_NOCLDSTOP unless the host's own handler asked for stop/continue notifications: then we keep
  // them coming for it (our watcher only looks for exits and ignores the extra wake-ups).
  bool host_wants_stops = (current.sa_flags & SA_SIGINFO) ? current.sa_sigaction != nullptr
                          : (current.sa_handler != SIG_DFL && current.sa_handler != SIG_IGN);
  host_wants_stops = host_wants_stops && !(current.sa_flags & SA_NOCLDSTOP);
  ours.sa_flags = SA_RESTART | SA_SIGINFO | (host_wants_stops ? 0 : SA_NOCLDSTOP);
  // A host that had SIGCHLD set to SIG_IGN (often inherited through exec) loses auto-reaping of
  // its own children from now on; see the README's Gotchas.
  if (current.sa_handler == SIG_IGN && !(current.sa_flags & SA_SIGINFO)) {
    g_previous_action.sa_handler = SIG_DFL;
  }
  if (::sigaction(SIGCHLD, &ours, nullptr) != 0) {
    return Error::from_os(errno, "cannot install the SIGCHLD handler");
  }
  pthread_atfork(before_fork, after_fork_in_parent, after_fork_in_child);
  g_handler_installed = true;
  return ok_result();
}

ExitWatcher& watcher() noexcept { return *g_watcher.load(std::memory_order_acquire); }

}  // namespace

Result<void> ensure_exit_watcher() {
  if (g_watcher.load(std::memory_order_acquire) == nullptr) {
    std::lock_guard<std::mutex> lock(creation_mutex());
    if (!g_handler_installed) {
      Result<void> r = install_handler_locked();
      if (!r) return r;
    }
    if (g_watcher.load(std::memory_order_relaxed) == nullptr) {
      ExitWatcher* w = ExitWatcher::create();
      if (w == nullptr) return Error::from_os(errno, "cannot start the exit watcher");
      g_watcher.store(w, std::memory_order_release);
    }
  }
  return check_exit_notification();
}

Result<void> check_exit_notification() {
  if (g_watcher.load(std::memory_order_acquire) == nullptr) return ok_result();
  struct sigaction current;
  if (::sigaction(SIGCHLD, nullptr, &current) != 0) {
    return Error::from_os(errno, "cannot read the SIGCHLD disposition");
  }
  if (!(current.sa_flags & SA_SIGINFO) && current.sa_handler == SIG_IGN) {
    return Error(errc::host_contract,
                 "SIGCHLD was set to SIG_IGN after modhost installed its handler; child exits "
                 "can no longer be observed");
  }
  if (!(current.sa_flags & SA_SIGINFO) || current.sa_sigaction != modhost_sigchld_handler) {
    return Error(errc::host_contract,
                 "the SIGCHLD handler modhost installed was replaced; child exits can no longer "
                 "be observed (a host handler must be installed before modhost's first spawn)");
  }
  if (current.sa_flags & SA_NOCLDWAIT) {
    return Error(errc::host_contract,
                 "SA_NOCLDWAIT was set on SIGCHLD; child exit statuses are discarded by the OS");
  }
  return ok_result();
}

void watch_child(std::shared_ptr<ProcessState> state) { watcher().add(std::move(state)); }

// The two functions below may be reached through a ChildProcess inherited by a forked process
// that has not spawned anything yet (so has no watcher); that child is not its own anyway.
int signal_child(ProcessState& state, int sig) noexcept {
  ExitWatcher* w = g_watcher.load(std::memory_order_acquire);
  return w == nullptr ? 0 : w->signal(state, sig);
}

void reap_directly(ProcessState& state) noexcept {
  ExitWatcher* w = g_watcher.load(std::memory_order_acquire);
  if (w != nullptr) w->reap_directly(state);
}

}  // namespace modhost::detail
