// File-descriptor helpers (see fd_util.hpp).

#include "fd_util.hpp"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <time.h>
#include <unistd.h>

namespace modhost::detail {

int above_stdio(int fd) noexcept {
  if (fd < 0 || fd > 2) return fd;
  int moved = ::fcntl(fd, F_DUPFD_CLOEXEC, 3);
  int err = errno;
  ::close(fd);
  errno = err;
  return moved;
}

void close_fd(int fd) noexcept {
  if (fd >= 0) ::close(fd);
}

bool wait_ready(int fd, short events) noexcept {
  struct pollfd p = {fd, events, 0};
  for (;;) {
    int n = ::poll(&p, 1, -1);
    if (n > 0) return true;
    if (n < 0 && errno != EINTR) return false;
  }
}

int write_fully(int fd, const char* data, std::size_t size) noexcept {
  while (size > 0) {
    ssize_t n = ::write(fd, data, size);
    if (n >= 0) {
      data += n;
      size -= static_cast<std::size_t>(n);
      continue;
    }
    if (errno == EINTR) continue;
    if ((errno == EAGAIN || errno == EWOULDBLOCK) && wait_ready(fd, POLLOUT)) continue;
    return errno;
  }
  return 0;
}

bool open_wake_pipe(int fds[2]) noexcept {
  int made[2];
  if (::pipe2(made, O_CLOEXEC | O_NONBLOCK) != 0) return false;
  fds[0] = above_stdio(made[0]);
  fds[1] = above_stdio(made[1]);
  if (fds[0] >= 0 && fds[1] >= 0) return true;
  int err = errno;
  close_fd(fds[0]);
  close_fd(fds[1]);
  fds[0] = fds[1] = -1;
  errno = err;
  return false;
}

void write_wake_byte(int fd) noexcept {
  char byte = 1;
  ssize_t n;
  do {
    n = ::write(fd, &byte, 1);
  } while (n < 0 && errno == EINTR);
}

void drain_wake_pipe(int fd) noexcept {
  char sink[256];
  while (::read(fd, sink, sizeof sink) > 0) {
  }
}

SigpipeGuard::SigpipeGuard() noexcept {
  sigset_t pipe_only, pending;
  sigemptyset(&pipe_only);
  sigaddset(&pipe_only, SIGPIPE);
  ::pthread_sigmask(SIG_BLOCK, &pipe_only, &old_mask_);
  sigemptyset(&pending);
  ::sigpending(&pending);
  was_pending_ = sigismember(&pending, SIGPIPE) == 1;
}

SigpipeGuard::~SigpipeGuard() {
  if (broken_ && !was_pending_) {
    // The SIGPIPE the failed write raised is pending on this thread (it is blocked): consume it,
    // so it is not delivered once the mask is restored.
    sigset_t pipe_only;
    sigemptyset(&pipe_only);
    sigaddset(&pipe_only, SIGPIPE);
    struct timespec zero = {0, 0};
    while (::sigtimedwait(&pipe_only, nullptr, &zero) < 0 && errno == EINTR) {
    }
  }
  if (!sigismember(&old_mask_, SIGPIPE)) ::pthread_sigmask(SIG_SETMASK, &old_mask_, nullptr);
}

}  // namespace modhost::detail
