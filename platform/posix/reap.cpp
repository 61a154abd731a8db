// Reaping POSIX children: the one probe every path that learns of an exit goes through (the
// watcher, a thread waiting in place on the pidfd, poll_exit), signals sent only while the child
// is not reaped, and the in-place wait on the pidfd.

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#if defined(__linux__)
#include <sys/eventfd.h>
#endif

#include <chrono>
#include <cstdint>

#include "fd_util.hpp"
#include "pidfd.hpp"
#include "posix_process.hpp"

namespace modhost::detail {

namespace {

int waitid_retry(pid_t pid, siginfo_t& info, int options) noexcept {
  memset(&info, 0, sizeof info);
  int r;
  do {
    r = ::waitid(P_PID, static_cast<id_t>(pid), &info, options);
  } while (r < 0 && errno == EINTR);
  return r;
}

ExitStatus decode(const siginfo_t& info) noexcept {
  if (info.si_code == CLD_EXITED) return ExitStatus::exited(info.si_status);
  return ExitStatus::signaled(info.si_status);
}

constexpr const char* kLostReason =
    "it was reaped by someone else (waitpid(-1) or wait() in the host, or the kernel because the "
    "host ignores SIGCHLD or set SA_NOCLDWAIT)";

// The probe, run under the state's mutex (ProcessState::settle). waitid(WNOWAIT) first: it tells
// that the child exited while leaving it a zombie, so its pid (and process group id) cannot be
// reused yet. If a stop is in progress the group is killed at that moment, which is the only
// moment it is both necessary (the leader is gone, grandchildren may be left) and safe (the id
// still names this group); then the leader is reaped.
Probe probe_and_reap(ProcessState& state, NativeProcess& native) noexcept {
  const pid_t pid = static_cast<pid_t>(state.pid());
  siginfo_t info;
  if (waitid_retry(pid, info, WEXITED | WNOHANG | WNOWAIT) != 0) {
    // ECHILD: not our child any more. The kernel may still know how it ended (a host that ignores
    // SIGCHLD has its children reaped by the kernel); the group cannot be killed safely now.
    native.reaped = true;
    note_reaped(pid);
    ExitStatus status;
    if (pidfd_exit_status(native.pidfd, status)) return Probe::exited(status);
    return Probe::lost(kLostReason);
  }
  if (info.si_pid == 0) return Probe::running();
  if (native.has_group && state.stop_in_progress()) ::kill(-pid, SIGKILL);
  int r = waitid_retry(pid, info, WEXITED | WNOHANG);
  native.reaped = true;
  // Only now, after the reap, may a host reap a process with this id (owns_child).
  note_reaped(pid);
  if (r != 0 || info.si_pid == 0) return Probe::lost(kLostReason);
  return Probe::exited(decode(info));
}

// A close-on-exec wake-up descriptor for one in-place wait: an eventfd on Linux (pidfds exist
// only there). -1 when it cannot be made (the caller then waits on the condition variable).
int make_wake_fd() noexcept {
#if defined(__linux__)
  return above_stdio(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
#else
  return -1;
#endif
}

void signal_wake_fd(int fd) noexcept {
  std::uint64_t one = 1;
  ssize_t ignored = ::write(fd, &one, sizeof one);
  (void)ignored;
}

// Time left until `deadline`, for ppoll; false when it has passed. A far deadline is capped at a
// day (the loop simply waits again).
bool time_left(std::chrono::steady_clock::time_point deadline, struct timespec& ts) noexcept {
  auto left = deadline - std::chrono::steady_clock::now();
  if (left <= std::chrono::steady_clock::duration::zero()) return false;
  auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(left).count();
  constexpr long long kDay = 24LL * 3600 * 1000000000LL;
  if (ns > kDay) ns = kDay;
  ts.tv_sec = static_cast<time_t>(ns / 1000000000LL);
  ts.tv_nsec = static_cast<long>(ns % 1000000000LL);
  return true;
}

}  // namespace

bool reap_child(ProcessState& state) noexcept {
  NativeProcess& native = *state.native();
  // A copy inherited through fork(): the child belongs to the process that spawned it.
  if (native.owner != ::getpid()) return state.finished();
  bool done = state.settle([&] { return probe_and_reap(state, native); });
  if (done) forget_child(state);
  return done;
}

SignalOutcome signal_child(ProcessState& state, int sig, int& error) noexcept {
  NativeProcess& native = *state.native();
  if (native.owner != ::getpid()) return SignalOutcome::NotRunning;
  error = 0;
  const pid_t pid = static_cast<pid_t>(state.pid());
  bool running = state.with_running([&] {
    if (native.reaped) return;
    int r = ::kill(native.has_group ? -pid : pid, sig);
    // ESRCH for the group while the leader is not reaped: the group does not exist yet (an
    // emulator that does not suspend the parent of a vfork-style spawn lets us get here before
    // the child's setpgid) or no more (every member gone but the zombie leader). The pid itself
    // is still ours, so it is signalled instead.
    if (r != 0 && errno == ESRCH && native.has_group) r = ::kill(pid, sig);
    if (r != 0 && errno != ESRCH) error = errno;
  });
  if (!running) return SignalOutcome::NotRunning;
  return error == 0 ? SignalOutcome::Sent : SignalOutcome::Failed;
}

void reap_directly(ProcessState& state) noexcept {
  NativeProcess& native = *state.native();
  if (native.owner != ::getpid()) return;
  const pid_t pid = static_cast<pid_t>(state.pid());
  state.settle([&] {
    siginfo_t info;
    int r = waitid_retry(pid, info, WEXITED);
    native.reaped = true;
    note_reaped(pid);
    if (r != 0 || info.si_pid == 0) return Probe::lost(kLostReason);
    return Probe::exited(decode(info));
  });
  forget_child(state);
}

void poll_exit(ProcessState& state, bool /*overdue*/) noexcept {
  NativeProcess& native = *state.native();
  if (state.finished()) return;
  if (native.owner != ::getpid()) {
    // A copy inherited through fork(): its child is not ours to wait for; a wait on it ends with
    // this reason instead of never.
    state.settle([] {
      return Probe::lost("it belongs to the process that spawned it (this copy was inherited "
                         "through fork)");
    });
    return;
  }
  // On the SIGCHLD path an exit found here may be one that nobody reported (the host keeps
  // SIGCHLD from the handler); the watcher's once-a-second look covers the others.
  reap_child(state);
}

InPlaceWait wait_exit_in_place(ProcessState& state, std::chrono::steady_clock::time_point deadline,
                               const CancellationToken* cancel) noexcept {
  NativeProcess& native = *state.native();
  if (native.pidfd < 0 || native.owner != ::getpid()) return InPlaceWait::Unavailable;
  if (!state.begin_in_place_wait()) return InPlaceWait::Unavailable;
  struct Release {
    ProcessState& state;
    ~Release() { state.end_in_place_wait(); }
  } release{state};

  int wake = -1;
  CancellationRegistration registration;
  if (cancel != nullptr) {
    wake = make_wake_fd();
    if (wake < 0) return InPlaceWait::Unavailable;
    registration = cancel->on_cancel([wake] { signal_wake_fd(wake); });
  }
  // The watcher lets go of the pidfd meanwhile, so the exit wakes this thread alone.
  set_watcher_polls(state, false);
  InPlaceWait result = InPlaceWait::Unavailable;
  bool look = true;  // at the start, and whenever ppoll says the pidfd is readable
  for (;;) {
    if (look ? reap_child(state) : state.finished()) {
      result = InPlaceWait::Exited;
      break;
    }
    if (cancel != nullptr && cancel->is_cancelled()) {
      result = InPlaceWait::Cancelled;
      break;
    }
    struct timespec ts;
    const bool forever = deadline == std::chrono::steady_clock::time_point::max();
    if (!forever && !time_left(deadline, ts)) {
      result = InPlaceWait::TimedOut;
      break;
    }
    struct pollfd fds[2] = {{native.pidfd, POLLIN, 0}, {wake, POLLIN, 0}};
    int n = ::ppoll(fds, wake >= 0 ? 2 : 1, forever ? nullptr : &ts, nullptr);
    if (n < 0 && errno != EINTR) break;  // ENOMEM: let the caller wait on the condition variable.
    look = n > 0 && (fds[0].revents & (POLLIN | POLLHUP | POLLERR)) != 0;
    // A readable pidfd is settled at the top of the loop; a readable wake-up is a cancel (checked
    // there too, so a stray write to the eventfd cannot pass for one).
    if (n > 0 && (fds[1].revents & POLLIN) != 0) {
      std::uint64_t count;
      ssize_t ignored = ::read(wake, &count, sizeof count);
      (void)ignored;
    }
  }
  // Not exited (timeout, cancel): the watcher looks after the child again.
  if (result != InPlaceWait::Exited) set_watcher_polls(state, true);
  // The registration goes first: dropping it waits for a callback that may be writing to `wake`.
  registration.reset();
  close_fd(wake);
  return result;
}

}  // namespace modhost::detail
