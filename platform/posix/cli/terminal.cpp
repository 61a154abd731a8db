// POSIX half of src/cli/terminal.hpp: stdout writes, terminal detection, local time.

#include <errno.h>
#include <time.h>
#include <unistd.h>

#include <cstdio>

#include "../fd_util.hpp"
#include "cli/terminal.hpp"

namespace modhost::cli {

bool stdout_is_terminal() noexcept { return ::isatty(STDOUT_FILENO) == 1; }

bool enable_terminal_colors() noexcept { return true; }

WriteStatus write_stdout(std::string_view text) noexcept {
  // write_fully waits out EAGAIN on a non-blocking stdout: the line is owed, never dropped.
  const int err = detail::write_fully(STDOUT_FILENO, text.data(), text.size());
  if (err == 0) return WriteStatus::Ok;
  return err == EPIPE ? WriteStatus::Broken : WriteStatus::Failed;
}


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
