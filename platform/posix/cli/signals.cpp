// POSIX half of src/cli/signals.hpp. There is no signal handler: the watcher blocks the signals it
// takes in the thread that starts it, before the tool has any other thread, so every thread
// created later inherits the mask (the library's own threads block every signal anyway). The
// kernel then keeps a process-directed signal pending until the watcher's thread takes it with
// sigwaitinfo(), and no thread is ever interrupted by one. (The old design, handlers writing to a
// self-pipe, let a signal interrupt the watcher's thread in read(): TSan defers a handler until
// the interrupted call returns, and with SA_RESTART the read never did, so the tool hung.)

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <time.h>
#include <unistd.h>

#include <atomic>
#include <string>
#include <thread>

#include "cli/signals.hpp"

namespace modhost::cli {
namespace {

// What the watcher takes: the five signals it reports, and SIGPIPE, which it only swallows. With
// SIGPIPE blocked, a write to a closed pipe fails with EPIPE on every thread instead of ending the
// tool, and the SIGPIPE it raises stays pending on the writing thread, where it does no harm.
constexpr int kTaken[] = {SIGINT, SIGTERM, SIGHUP, SIGUSR1, SIGUSR2, SIGPIPE};
constexpr std::size_t kTakenCount = sizeof kTaken / sizeof kTaken[0];

// Sent by the destructor to the watcher's thread to wake it; any signal of kTaken would do.
constexpr int kWakeSignal = SIGUSR2;

// True while a watcher exists: the mask and dispositions are per process, so one at a time.
std::atomic<bool> g_running{false};

sigset_t taken_set() noexcept {
  sigset_t set;
  sigemptyset(&set);
  for (int sig : kTaken) sigaddset(&set, sig);
  return set;
}

bool to_signal(int number, Signal& out) noexcept {
  switch (number) {
    case SIGINT: out = Signal::Interrupt; return true;
    case SIGTERM: out = Signal::Terminate; return true;
    case SIGHUP: out = Signal::Hangup; return true;
    case SIGUSR1: out = Signal::User1; return true;
    case SIGUSR2: out = Signal::User2; return true;
    default: return false;
  }
}

int to_number(Signal signal) noexcept {
  switch (signal) {
    case Signal::Interrupt: return SIGINT;
    case Signal::Terminate: return SIGTERM;
    case Signal::Hangup: return SIGHUP;
    case Signal::User1: return SIGUSR1;
    case Signal::User2: return SIGUSR2;
  }
  return SIGTERM;
}

// kill(2), sigqueue(3) and tgkill(2) mark what they send; the terminal's Ctrl-C (and a SIGPIPE or
// SIGHUP raised by the kernel) carry SI_KERNEL instead.
bool sent_by_process(const siginfo_t& info) noexcept {
  return info.si_code == SI_USER || info.si_code == SI_QUEUE
#ifdef SI_TKILL
         || info.si_code == SI_TKILL
#endif
      ;
}

class PosixSignalWatcher final : public SignalWatcher {
 public:
  explicit PosixSignalWatcher(std::function<void(const SignalEvent&)> callback)
      : callback_(std::move(callback)) {}

  // Undoes start() in reverse order, whatever part of it succeeded.
  ~PosixSignalWatcher() override {
    if (thread_.joinable()) {
      // The thread sees the flag after its next wake-up: this signal, sent to it alone so that no
      // other thread can take it, or one that came first. A signal left pending on the thread
      // because it ended before taking this one goes away with the thread.
      stopping_.store(true);
      ::pthread_kill(thread_.native_handle(), kWakeSignal);
      thread_.join();
    }
    // Still blocked here: a signal pending now is discarded if its disposition goes back to
    // SIG_IGN, rather than acted upon.
    for (std::size_t i = 0; i < kTakenCount; ++i) {
      if (action_changed_[i]) ::sigaction(kTaken[i], &previous_action_[i], nullptr);
    }
    if (mask_changed_) {
      // A write to a closed pipe on this thread left a SIGPIPE pending that, unblocked, would end
      // the tool: take it first. Signals do not queue, so at most one is pending per thread, and
      // one per process.
      sigset_t pipe_only;
      sigemptyset(&pipe_only);
      sigaddset(&pipe_only, SIGPIPE);
      const struct timespec now = {0, 0};
      for (;;) {
        int taken = ::sigtimedwait(&pipe_only, nullptr, &now);
        if (taken == SIGPIPE || (taken < 0 && errno == EINTR)) continue;
        break;  // EAGAIN: none left.
      }
      // The other signals that arrived after the watcher stopped are delivered now, with the
      // dispositions the tool started with, as if no watcher had ever existed.
      ::pthread_sigmask(SIG_SETMASK, &previous_mask_, nullptr);
    }
    g_running.store(false);
  }

