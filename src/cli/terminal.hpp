#pragma once
// The few console services the tool needs from the OS, implemented once per platform in
// platform/<os>/cli/terminal.cpp (the tool's only OS-specific code besides its signals).

#include <chrono>
#include <string>
#include <string_view>

namespace modhost::cli {

/// True when the process's stdout is a terminal (a console on Windows).
bool stdout_is_terminal() noexcept;

/// Makes ANSI colour sequences work on stdout where that needs a switch (Windows consoles: virtual
/// terminal processing); does nothing elsewhere. Returns false when colours cannot be shown.
bool enable_terminal_colors() noexcept;

/// The result of a write to stdout.
enum class WriteStatus {
  Ok,      ///< Everything was written.
  Broken,  ///< The reader went away (EPIPE / ERROR_NO_DATA / ERROR_BROKEN_PIPE).
  Failed,  ///< Another error.
};

/// Writes all of `text` to stdout, with one system call whenever the OS takes it whole (so lines
/// from several writers never interleave), retrying after interruptions. Never raises SIGPIPE
/// (the tool catches it). Not synchronised: callers serialise their calls.
WriteStatus write_stdout(std::string_view text) noexcept;

/// `time` as local wall-clock time, "HH:MM:SS". Thread-safe.
std::string local_hms(std::chrono::system_clock::time_point time);

}  // namespace modhost::cli
