#pragma once
// How a Procfile command line is run: through the platform's shell, or, on POSIX, directly when
// the shell would do nothing but run the program (shell_command and start_command are implemented
// once per platform, in platform/<os>/cli/shell.cpp).

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace modhost::cli {

/// A program and its arguments.
struct ShellCommand {
  /// The shell (`/bin/sh` on POSIX, `cmd.exe` on Windows), or the command's own program when
  /// `direct`.
  std::string program;
  /// Its arguments: `-c COMMAND` on POSIX, `/d /s /c "COMMAND"` on Windows; the command's own
  /// arguments when `direct`.
  std::vector<std::string> args;
  /// Variables to set on top of the rest of the child's environment: for a direct command, the
  /// `PWD` the shell would have exported.
  std::vector<std::pair<std::string, std::string>> env;
  /// True when no shell runs: `program` is the command's first word. If it cannot be started,
  /// `shell_command()` of the same line is the fallback, so that the shell reports the problem
  /// (`not found`, exit code 127) or runs a script without a `#!` line, as it always did.
  bool direct = false;
};

/// The shell invocation that runs `command`. On POSIX a simple command (see
/// `is_simple_shell_command`) is prefixed with `exec`, so that the program itself, not a shell
/// waiting for it, leads the process group: some shells (dash) do not exec the last command of
/// `sh -c` themselves, and a shell dies at once on SIGTERM, ending the program's grace period.
ShellCommand shell_command(const std::string& command);

/// How the tool starts `command` in the folder `dir` (absolute), given the `PATH` and `PWD` the
/// child's environment will have (nullopt: unset). On POSIX, a command whose words
/// `plain_command_words` returns runs without a shell when the program it names does not depend
/// on the folder it runs in (an absolute path, or a bare name and a `PATH` of absolute folders
/// only), as foreman runs such commands: `sh -c "exec COMMAND"` would run the same program with
/// the same arguments, so the shell's start is saved (on a machine with slow process starts, a
/// third of the cost of starting twenty processes). `env` then carries the `PWD` that `sh` would
/// have exported. Anything else, and every command on Windows, is `shell_command(command)`. Reads
/// the file system (`stat`, `realpath`) for `PWD`; never fails (a doubt means the shell).
ShellCommand start_command(const std::string& command, const std::string& dir,
                           const std::optional<std::string>& path,
                           const std::optional<std::string>& pwd);

/// True when `command` is one simple command that `exec` can prefix without changing its meaning:
/// outside quotes no `;`, `&`, `|`, parentheses, backquotes or newline; balanced quotes; no
/// leading `NAME=value` assignment and no leading shell keyword or builtin that `exec` cannot run
/// (`if`, `{`, `cd`, `exec`...).
bool is_simple_shell_command(std::string_view command) noexcept;

/// The words of `command` when a shell would take them literally: a simple command (see
/// `is_simple_shell_command`) whose words, separated by spaces and tabs, hold only letters,
/// digits and `_-./,:+@%=` (no quote, `$`, `~`, glob, redirection, comment or escape, so nothing
/// is expanded or redirected), the first one not starting with `-`. nullopt otherwise.
std::optional<std::vector<std::string>> plain_command_words(std::string_view command);

}  // namespace modhost::cli
