// POSIX half of src/cli/terminal.hpp: stdout writes, terminal detection, local time.

#include <errno.h>
#include <poll.h>
#include <time.h>
#include <unistd.h>

#include <cstdio>

#include "cli/terminal.hpp"

namespace modhost::cli {

bool stdout_is_terminal() noexcept { return ::isatty(STDOUT_FILENO) == 1; }

bool enable_terminal_colors() noexcept { return true; }

namespace {
WriteStatus write_all(int fd, std::string_view text) noexcept {
  while (!text.empty()) {
    ssize_t n = ::write(fd, text.data(), text.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      // A non-blocking stdout (a terminal shared with a process that set O_NONBLOCK) can say
      // EAGAIN; the line is still owed, so the writer waits for room instead of dropping it.
      if (errno == EAGAIN || errno == EWOULDBLOCK) {
        struct pollfd p {};
        p.fd = fd;
        p.events = POLLOUT;
        (void)::poll(&p, 1, -1);
        continue;
      }
      return errno == EPIPE ? WriteStatus::Broken : WriteStatus::Failed;
    }
    text.remove_prefix(static_cast<std::size_t>(n));
  }
  return WriteStatus::Ok;
}
}  // namespace

WriteStatus write_stdout(std::string_view text) noexcept { return write_all(STDOUT_FILENO, text); }


std::string local_hms(std::chrono::system_clock::time_point time) {
  std::time_t t = std::chrono::system_clock::to_time_t(time);
  struct tm parts {};
  // localtime_r, unlike std::localtime, is safe when several threads format lines.
  if (::localtime_r(&t, &parts) == nullptr) return "??:??:??";
  char buf[16];
  std::snprintf(buf, sizeof buf, "%02d:%02d:%02d", parts.tm_hour, parts.tm_min, parts.tm_sec);
  return buf;
}

}  // namespace modhost::cli
