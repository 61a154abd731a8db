#pragma once
// The command line of the modhost tool: `modhost [start] [PROCESS...]`, `modhost run CMD...`,
// `modhost check`, `modhost export FORMAT DIR`, `modhost help [COMMAND]`, `modhost version` (and
// `--help`, `--version`), and the options foreman and honcho users know.

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
enum class Command { Start, Run, Check, Help, Version, Export };

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
  /// True when `-t` was given (a defaults file may set the timeout only otherwise).
  bool timeout_given = false;
  /// `--color`/`--no-color`.
  ColorMode color = ColorMode::Auto;
  /// True when a colour option was given (a defaults file may set it only otherwise).
  bool color_given = false;
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
  /// For `export`: the format (`systemd`, `supervisord`) and the folder the files go to.
  std::string export_format;
  /// For `export`: the folder the files are written to (it must exist).
  std::string export_dir;
  /// `-a/--app` (export): the application's name; unset: the root folder's name.
  std::optional<std::string> app;
  /// `-u/--user` (export): the user the processes run as; unset: the service manager's default.
  std::optional<std::string> user;
  /// `-l/--log` (export): the folder of the log files; unset: /var/log/APP (supervisord) or the
  /// journal (systemd).
  std::optional<std::string> log_dir;
  /// For `help`: the command to describe (`modhost help start`, `modhost start --help`); empty
  /// for the general help.
  std::string help_topic;
};

/// Parses the arguments after argv[0]. Options may come before or after the command word and the
/// process names, as `-f FILE`, `-fFILE`, `--procfile FILE` or `--procfile=FILE`; `--` ends the
/// options; for `run`, everything from CMD on belongs to CMD. Errors (`errc::invalid_argument`)
/// name the bad option or value.
Result<Options> parse_options(const std::vector<std::string>& args);

/// Parses a duration in seconds: `5`, `0.5`, `2.25` (at most 3600). False on anything else.
bool parse_seconds(const std::string& text, std::chrono::milliseconds& out);

/// The `--help` text: the general one for an empty `topic`, else the help of that command
/// (start, run, check, help, version). An unknown topic gets the general text (the parser
/// refuses unknown topics before).
std::string help_text(const std::string& topic = {});

/// True when `word` is one of the tool's command words.
bool is_command_word(const std::string& word) noexcept;

/// The `--version` text, e.g. "modhost 0.1.0\n".
std::string version_text();

}  // namespace modhost::cli
