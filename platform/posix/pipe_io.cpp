// Pipe::read and Pipe::write on POSIX: blocking on any descriptor. modhost's own parent ends are
// O_NONBLOCK (the pipe reader needs that), and changing the flag here would change it for
// everyone sharing the open file description, so a would-block result is waited out with poll
// instead.

#include <errno.h>
#include <poll.h>
#include <unistd.h>

#include "fd_util.hpp"
#include "modhost_platform.hpp"

namespace modhost {

namespace {

Error invalid_pipe(const char* what) {
  return Error(errc::invalid_argument, std::string("cannot ") + what + " an invalid pipe");
}

// Blocks until `fd` is ready for `events` (or has an error or hang-up to report, which the next
// read or write then returns). False with errno set when poll itself fails.
bool wait_ready(int fd, short events) noexcept {
  struct pollfd p = {fd, events, 0};
  for (;;) {
    int n = ::poll(&p, 1, -1);
    if (n > 0) return true;
    if (n < 0 && errno != EINTR) return false;
  }
}

}  // namespace

Result<std::size_t> Pipe::read(void* buffer, std::size_t size) {
  if (!valid()) return invalid_pipe("read from");
  if (size == 0) return std::size_t{0};
  const int fd = static_cast<int>(native_);
  for (;;) {
    ssize_t n = ::read(fd, buffer, size);
    if (n >= 0) return static_cast<std::size_t>(n);
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) {
      if (wait_ready(fd, POLLIN)) continue;
    }
    return Error::from_os(errno, "cannot read from the pipe");
  }
}

Result<void> Pipe::write(std::string_view data) {
  if (!valid()) return invalid_pipe("write to");
  const int fd = static_cast<int>(native_);
  detail::SigpipeGuard guard;
  const char* p = data.data();
  std::size_t left = data.size();
  while (left > 0) {
    ssize_t n = ::write(fd, p, left);
    if (n >= 0) {
      p += n;
      left -= static_cast<std::size_t>(n);
      continue;
    }
    if (errno == EINTR) continue;
    if ((errno == EAGAIN || errno == EWOULDBLOCK) && wait_ready(fd, POLLOUT)) continue;
    const int err = errno;
    if (err == EPIPE) guard.broken();
    return Error::from_os(err, "cannot write to the pipe");
  }
  return ok_result();
}

}  // namespace modhost
