// File-descriptor helpers (see fd_util.hpp).

#include "fd_util.hpp"

#include <errno.h>
#include <fcntl.h>
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

}  // namespace modhost::detail
