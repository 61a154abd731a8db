#pragma once
// Defaults that come from files rather than the command line: a defaults file in the project's
// folder (`.modhost`, or foreman's `.foreman`), and `PROCFILE` set in a .env file (as honcho
// reads it). Command-line options always win.

#include <string>
#include <string_view>
#include <vector>

#include "options.hpp"
#include "modhost/result.hpp"

namespace modhost::cli {

/// `relative` resolved against `dir`: unchanged when it is absolute (`/x`, `\x`, `C:...`) or `dir`
/// is empty or `.`, else `dir/relative`. Pure.
std::string join_path(const std::string& dir, const std::string& relative);

/// Parses the text of a defaults file, foreman's `.foreman` format: one `key: value` per line
/// (YAML's flat subset: `#` comments, blank lines, a `---` line, values optionally in quotes).
/// Keys, as foreman's: `procfile`, `env` (comma-separated), `formation` or `concurrency`, `port`,
/// `timeout` (seconds), `color` (true/false, or auto/always/never). Each sets the option only if
/// the command line left it unset; paths are taken relative to `dir`. An unknown key is a warning
/// (`FILE:LINE: unknown key "x", skipped`, added to `warnings`). Errors (`errc::parse_error`),
/// `FILE:LINE: what`: a line that is not `key: value`, a bad value. Pure.
Result<void> parse_defaults(std::string_view text, const std::string& file, const std::string& dir,
                            Options& options, std::vector<std::string>& warnings);

/// Applies the project's defaults to `options`, in this order: the defaults file `.modhost` (else
/// `.foreman`) in the `-d` folder or the current one, if there is one; then, when no Procfile is
/// named yet, `PROCFILE` from the .env files (`-e`, else `.env` in that folder): the Procfile is
/// then that path, relative to the folder, and the folder is the root (as honcho's app root).
/// `$PROCFILE` in the environment comes after both. Errors: the defaults file cannot be read or
/// parsed (`.modhost:3: ...`). .env errors are left for the .env loading to report.
Result<void> apply_project_defaults(Options& options, std::vector<std::string>& warnings);

}  // namespace modhost::cli
