// The POSIX exit watcher: one thread for the whole process that learns of every child's exit and
// settles it (reap.cpp), so an exit is published even when nobody waits for it (the backend's
// poll thread hears of it through the state's exit listener).
//
// Two mechanisms, one thread:
// - pidfds (Linux >= 5.3): each child's pidfd is in one epoll set; it turns readable when the
//   child exits, whoever reaps it. No signal handler is involved at all, so the host may install,
//   ignore or block SIGCHLD as it likes.
// - the SIGCHLD self-pipe (kernels without pidfds, other Unixes, and the tests, which force it):
//   a handler installed at the first such spawn, chaining to the host's previous handler, writes
//   one byte to a non-blocking self-pipe that is in the same epoll set (or polled alone where
//   there is no epoll). The watcher then asks waitid(P_ALL, WNOWAIT) which child has exited,
//   without reaping anything, and settles it if it is one of ours; only when that answer is a
//   child of the host (still unreaped) does it look at each of its own children in turn. So an
//   exit costs the same with one child alive or five hundred. Never waitpid(-1).
//
// Host contract on the SIGCHLD path (README "Gotchas"): the host must not afterwards set SIGCHLD to
// SIG_IGN (the kernel would reap our children and their statuses would be lost), set
// SA_NOCLDWAIT, or replace the handler without chaining to the previous one; modhost detects these
// at every spawn and whenever a wait is quiet, and reports errc::host_contract instead of hanging.
// A host that blocks SIGCHLD in every thread (or takes it with sigwait) keeps the handler from
// running: a quiet wait then finds the exit itself (poll_exit). And while it has SIGCHLD-path
// children the watcher also looks at them once a second, whatever the host does: SIGCHLD is one
// process-wide signal, and one whose handler never runs (a thread that blocks it, a sanitizer
// that defers its delivery) must cost at most a second, never an exit that goes unreported.

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#if defined(__linux__)
#include <sys/epoll.h>
#else
#include <poll.h>
#endif

#include <atomic>
#include <chrono>
#include <mutex>
#include <thread>
#include <unordered_map>
#include <utility>
#include <vector>

#include "fd_util.hpp"
#include "posix_process.hpp"

namespace modhost::detail {
namespace {

// The host's handler from before ours, written once before ours is installed and only read
// afterwards (by the handler), so the handler needs no lock.
struct sigaction g_previous_action;
// The self-pipe's write end, or -1. Atomic because the handler reads it on any thread while a
// forked child replaces it (see after_fork_in_child).
std::atomic<int> g_wake_fd{-1};

// True when `action` runs a function of the host's (not SIG_DFL, not SIG_IGN). Async-signal-safe:
// the handler asks it before chaining, and the installation before keeping stop notifications.
bool runs_a_function(const struct sigaction& action) noexcept {
  if (action.sa_flags & SA_SIGINFO) return action.sa_sigaction != nullptr;
  return action.sa_handler != SIG_DFL && action.sa_handler != SIG_IGN &&
         action.sa_handler != nullptr;
}

}  // namespace
}  // namespace modhost::detail

// The one global-scope symbol: a C-linkage signal handler. Async-signal-safe: it only calls
// write(2) and the previous handler, and keeps errno intact for the code it interrupted.
extern "C" void modhost_sigchld_handler(int sig, siginfo_t* info, void* context) {
  using modhost::detail::g_previous_action;
  int saved_errno = errno;
  int fd = modhost::detail::g_wake_fd.load(std::memory_order_relaxed);
  if (fd >= 0) modhost::detail::write_wake_byte(fd);
  if (modhost::detail::runs_a_function(g_previous_action)) {
    if (g_previous_action.sa_flags & SA_SIGINFO) {
      g_previous_action.sa_sigaction(sig, info, context);
    } else {
      g_previous_action.sa_handler(sig);
    }
  }
  errno = saved_errno;
}

namespace modhost::detail {
namespace {

// How often the watcher looks at its SIGCHLD-path children without a SIGCHLD.
constexpr int kDegradedScanMs = 1000;

#if defined(__linux__)
// The epoll key of the self-pipe; pidfds are keyed by their child's pid, which is never 0.
constexpr std::uint64_t kPipeKey = 0;

// Adds `fd` to the epoll set, watched for readability with `key` as its event's data, or (op
// EPOLL_CTL_DEL) takes it out. Returns epoll_ctl's result.
int epoll_control(int epoll_fd, int op, int fd, std::uint64_t key) noexcept {
  struct epoll_event ev {};
  ev.events = EPOLLIN;
  ev.data.u64 = key;
  return ::epoll_ctl(epoll_fd, op, fd, &ev);
}
#endif

// After a wait that failed: only EINTR is expected (every signal is blocked in the watcher, but a
// debugger may interrupt it); on anything else, back off instead of spinning.
void back_off_unless_interrupted() noexcept {
  if (errno != EINTR) std::this_thread::sleep_for(std::chrono::milliseconds(10));
}

class ExitWatcher {
  // A child whose exit is not published yet; `polled`: its pidfd is in the epoll set.
  struct Entry {
    std::shared_ptr<ProcessState> state;
    bool polled = false;
  };
  using Children = std::unordered_map<pid_t, Entry>;

