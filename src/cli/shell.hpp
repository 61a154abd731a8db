#pragma once
// How a Procfile command line is run: through the platform's shell (shell_command is implemented
// once per platform, in platform/<os>/cli/shell.cpp).

#include <string>
#include <string_view>
#include <vector>

namespace modhost::cli {

/// A program and its arguments.
struct ShellCommand {
  /// The shell: `/bin/sh` on POSIX, `cmd.exe` on Windows.
  std::string program;
  /// Its arguments: `-c COMMAND` on POSIX, `/d /s /c "COMMAND"` on Windows.
  std::vector<std::string> args;
};

/// The shell invocation that runs `command`. On POSIX a simple command (see
/// `is_simple_shell_command`) is prefixed with `exec`, so that the program itself, not a shell
/// waiting for it, leads the process group: some shells (dash) do not exec the last command of
/// `sh -c` themselves, and a shell dies at once on SIGTERM, ending the program's grace period.
ShellCommand shell_command(const std::string& command);

/// True when `command` is one simple command that `exec` can prefix without changing its meaning:
/// outside quotes no `;`, `&`, `|`, parentheses, backquotes or newline; balanced quotes; no
/// leading `NAME=value` assignment and no leading shell keyword or builtin that `exec` cannot run
/// (`if`, `{`, `cd`, `exec`...).
bool is_simple_shell_command(std::string_view command) noexcept;

}  // namespace modhost::cli
