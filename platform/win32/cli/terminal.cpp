// Win32 half of src/cli/terminal.hpp: stdout writes, console detection, local time.

#ifndef WIN32_LEAN_AND_MEAN
#define WIN32_LEAN_AND_MEAN
#endif
#include <windows.h>

#include <algorithm>
#include <cstdio>
#include <ctime>

#include "../handle.hpp"
#include "cli/terminal.hpp"

namespace modhost::cli {

namespace {

bool is_console(HANDLE h) noexcept {
  DWORD mode = 0;
  return h != nullptr && h != INVALID_HANDLE_VALUE && GetConsoleMode(h, &mode) != 0;
}

}  // namespace

bool stdout_is_terminal() noexcept { return is_console(GetStdHandle(STD_OUTPUT_HANDLE)); }

bool enable_terminal_colors() noexcept {
  HANDLE h = GetStdHandle(STD_OUTPUT_HANDLE);
  DWORD mode = 0;
  if (!GetConsoleMode(h, &mode)) return true;  // not a console: the sequences pass through as bytes
  // Windows 10 consoles interpret ANSI sequences only with virtual terminal processing on.
  return SetConsoleMode(h, mode | ENABLE_VIRTUAL_TERMINAL_PROCESSING) != 0;
}

WriteStatus write_stdout(std::string_view text) noexcept {
  HANDLE h = GetStdHandle(STD_OUTPUT_HANDLE);
  if (h == nullptr || h == INVALID_HANDLE_VALUE) return WriteStatus::Failed;
  const DWORD err = detail::win32::write_fully(h, text.data(), text.size());
  if (err == 0) return WriteStatus::Ok;
  return err == ERROR_NO_DATA || err == ERROR_BROKEN_PIPE ? WriteStatus::Broken : WriteStatus::Failed;
}


std::string local_hms(std::chrono::system_clock::time_point time) {
  std::time_t t = std::chrono::system_clock::to_time_t(time);
  struct tm parts {};
  // localtime_s, unlike std::localtime, is safe when several threads format lines.
  if (localtime_s(&parts, &t) != 0) return "??:??:??";
  char buf[16];
  std::snprintf(buf, sizeof buf, "%02d:%02d:%02d", parts.tm_hour, parts.tm_min, parts.tm_sec);
  return buf;
}

}  // namespace modhost::cli