 public:
  // Creates the self-pipe, the epoll set and the thread.
  static Result<ExitWatcher*> create() {
    int fds[2];
    if (!open_wake_pipe(fds)) return Error::from_os(errno, "cannot create the exit watcher's pipe");
    int epoll_fd = -1;  // Stays -1 without epoll: the pipe is then polled alone.
#if defined(__linux__)
    epoll_fd = above_stdio(::epoll_create1(EPOLL_CLOEXEC));
    if (epoll_fd >= 0 && epoll_control(epoll_fd, EPOLL_CTL_ADD, fds[0], kPipeKey) != 0) {
      int err = errno;
      close_fd(epoll_fd);
      epoll_fd = -1;
      errno = err;
    }
    if (epoll_fd < 0) {
      int err = errno;
      close_fd(fds[0]);
      close_fd(fds[1]);
      return Error::from_os(err, "cannot create the exit watcher's epoll set");
    }
#endif
    auto* watcher = new ExitWatcher(fds[0], fds[1], epoll_fd);
    Result<Thread> thread = Thread::start([watcher] { watcher->run(); }, "the exit watcher thread");
    if (!thread) {
      delete watcher;
      return thread.error();
    }
    // The watcher lives as long as the process: never joined, never destroyed (no static
    // destructor may race with it at exit()).
    thread->detach();
    return watcher;
  }

  // The descriptors, for after_fork_in_child (constant for the watcher's life).
  int read_fd() const noexcept { return read_fd_; }
  int write_fd() const noexcept { return write_fd_; }
  int epoll_fd() const noexcept { return epoll_fd_; }

  Result<void> add(std::shared_ptr<ProcessState> state) {
    const pid_t pid = static_cast<pid_t>(state->pid());
    const int pidfd = state->native()->pidfd;
    {
      std::lock_guard<std::mutex> lock(mutex_);
#if defined(__linux__)
      if (pidfd >= 0 &&
          epoll_control(epoll_fd_, EPOLL_CTL_ADD, pidfd, static_cast<std::uint64_t>(pid)) != 0) {
        return Error::from_os(errno, "cannot add the child's pidfd to the exit watcher");
      }
#endif
      if (pidfd < 0) ++sigchld_children_;
      children_[pid] = Entry{state, pidfd >= 0};
    }
    if (pidfd < 0) {
      // A watcher with no SIGCHLD-path child sleeps without a timeout: it must start looking
      // once a second again.
      wake();
      // The child may have exited, and its SIGCHLD been consumed by a scan, before it was in the
      // map: look once more now that it is. (A pidfd stays readable.)
      reap_child(*state);
    }
    return ok_result();
  }

  void forget(const ProcessState& state) noexcept {
    std::shared_ptr<ProcessState> dropped;  // released after the mutex: it may be the last owner
    std::lock_guard<std::mutex> lock(mutex_);
    auto it = entry_of_locked(state);
    if (it == children_.end()) return;
    const int pidfd = state.native()->pidfd;
    set_polled_locked(it->second, false);
    if (pidfd < 0) --sigchld_children_;
    dropped = std::move(it->second.state);
    children_.erase(it);
  }

  // While a thread waits in place on a child's pidfd, the pidfd leaves the epoll set: the exit
  // then wakes that thread alone, instead of it and this one, which would only contend for the
  // child's mutex to find the exit already settled. Level-triggered epoll reports an exit that
  // happened while the pidfd was out as soon as it is back.
  void set_polled(const ProcessState& state, bool polled) noexcept {
    std::lock_guard<std::mutex> lock(mutex_);
    auto it = entry_of_locked(state);
    if (it != children_.end()) set_polled_locked(it->second, polled);
  }

 private:
  ExitWatcher(int read_fd, int write_fd, int epoll_fd) noexcept
      : read_fd_(read_fd), write_fd_(write_fd), epoll_fd_(epoll_fd) {}

  void wake() noexcept { write_wake_byte(write_fd_); }

  int timeout_ms() {
    std::lock_guard<std::mutex> lock(mutex_);
    return sigchld_children_ > 0 ? kDegradedScanMs : -1;
  }

