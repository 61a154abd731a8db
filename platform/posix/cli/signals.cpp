// POSIX half of src/cli/signals.hpp. The handler only writes two bytes to a self-pipe (the
// signal number and whether a process sent it); a thread reads them and runs the callback, so
// the callback may do anything. Handlers are used, never SIG_IGN, because an ignored disposition
// would be inherited through exec by every process the tool starts, while a caught signal is
// reset to its default there.

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include <atomic>
#include <string>
#include <thread>

#include "cli/signals.hpp"

namespace modhost::cli {
namespace {

// The write end of the self-pipe, read by the handler (-1 when no watcher exists). An atomic int
// is lock-free, hence safe to read in a signal handler.
std::atomic<int> g_signal_pipe_write{-1};

constexpr int kCaught[] = {SIGINT, SIGTERM, SIGHUP, SIGUSR1, SIGUSR2, SIGPIPE};
constexpr unsigned char kStopByte = 0;  // sent by the destructor; no signal has number 0

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

}  // namespace
}  // namespace modhost::cli

// Async-signal-safe: an atomic load, one write of two bytes (below PIPE_BUF, so never split), and
// errno saved and restored so the interrupted code never sees a changed errno. A full pipe (EAGAIN:
// hundreds of signals unread) drops the report, which is harmless: the pending ones do the job.
extern "C" void modhost_cli_on_signal(int sig, siginfo_t* info, void*) {
  if (sig == SIGPIPE) return;  // Swallowed: the failing write reports EPIPE instead.
  int saved = errno;
  int fd = modhost::cli::g_signal_pipe_write.load();
  if (fd >= 0) {
    bool by_process = info != nullptr && (info->si_code == SI_USER || info->si_code == SI_QUEUE
#ifdef SI_TKILL
                                          || info->si_code == SI_TKILL
#endif
                                          );
    unsigned char msg[2] = {static_cast<unsigned char>(sig), static_cast<unsigned char>(by_process)};
    ssize_t n = ::write(fd, msg, sizeof msg);
    (void)n;
  }
  errno = saved;
}

namespace modhost::cli {
namespace {

class PosixSignalWatcher final : public SignalWatcher {
 public:
  PosixSignalWatcher(int read_fd, int write_fd, std::function<void(const SignalEvent&)> callback)
      : read_fd_(read_fd), write_fd_(write_fd), callback_(std::move(callback)) {}

  ~PosixSignalWatcher() override {
    for (std::size_t i = 0; i < sizeof kCaught / sizeof kCaught[0]; ++i) {
      if (installed_[i]) ::sigaction(kCaught[i], &previous_[i], nullptr);
    }
    g_signal_pipe_write.store(-1);
    if (thread_.joinable()) {
      unsigned char msg[2] = {kStopByte, 0};
      ssize_t n;
      do {
        n = ::write(write_fd_, msg, sizeof msg);
      } while (n < 0 && errno == EINTR);
      thread_.join();
    }
    ::close(read_fd_);
    ::close(write_fd_);
  }

  Result<void> install() {
    g_signal_pipe_write.store(write_fd_);
    thread_ = std::thread([this] { loop(); });
    for (std::size_t i = 0; i < sizeof kCaught / sizeof kCaught[0]; ++i) {
      struct sigaction sa {};
      sa.sa_sigaction = &modhost_cli_on_signal;
      // SA_RESTART keeps the tool's own blocking calls from failing with EINTR.
      sa.sa_flags = SA_SIGINFO | SA_RESTART;
      sigemptyset(&sa.sa_mask);
      if (::sigaction(kCaught[i], &sa, &previous_[i]) != 0) {
        return Error::from_os(errno, "sigaction(" + std::string(signal_number_name(kCaught[i])) + ")");
      }
      installed_[i] = true;
    }
    return ok_result();
  }

 private:
  void loop() {
    for (;;) {
      unsigned char msg[2];
      std::size_t got = 0;
      while (got < sizeof msg) {
        ssize_t n = ::read(read_fd_, msg + got, sizeof msg - got);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return;
        got += static_cast<std::size_t>(n);
      }
      if (msg[0] == kStopByte) return;
      SignalEvent event;
      if (!to_signal(msg[0], event.signal)) continue;
      event.sent_by_process = msg[1] != 0;
      callback_(event);
    }
  }

  int read_fd_;
  int write_fd_;
  std::function<void(const SignalEvent&)> callback_;
  std::thread thread_;
  struct sigaction previous_[sizeof kCaught / sizeof kCaught[0]] {};
  bool installed_[sizeof kCaught / sizeof kCaught[0]] = {};
};

Result<void> send(ProcessId target, int sig) noexcept {
  if (::kill(static_cast<pid_t>(target), sig) != 0) {
    return Error::from_os(errno, "kill(" + std::to_string(target) + ", " +
                                     signal_number_name(sig) + ")");
  }
  return ok_result();
}

}  // namespace

int signal_exit_code(Signal signal) noexcept { return 128 + to_number(signal); }

Result<std::unique_ptr<SignalWatcher>> SignalWatcher::start(
    std::function<void(const SignalEvent&)> callback) {
  if (g_signal_pipe_write.load() >= 0) {
    return Error(errc::invalid_argument, "a signal watcher is already running");
  }
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) return Error::from_os(errno, "pipe2");
  // Only the handler's end is non-blocking: a handler must never block, the reader should.
  ::fcntl(fds[1], F_SETFL, ::fcntl(fds[1], F_GETFL) | O_NONBLOCK);
  auto watcher = std::make_unique<PosixSignalWatcher>(fds[0], fds[1], std::move(callback));
  Result<void> r = watcher->install();
  if (!r) return r.error();
  return std::unique_ptr<SignalWatcher>(std::move(watcher));
}

Result<void> signal_group(ProcessId pid, Signal signal) noexcept {
  if (pid <= 0) return Error(errc::invalid_argument, "no process id");
  return send(-pid, to_number(signal));
}

Result<void> signal_process(ProcessId pid, Signal signal) noexcept {
  if (pid <= 0) return Error(errc::invalid_argument, "no process id");
  return send(pid, to_number(signal));
}

}  // namespace modhost::cli
