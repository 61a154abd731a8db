#pragma once
// What the CTRL_BREAK helper (helper/ctrl_break.cpp, modhost-ctrl-break.exe) and the library that
// runs it (ctrl_break.cpp) agree on: its name, its one argument, and how its exit code says which
// step failed. No OS header, so the helper and the library share it as it is.

namespace modhost::detail::win32::ctrl_break {

// The helper's file name, looked up next to the module that holds the library.
inline constexpr const wchar_t* kHelperName = L"modhost-ctrl-break.exe";
// The environment variable that names the helper's full path instead.
inline constexpr const wchar_t* kHelperVariable = L"MODHOST_CTRL_BREAK_HELPER";

// The step that failed, in the high 16 bits of the helper's exit code; the low 16 bits hold the
// Windows error code of that step (every code these calls return fits). 0 means delivered.
enum Step : unsigned long {
  kUsage = 1,     // The argument is not a process id.
  kAttach = 2,    // AttachConsole(pid) failed: the child has no console, or is gone.
  kGenerate = 3,  // GenerateConsoleCtrlEvent(CTRL_BREAK_EVENT, pid) failed.
};

inline constexpr unsigned long exit_code(Step step, unsigned long error) noexcept {
  return (static_cast<unsigned long>(step) << 16) | (error & 0xFFFFu);
}
inline constexpr unsigned long step_of(unsigned long code) noexcept { return code >> 16; }
inline constexpr unsigned long error_of(unsigned long code) noexcept { return code & 0xFFFFu; }

}  // namespace modhost::detail::win32::ctrl_break