  [[noreturn]] void run() {
#if defined(__linux__)
    struct epoll_event events[64];
    for (;;) {
      int n = ::epoll_wait(epoll_fd_, events, 64, timeout_ms());
      if (n < 0) {
        back_off_unless_interrupted();
        continue;
      }
      if (n == 0) scan_sigchld_children();
      for (int i = 0; i < n; ++i) {
        if (events[i].data.u64 == kPipeKey) {
          after_sigchld();
        } else {
          settle_pid(static_cast<pid_t>(events[i].data.u64));
        }
      }
    }
#else
    for (;;) {
      struct pollfd p = {read_fd_, POLLIN, 0};
      int n = ::poll(&p, 1, timeout_ms());
      if (n < 0) {
        back_off_unless_interrupted();
      } else if (n == 0) {
        scan_sigchld_children();
      } else {
        after_sigchld();
      }
    }
#endif
  }

  // The entry of `state` itself, or children_.end(): a child of the same pid spawned after this one
  // was reaped is someone else's entry. Called with mutex_ held.
  Children::iterator entry_of_locked(const ProcessState& state) {
    auto it = children_.find(static_cast<pid_t>(state.pid()));
    if (it != children_.end() && it->second.state.get() != &state) return children_.end();
    return it;
  }

  std::shared_ptr<ProcessState> find(pid_t pid) {
    std::lock_guard<std::mutex> lock(mutex_);
    auto it = children_.find(pid);
    return it == children_.end() ? nullptr : it->second.state;
  }

  void settle_pid(pid_t pid) {
    if (std::shared_ptr<ProcessState> state = find(pid)) reap_child(*state);
  }

  // After a SIGCHLD (a byte in the self-pipe, drained first): which child exited? waitid(P_ALL,
  // WNOWAIT) names one zombie child without reaping it. Ours are settled one by one (each costs
  // the same however many are alive); a zombie of the host's hides the others behind it, and only
  // then is every child looked at.
  void after_sigchld() {
    drain_wake_pipe(read_fd_);
    std::size_t limit;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      limit = children_.size() + 1;
    }
    for (std::size_t round = 0;; ++round) {
      siginfo_t info;
      memset(&info, 0, sizeof info);
      int r;
      do {
        r = ::waitid(P_ALL, 0, &info, WEXITED | WNOHANG | WNOWAIT);
      } while (r < 0 && errno == EINTR);
      if (r != 0 || info.si_pid == 0) return;  // ECHILD or no zombie: nothing more to settle.
      std::shared_ptr<ProcessState> state = find(info.si_pid);
      if (state == nullptr || round > limit || !reap_child(*state)) {
        scan_sigchld_children();
        return;
      }
    }
  }

  void scan_sigchld_children() {
    std::vector<std::shared_ptr<ProcessState>> all;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      all.reserve(static_cast<std::size_t>(sigchld_children_));
      for (const auto& kv : children_) {
        if (kv.second.state->native()->pidfd < 0) all.push_back(kv.second.state);
      }
    }
    // Outside the mutex: settling runs exit listeners, which may call back into the watcher.
    for (const auto& state : all) reap_child(*state);
  }

  const int read_fd_;
  const int write_fd_;
  const int epoll_fd_;
  std::mutex mutex_;

  void set_polled_locked(Entry& entry, bool polled) noexcept {
#if defined(__linux__)
    const int pidfd = entry.state->native()->pidfd;
    if (pidfd < 0 || entry.polled == polled) return;
    // ADD fails only for want of kernel memory: the in-place waiter has seen the exit by then
    // or will settle it, and any later wait polls for it itself.
    if (epoll_control(epoll_fd_, polled ? EPOLL_CTL_ADD : EPOLL_CTL_DEL, pidfd,
                      static_cast<std::uint64_t>(entry.state->pid())) == 0) {
      entry.polled = polled;
    }
#else
    (void)entry;
    (void)polled;
#endif
  }

  Children children_;  // Guarded by mutex_: exits not yet published.
  int sigchld_children_ = 0;  // Guarded by mutex_: entries without a pidfd.
};

// Guards creation of the watcher. A heap object never destroyed, so no static destructor can race
// with a watcher thread that is still running at exit().
std::mutex& creation_mutex() {
  static std::mutex* m = new std::mutex;
  return *m;
}
std::atomic<ExitWatcher*> g_watcher{nullptr};
std::atomic<bool> g_handler_installed{false};  // Written under creation_mutex().
bool g_at_fork_registered = false;             // Guarded by creation_mutex().

