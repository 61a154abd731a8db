#pragma once
// The command line of the modhost tool: `modhost [start] [PROCESS...]`, `modhost run CMD...`,
// `modhost check`, `--help`, `--version`, and the options foreman and honcho users know.

#include <chrono>
#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "formation.hpp"
#include "restart.hpp"
#include "modhost/result.hpp"

namespace modhost::cli {

/// What the tool was asked to do.
enum class Command { Start, Run, Check, Help, Version };

/// When output is coloured.
enum class ColorMode { Auto, Always, Never };

/// The parsed command line.
struct Options {
  /// The command (start when none is given).
  Command command = Command::Start;
  /// `-f/--procfile`; when unset, `$PROCFILE`, then `Procfile`.
  std::optional<std::string> procfile;
  /// `-d/--root`; when unset, the Procfile's folder.
  std::optional<std::string> root;
  /// `-e/--env` files, in order (later files win). Unset: `.env` in the root, if present.
  std::optional<std::vector<std::string>> env_files;
  /// `-m/--formation` and `-c/--concurrency`, accumulated.
  Formation formation;
  /// `-p/--port`; when unset, `$PORT` (after the .env files are applied), then 5000.
  std::optional<int> port;
  /// `-t/--timeout`: the grace period between the graceful signal and the kill.
  std::chrono::milliseconds timeout{5000};
  /// `--color`/`--no-color`.
  ColorMode color = ColorMode::Auto;
  /// False with `--no-timestamp`.
  bool timestamps = true;
  /// False with `--no-prefix` (no timestamp and no label: the bare lines).
  bool prefix = true;
  /// False with `--separate-stderr`: each process's stderr gets a pipe of its own instead of
  /// sharing its stdout's, which keeps the order of its lines.
  bool merge_stderr = true;
  /// `--max-line-length`: a longer line is printed in pieces of this many bytes, each with the
  /// process's prefix; bounds the memory of each process's output.
  std::size_t max_line_length = 1024 * 1024;
  /// `--can-die` and `--restart`: the processes that may end by themselves.
  EndRules end_rules;
  /// For `start`: the process types to run (all when empty).
  std::vector<std::string> processes;
  /// For `run`: the command and its arguments.
  std::vector<std::string> run_argv;
};

/// Parses the arguments after argv[0]. Options may come before or after the command word and the
/// process names, as `-f FILE`, `-fFILE`, `--procfile FILE` or `--procfile=FILE`; `--` ends the
/// options; for `run`, everything from CMD on belongs to CMD. Errors (`errc::invalid_argument`)
/// name the bad option or value.
Result<Options> parse_options(const std::vector<std::string>& args);

/// Parses a duration in seconds: `5`, `0.5`, `2.25` (at most 3600). False on anything else.
bool parse_seconds(const std::string& text, std::chrono::milliseconds& out);

/// The `--help` text.
std::string help_text();

/// The `--version` text, e.g. "modhost 0.1.0\n".
std::string version_text();

}  // namespace modhost::cli
