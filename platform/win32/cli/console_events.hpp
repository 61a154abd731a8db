#pragma once
// Testing only: the Win32 tool's console control handler (platform/win32/cli/signals.cpp), called
// directly. Wine does not generate console control events (GenerateConsoleCtrlEvent is not
// implemented there), so the tests call the handler the way the system's event thread would.

namespace modhost::cli::win32 {

// Runs the tool's console control handler for event `type` (CTRL_C_EVENT, CTRL_CLOSE_EVENT...)
// on the calling thread and returns what it returns (nonzero: handled). For CTRL_CLOSE_EVENT it
// blocks until the SignalWatcher is destroyed or about 4.5 s have passed, as it does for the
// system.
int handle_console_event_for_testing(unsigned long type);

}  // namespace modhost::cli::win32
