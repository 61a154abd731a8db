// modhost-ctrl-break PID: sends CTRL_BREAK_EVENT to the console process group PID from that
// group's own console, then exits. The library runs it (ctrl_break.cpp) for a console child that
// does not share the host's console: GenerateConsoleCtrlEvent reaches only processes on the
// caller's console, and a process is attached to at most one console, so the host itself would
// have to leave its own console to send the event. This program is started without a console
// (DETACHED_PROCESS) and in a process group of its own, so the event it generates reaches the
// child's group and never itself.
//
// Exit code: 0 when the event was generated; otherwise the failed step and its Windows error code
// (ctrl_break_protocol.hpp). It writes nothing: it has no console and no std handles.

#ifndef WIN32_LEAN_AND_MEAN
#define WIN32_LEAN_AND_MEAN
#endif
#include <windows.h>

#include "../ctrl_break_protocol.hpp"

namespace {

namespace protocol = modhost::detail::win32::ctrl_break;

// The decimal process id in `text`, or 0 (no process has id 0) when it is not one.
DWORD parse_pid(const char* text) {
  unsigned long long value = 0;
  if (text == nullptr || *text == '\0') return 0;
  for (const char* p = text; *p != '\0'; ++p) {
    if (*p < '0' || *p > '9') return 0;
    value = value * 10 + static_cast<unsigned long long>(*p - '0');
    if (value > 0xFFFFFFFFull) return 0;
  }
  return static_cast<DWORD>(value);
}

}  // namespace

int main(int argc, char** argv) {
  const DWORD pid = argc == 2 ? parse_pid(argv[1]) : 0;
  if (pid == 0) return static_cast<int>(protocol::exit_code(protocol::kUsage, ERROR_INVALID_PARAMETER));
  // Started detached, it has no console; one it might have been given otherwise is left first,
  // since AttachConsole refuses a process that already has one.
  FreeConsole();
  if (!AttachConsole(pid)) {
    return static_cast<int>(protocol::exit_code(protocol::kAttach, GetLastError()));
  }
  if (!GenerateConsoleCtrlEvent(CTRL_BREAK_EVENT, pid)) {
    return static_cast<int>(protocol::exit_code(protocol::kGenerate, GetLastError()));
  }
  return 0;
}
