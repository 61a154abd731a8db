#pragma once
// Turns the command line into what a run needs: the Procfile read and parsed, the root folder,
// the .env files applied, the base port and the instances to start.

#include <string>
#include <vector>

#include "dotenv.hpp"
#include "formation.hpp"
#include "options.hpp"
#include "procfile.hpp"
#include "modhost/result.hpp"

namespace modhost::cli {

/// Everything `start` and `check` need, resolved.
struct ProjectConfig {
  /// The Procfile's path as the user gave it (or the default), for messages.
  std::string procfile_path;
  /// The folder the processes run in, absolute.
  std::string root;
  /// The parsed Procfile (its warnings included).
  Procfile procfile;
  /// The variables of the .env files, in order, expanded.
  EnvVars env;
  /// The .env files that were read, in order.
  std::vector<std::string> env_files;
  /// The .env lines that were skipped, `FILE:LINE: what, skipped`, for the caller to print.
  std::vector<std::string> env_warnings;
  /// The base port: `-p`, else PORT from the .env files, else `$PORT`, else 5000.
  int base_port = 5000;
};

/// Reads a whole file. Errors carry the OS reason: `cannot read Procfile: No such file or directory`,
/// `cannot read pdir: Is a directory`.
Result<std::string> read_text_file(const std::string& path);

/// The inherited environment, as `parse_dotenv` wants it (`std::getenv`).
EnvLookup process_environment();

/// The Procfile path: `-f`, else `$PROCFILE`, else `Procfile`.
std::string procfile_path(const Options& options);

/// The root: `-d`, else the Procfile's folder (absolute).
std::string resolve_root(const Options& options, const std::string& procfile);

/// Reads the .env files (`-e`, relative to the current directory; else `.env` in `root` when it
/// exists) into `env`, recording their names in `used` and the lines skipped in `warnings`
/// (`FILE:LINE: what, skipped`). Errors: an unreadable file, a line that cannot be skipped
/// safely (`FILE:LINE: what`).
Result<void> load_env_files(const Options& options, const std::string& root, EnvVars& env,
                            std::vector<std::string>& used, std::vector<std::string>& warnings);

/// Loads everything `start` and `check` need. Errors: the Procfile cannot be read or has a
/// duplicate name (`Procfile: line 4: ...`), it defines no process, an .env error, a bad PORT.
/// Warnings about skipped lines are left in `procfile.warnings` for the caller to print.
Result<ProjectConfig> load_project(const Options& options);

}  // namespace modhost::cli
