// Win32 half of src/cli/shell.hpp: commands run under cmd.exe, as foreman and honcho do there.

#include "cli/shell.hpp"

namespace modhost::cli {

ShellCommand shell_command(const std::string& command) {
  // spawn() quotes the command as one argument ("..."), and /s /c strips exactly those outer
  // quotes. A command holding double quotes of its own does not survive that quoting (cmd.exe
  // knows no backslash escapes); docs/win32.md says so.
  return {"cmd.exe", {"/d", "/s", "/c", command}, {}, false};
}

// cmd.exe is always kept: what it does with a command line (its built-in commands, PATHEXT, the
// quoting above) has no plain subset worth telling apart.
ShellCommand start_command(const std::string& command, const std::string& /*dir*/,
                           const std::optional<std::string>& /*path*/,
                           const std::optional<std::string>& /*pwd*/) {
  return shell_command(command);
}

}  // namespace modhost::cli
