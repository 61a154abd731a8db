#pragma once
// The graceful request on Windows (StopSignal::Terminate): which one a child gets, and the two
// that are sent off the caller's thread. Windows has no signal a process can send another; what
// it offers depends on the child:
//
// * a console program on the host's console: CTRL_BREAK_EVENT to its process group, sent at once
//   (GenerateConsoleCtrlEvent, one call);
// * a console program on a console of its own (the host has none, so the child got a hidden one):
//   the same event, sent from that console by the helper program modhost-ctrl-break.exe
//   (ctrl_break.cpp), because a process is attached to at most one console and the host must not
//   leave its own;
// * a GUI program: WM_CLOSE to the top-level windows of the processes in its job
//   (close_windows.cpp), what `taskkill` without /F does.
//
// The last two take a process start or the first use of user32 (each most of a second under
// Wine), so they run as thread-pool work items: a caller that stops many children (the backend's
// poll thread) only queues them, and they are delivered in parallel. A work item that cannot
// deliver its request kills the child at once and records why (ProcessState's undelivered
// request), so a stop does not wait out a grace period for a request that never arrived.

#include <string>

#include "native_process.hpp"
#include "modhost_process_state.hpp"

namespace modhost::detail::win32 {

// True when the program file at `path` is a Windows GUI program (its PE header names the
// IMAGE_SUBSYSTEM_WINDOWS_GUI subsystem). False for console programs and for anything that cannot
// be read or is not a PE image, which then get the console request, as before this was known.
bool is_gui_program(const std::wstring& path) noexcept;

// Sends the graceful request the child of `native` gets (see the top). Called under the state's
// mutex (ProcessState::with_running), so it must not block: it either sends CTRL_BREAK itself
// or queues a work item and returns. Errors: errc::unsupported when no request can reach the child
// (a console child in the host's own process group; no helper program for a child on another
// console), with a message saying why; the OS's code when the work item cannot be queued.
Result<void> request_graceful_stop(NativeProcess& native);

// Posts WM_CLOSE to every top-level, unowned, enabled window of the child and (with a job) of
// every process in its job. Blocking; runs on a work item. Errors: errc::unsupported when no
// window was found (nothing was sent); the OS's code when user32 cannot be loaded.
Result<void> close_top_level_windows(const NativeProcess& native);

// The helper program's full path: MODHOST_CTRL_BREAK_HELPER if set, else modhost-ctrl-break.exe
// in the directory of the module that holds this library. errc::unsupported, naming the path,
// when the file is not there. Cheap (one file attribute lookup); never blocks for long.
Result<std::wstring> find_ctrl_break_helper();

// Runs `helper` for the child and waits for it (at most a few seconds): ok when it generated
// CTRL_BREAK in the child's group. Errors say which step failed, with the Windows text. Blocking;
// runs on a work item, which holds the child's state so its process id cannot be reused meanwhile.
Result<void> ctrl_break_through_helper(const NativeProcess& native, const std::wstring& helper);

}  // namespace modhost::detail::win32
