// find_ctrl_break_helper and ctrl_break_through_helper (graceful_stop.hpp): CTRL_BREAK for a
// console child on a console of its own, sent by modhost-ctrl-break.exe (helper/ctrl_break.cpp).
//
// Why a helper program: GenerateConsoleCtrlEvent reaches only the processes of the group that
// share the caller's console, and a process is attached to at most one console (AttachConsole
// fails while it has one). The host would have to FreeConsole, attach to the child's console,
// send, and attach back, leaving its own console for a while (its console output and its own
// Ctrl-C handling would be gone meanwhile, and another thread could spawn a child onto the wrong
// console). A short-lived process started without a console does the attach instead.
//
// Why a separate program rather than the host re-run with a special argument: the library does
// not own the host's main(), and code run before main (a static initializer looking at the
// command line) would run the host's own initializers first. The helper is built with the
// library and installed next to it (or named by MODHOST_CTRL_BREAK_HELPER); without it, such a
// child cannot be stopped gracefully and is terminated at once, as before.

#include <string>

#include "ctrl_break_protocol.hpp"
#include "graceful_stop.hpp"
#include "utf16.hpp"

namespace modhost::detail::win32 {
namespace {

namespace protocol = ctrl_break;

// How long the helper may take: it attaches and sends one event, which takes milliseconds on
// Windows and under a second under Wine; one that takes longer is stuck and is ended.
constexpr DWORD kHelperTimeoutMillis = 10000;

bool is_file(const std::wstring& path) {
  const DWORD attrs = GetFileAttributesW(path.c_str());
  return attrs != INVALID_FILE_ATTRIBUTES && (attrs & FILE_ATTRIBUTE_DIRECTORY) == 0;
}

// The directory of the module (program or DLL) this code is linked into, with a trailing
// backslash; empty when it cannot be found.
std::wstring own_module_directory() {
  // Any address inside this module names it.
  static const char marker = 0;
  HMODULE self = nullptr;
  if (!GetModuleHandleExW(GET_MODULE_HANDLE_EX_FLAG_FROM_ADDRESS |
                              GET_MODULE_HANDLE_EX_FLAG_UNCHANGED_REFCOUNT,
                          reinterpret_cast<LPCWSTR>(&marker), &self)) {
    return std::wstring();
  }
  std::wstring path(MAX_PATH, L'\0');
  for (;;) {
    const DWORD n = GetModuleFileNameW(self, path.data(), static_cast<DWORD>(path.size()));
    if (n == 0) return std::wstring();
    if (n < path.size()) {
      path.resize(n);
      break;
    }
    path.resize(path.size() * 2);  // truncated: a long path
  }
  const std::size_t slash = path.find_last_of(L"\\/");
  return slash == std::wstring::npos ? std::wstring() : path.substr(0, slash + 1);
}

// What the helper's nonzero exit `code` says failed.
std::string step_text(unsigned long code) {
  switch (protocol::step_of(code)) {
    case protocol::kUsage: return "the helper did not accept the process id";
    case protocol::kAttach: return "AttachConsole failed";
    case protocol::kGenerate: return "GenerateConsoleCtrlEvent failed";
  }
  return "the helper failed with exit code " + std::to_string(code);
}

}  // namespace

Result<std::wstring> find_ctrl_break_helper() {
  std::wstring path(MAX_PATH, L'\0');
  DWORD n = GetEnvironmentVariableW(protocol::kHelperVariable, path.data(),
                                    static_cast<DWORD>(path.size()));
  if (n >= path.size()) {
    path.resize(n);
    n = GetEnvironmentVariableW(protocol::kHelperVariable, path.data(),
                                static_cast<DWORD>(path.size()));
  }
  if (n > 0 && n < path.size()) {
    path.resize(n);
    if (is_file(path)) return path;
    return Error(errc::unsupported, "MODHOST_CTRL_BREAK_HELPER names " + to_utf8(path) +
                                        ", which is not a file");
  }
  path = own_module_directory() + protocol::kHelperName;
  if (is_file(path)) return path;
  return Error(errc::unsupported,
               "it runs on a console of its own, and CTRL_BREAK must be sent from that console by "
               "the helper program, which is not at " +
                   to_utf8(path) + " (install modhost-ctrl-break.exe there, or name it with "
                                   "MODHOST_CTRL_BREAK_HELPER)");
}

Result<void> ctrl_break_through_helper(const NativeProcess& native, const std::wstring& helper) {
  const std::string what = "cannot send CTRL_BREAK to process " + std::to_string(native.pid);
  // A path holds no double quote, so quoting it is enough for the helper's runtime.
  std::wstring command = L"\"" + helper + L"\" " + std::to_wstring(native.pid);
  STARTUPINFOW si{};
  si.cb = sizeof si;
  PROCESS_INFORMATION pi{};
  // No console of its own (it attaches to the child's), a group of its own (the event it makes
  // reaches the child's group, never the helper), and no inherited handle.
  const DWORD flags = DETACHED_PROCESS | CREATE_NEW_PROCESS_GROUP;
  if (!CreateProcessW(helper.c_str(), command.data(), nullptr, nullptr, FALSE, flags, nullptr,
                      nullptr, &si, &pi)) {
    return last_error(what + ": cannot start " + to_utf8(helper));
  }
  UniqueHandle process(pi.hProcess);
  UniqueHandle thread(pi.hThread);
  if (WaitForSingleObject(process.get(), kHelperTimeoutMillis) != WAIT_OBJECT_0) {
    TerminateProcess(process.get(), 1);
    WaitForSingleObject(process.get(), INFINITE);
    // The OS's own code for an operation that ran out of time, as every other failure here
    // carries the OS's code; the request then counts as undelivered and the child is killed.
    return Error(std::error_code(static_cast<int>(ERROR_TIMEOUT), std::system_category()),
                 what + ": the helper did not finish within " +
                     std::to_string(kHelperTimeoutMillis / 1000) + " s");
  }
  DWORD code = 0;
  if (!GetExitCodeProcess(process.get(), &code)) return last_error(what + ": GetExitCodeProcess");
  if (code == 0) return ok_result();
  return os_error(protocol::error_of(code), what + ": " + step_text(code));
}

}  // namespace modhost::detail::win32
