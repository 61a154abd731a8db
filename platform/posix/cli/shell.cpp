// POSIX half of src/cli/shell.hpp: commands run under /bin/sh -c, as foreman and honcho run them,
// with `exec` in front of simple commands (see shell.hpp for why).

#include "cli/shell.hpp"

namespace modhost::cli {

ShellCommand shell_command(const std::string& command) {
  std::string line = is_simple_shell_command(command) ? "exec " + command : command;
  return {"/bin/sh", {"-c", std::move(line)}};
}

}  // namespace modhost::cli
