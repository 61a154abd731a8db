// POSIX operations on a running child: signals, release, and reading its pipes to the end.

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <unistd.h>

#include <string>
#include <string_view>

#include "fd_util.hpp"
#include "posix_process.hpp"

namespace modhost::detail {

void NativeProcessDeleter::operator()(NativeProcess* native) const noexcept {
  close_fd(native->pidfd);
  delete native;
}

namespace {

Error signal_error(const ProcessState& state, int sig, int err) {
  std::string_view name = signal_name(sig);
  return Error::from_os(err, "cannot send " +
                                 (name.empty() ? "signal " + std::to_string(sig) : std::string(name)) +
                                 " to process " + std::to_string(state.pid()));
}

}  // namespace

Result<void> signal_process(ProcessState& state, StopSignal signal) noexcept {
  int sig = signal == StopSignal::Kill ? SIGKILL : SIGTERM;
  int err = 0;
  // A child whose exit is published needs no signal: ok, as documented.
  if (signal_child(state, sig, err) == SignalOutcome::Failed) return signal_error(state, sig, err);
  return ok_result();
}

Result<void> send_signal(ProcessState& state, int sig) noexcept {
  int err = 0;
  switch (signal_child(state, sig, err)) {
    case SignalOutcome::Sent: return ok_result();
    case SignalOutcome::Failed: return signal_error(state, sig, err);
    case SignalOutcome::NotRunning: break;
  }
  return Error(errc::not_running, "cannot send signal " + std::to_string(sig) + " to process " +
                                      std::to_string(state.pid()) + ": it has exited and was reaped");
}

void release_process(ProcessState& state) noexcept {
  NativeProcess& native = *state.native();
  if (native.released.exchange(true)) return;
  if (state.finished()) return;
  if (native.owner != ::getpid()) {
    // A copy inherited through fork(): the child belongs to the process that spawned it.
    state.settle([] { return Probe::lost("it belongs to the process that spawned it (this copy was "
                                         "inherited through fork)"); });
    return;
  }
  state.begin_stop();
  int ignored = 0;
  (void)signal_child(state, SIGKILL, ignored);
  Result<ExitStatus> r = state.wait();
  // Only a broken host contract makes wait() fail; the child got SIGKILL, so a blocking reap of
  // our own is short and leaves no zombie behind.
  if (!r) reap_directly(state);
}

Result<void> read_pipes_to_end(Pipe& out, std::string& out_data, Pipe& err, std::string& err_data) {
  Pipe* pipes[2] = {&out, &err};
  std::string* data[2] = {&out_data, &err_data};
  char buf[65536];
  for (;;) {
    struct pollfd fds[2];
    int which[2];
    nfds_t n = 0;
    for (int i = 0; i < 2; ++i) {
      if (!pipes[i]->valid()) continue;
      fds[n].fd = static_cast<int>(pipes[i]->native());
      fds[n].events = POLLIN;
      fds[n].revents = 0;
      which[n++] = i;
    }
    if (n == 0) return ok_result();
    if (::poll(fds, n, -1) < 0) {
      if (errno == EINTR) continue;
      return Error::from_os(errno, "cannot poll the child's pipes");
    }
    for (nfds_t k = 0; k < n; ++k) {
      if (fds[k].revents == 0) continue;
      int i = which[k];
      // Read while full buffers come back, so that one poll serves a burst of data; a short read
      // returns to poll, which keeps this correct for a blocking fd handed in by a caller too.
      for (;;) {
        ssize_t got = ::read(fds[k].fd, buf, sizeof buf);
        if (got > 0) {
          data[i]->append(buf, static_cast<std::size_t>(got));
          if (static_cast<std::size_t>(got) == sizeof buf) continue;
          break;
        }
        if (got < 0 && errno == EINTR) continue;
        if (got < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;
        if (got < 0) {
          int e = errno;
          pipes[i]->close();
          return Error::from_os(e, i == 0 ? "cannot read the child's stdout"
                                          : "cannot read the child's stderr");
        }
        pipes[i]->close();  // EOF.
        break;
      }
    }
  }
}

}  // namespace modhost::detail