// pthread_atfork handlers. A child of fork() has only the forking thread: the watcher thread is
// gone, and the old watcher's mutex may be held forever. The child therefore forgets the old
// watcher (leaking the object: destroying a possibly locked mutex is undefined, but closing its
// descriptors is not) and the next spawn in the child starts a fresh one. The SIGCHLD handler, if
// installed, stays installed across fork.
void before_fork() { creation_mutex().lock(); }
void after_fork_in_parent() { creation_mutex().unlock(); }
void after_fork_in_child() {
  ExitWatcher* old = g_watcher.exchange(nullptr);
  g_wake_fd.store(-1);
  if (old != nullptr) {
    close_fd(old->read_fd());
    close_fd(old->write_fd());
    close_fd(old->epoll_fd());
  }
  creation_mutex().unlock();
}

// Reads the current SIGCHLD disposition into `current`.
Result<void> read_sigchld_action(struct sigaction& current) {
  if (::sigaction(SIGCHLD, nullptr, &current) != 0) {
    return Error::from_os(errno, "cannot read the SIGCHLD disposition");
  }
  return ok_result();
}

Result<void> install_handler_locked() {
  struct sigaction current;
  if (Result<void> r = read_sigchld_action(current); !r) return r;
  g_previous_action = current;
  struct sigaction ours;
  memset(&ours, 0, sizeof ours);
  ours.sa_sigaction = modhost_sigchld_handler;
  sigemptyset(&ours.sa_mask);
  // SA_NOCLDSTOP unless the host's own handler asked for stop/continue notifications: then we keep
  // them coming for it (our watcher only looks for exits and ignores the extra wake-ups).
  const bool host_wants_stops = runs_a_function(current) && !(current.sa_flags & SA_NOCLDSTOP);
  ours.sa_flags = SA_RESTART | SA_SIGINFO | (host_wants_stops ? 0 : SA_NOCLDSTOP);
  // A host that had SIGCHLD set to SIG_IGN (often inherited through exec) loses auto-reaping of
  // its own children from now on; see the README's Gotchas.
  if (current.sa_handler == SIG_IGN && !(current.sa_flags & SA_SIGINFO)) {
    g_previous_action.sa_handler = SIG_DFL;
  }
  if (::sigaction(SIGCHLD, &ours, nullptr) != 0) {
    return Error::from_os(errno, "cannot install the SIGCHLD handler");
  }
  g_handler_installed.store(true, std::memory_order_release);
  return ok_result();
}

Result<void> check_sigchld_contract() {
  struct sigaction current;
  if (Result<void> r = read_sigchld_action(current); !r) return r;
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

}  // namespace

Result<void> prepare_exit_watch(bool sigchld) {
  if (g_watcher.load(std::memory_order_acquire) == nullptr ||
      (sigchld && !g_handler_installed.load(std::memory_order_acquire))) {
    std::lock_guard<std::mutex> lock(creation_mutex());
    if (g_watcher.load(std::memory_order_relaxed) == nullptr) {
      Result<ExitWatcher*> created = ExitWatcher::create();
      if (!created) return created.error();
      g_wake_fd.store((*created)->write_fd(), std::memory_order_release);
      g_watcher.store(*created, std::memory_order_release);
      if (!g_at_fork_registered) {
        ::pthread_atfork(before_fork, after_fork_in_parent, after_fork_in_child);
        g_at_fork_registered = true;
      }
    }
    if (sigchld && !g_handler_installed.load(std::memory_order_relaxed)) {
      if (Result<void> r = install_handler_locked(); !r) return r;
    }
  }
  return sigchld ? check_sigchld_contract() : ok_result();
}

Result<void> check_exit_notification(const ProcessState& state) {
  // A child with a pidfd needs nothing from the host's signal setup.
  if (state.native()->pidfd >= 0) return ok_result();
  if (!g_handler_installed.load(std::memory_order_acquire)) return ok_result();
  return check_sigchld_contract();
}

Result<void> watch_child(std::shared_ptr<ProcessState> state) {
  return g_watcher.load(std::memory_order_acquire)->add(std::move(state));
}

// The two functions below may be reached through a ChildProcess inherited by a forked process
// that has not spawned anything yet (so has no watcher); that child is not its own anyway.
void forget_child(const ProcessState& state) noexcept {
  ExitWatcher* w = g_watcher.load(std::memory_order_acquire);
  if (w != nullptr) w->forget(state);
}

void set_watcher_polls(const ProcessState& state, bool polled) noexcept {
  ExitWatcher* w = g_watcher.load(std::memory_order_acquire);
  if (w != nullptr) w->set_polled(state, polled);
}

}  // namespace modhost::detail
