#pragma once
// `modhost run CMD [ARGS...]`: one command with the .env files applied, on the tool's own
// terminal, exiting with the command's code.

#include "options.hpp"

namespace modhost::cli {

/// Runs `options.run_argv` (a program looked up on PATH, not a shell line) with the .env files
/// applied; a single word that names an entry of the Procfile runs that entry's command instead
/// (through the shell, in the root), as foreman does. Either way stdin, stdout and stderr are
/// inherited and the command is in the tool's own process group, so that an interactive command
/// keeps the terminal. Signals another process sends to the tool are
/// forwarded to the command; those the terminal sends reach it directly. Returns the command's
/// exit code (128 + N for signal N), 1 for a bad .env file, 127 when the command cannot be started.
int run_command(const Options& options);

}  // namespace modhost::cli