  Result<void> start() {
    sigset_t taken = taken_set();
    int err = ::pthread_sigmask(SIG_BLOCK, &taken, &previous_mask_);
    if (err != 0) return Error::from_os(err, "pthread_sigmask");
    mask_changed_ = true;
    // An ignored signal (nohup ignores SIGHUP) may be discarded even while it is blocked (POSIX
    // leaves it open), so the default disposition is set for the watcher's lifetime. It is never
    // acted upon, the signal being blocked everywhere, and a child gets the default anyway.
    for (std::size_t i = 0; i < kTakenCount; ++i) {
      struct sigaction current;
      if (::sigaction(kTaken[i], nullptr, &current) != 0) return os_error(kTaken[i]);
      if ((current.sa_flags & SA_SIGINFO) != 0 || current.sa_handler != SIG_IGN) continue;
      struct sigaction dfl {};
      dfl.sa_handler = SIG_DFL;
      sigemptyset(&dfl.sa_mask);
      if (::sigaction(kTaken[i], &dfl, &previous_action_[i]) != 0) return os_error(kTaken[i]);
      action_changed_[i] = true;
    }
    // The thread starts with every signal blocked, not just these: no handler (the library's
    // SIGCHLD one, say) ever runs on it, so it only ever leaves its wait with a signal it took.
    sigset_t all, mine;
    sigfillset(&all);
    ::pthread_sigmask(SIG_SETMASK, &all, &mine);
    thread_ = std::thread([this] { loop(); });
    ::pthread_sigmask(SIG_SETMASK, &mine, nullptr);
#if defined(__linux__)
    // Named here rather than by the thread itself, so the name is there once start() returns
    // (tests find the thread by it; ps and gdb show it).
    ::pthread_setname_np(thread_.native_handle(), "modhost-signals");
#endif
    return ok_result();
  }

 private:
  static Error os_error(int sig) {
    return Error::from_os(errno, "sigaction(" + signal_number_name(sig) + ")");
  }

  void loop() {
    const sigset_t taken = taken_set();
    for (;;) {
      siginfo_t info;
      int sig = ::sigwaitinfo(&taken, &info);
      if (stopping_.load()) {
        // The kernel hands a thread the signal sent to it alone (the destructor's wake-up) before
        // one sent to the process, so a stop signal may still be pending that arrived while the
        // watcher ran (a group's SIGTERM that also ended `run`'s command). It is reported rather
        // than left to take its default action once the destructor restores the mask.
        if (sig > 0 && !is_wake_up(sig, info)) report(sig, info);
        const struct timespec now = {0, 0};
        while ((sig = ::sigtimedwait(&taken, &info, &now)) > 0 || (sig < 0 && errno == EINTR)) {
          if (sig > 0 && !is_wake_up(sig, info)) report(sig, info);
        }
        return;
      }
      // EINTR: Linux ends the wait that way after a stop (SIGSTOP, then SIGCONT), handler or not.
      // No other error is possible with a valid set; one would end the thread rather than spin.
      if (sig < 0) {
        if (errno == EINTR) continue;
        return;
      }
      report(sig, info);
    }
  }

  void report(int sig, const siginfo_t& info) {
    SignalEvent event;
    if (!to_signal(sig, event.signal)) return;  // SIGPIPE: swallowed.
    event.sent_by_process = sent_by_process(info);
    callback_(event);
  }

  // The destructor's wake-up: kWakeSignal sent by this process to this thread (tgkill).
  static bool is_wake_up(int sig, const siginfo_t& info) noexcept {
    return sig == kWakeSignal && info.si_pid == ::getpid()
#ifdef SI_TKILL
           && info.si_code == SI_TKILL
#endif
        ;
  }

  std::function<void(const SignalEvent&)> callback_;
  std::thread thread_;
  std::atomic<bool> stopping_{false};
  sigset_t previous_mask_{};
  bool mask_changed_ = false;
  struct sigaction previous_action_[kTakenCount] {};
  bool action_changed_[kTakenCount] = {};
};

}  // namespace

int signal_exit_code(Signal signal) noexcept { return 128 + to_number(signal); }

Result<std::unique_ptr<SignalWatcher>> SignalWatcher::start(
    std::function<void(const SignalEvent&)> callback) {
  bool expected = false;
  if (!g_running.compare_exchange_strong(expected, true)) {
    return Error(errc::invalid_argument, "a signal watcher is already running");
  }
  // From here on the destructor resets g_running, on failure too.
  auto watcher = std::make_unique<PosixSignalWatcher>(std::move(callback));
  Result<void> r = watcher->start();
  if (!r) return r.error();
  return std::unique_ptr<SignalWatcher>(std::move(watcher));
}

int signal_number(Signal signal) noexcept { return to_number(signal); }

}  // namespace modhost::cli
