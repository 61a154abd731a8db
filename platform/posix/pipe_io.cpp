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
      if (detail::wait_ready(fd, POLLIN)) continue;
    }
    return Error::from_os(errno, "cannot read from the pipe");
  }
}

Result<void> Pipe::write(std::string_view data) {
  if (!valid()) return invalid_pipe("write to");
  detail::SigpipeGuard guard;
  const int err = detail::write_fully(static_cast<int>(native_), data.data(), data.size());
  if (err == 0) return ok_result();
  if (err == EPIPE) guard.broken();
  return Error::from_os(err, "cannot write to the pipe");
}

}  // namespace modhost
