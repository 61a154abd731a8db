#pragma once
// `modhost export FORMAT DIR`: service definitions for the Procfile, in foreman's layout. The
// formats are in their own files (export_systemd.cpp, export_supervisord.cpp); export.cpp loads
// the project and writes the files.

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "dotenv.hpp"
#include "formation.hpp"
#include "options.hpp"
#include "shell.hpp"
#include "modhost/result.hpp"

namespace modhost::cli {

/// What an exporter needs, resolved.
struct ExportSpec {
  /// The application's name: the prefix of every file and unit.
  std::string app;
  /// The user the processes run as; unset: the service manager's default.
  std::optional<std::string> user;
  /// The folder of the log files; unset: the format's default.
  std::optional<std::string> log_dir;
  /// The folder the processes run in, absolute.
  std::string root;
  /// The grace period between the graceful signal and the kill.
  std::chrono::milliseconds timeout{5000};
  /// The .env variables, in order; each instance's PORT and PS come after them.
  EnvVars env;
  /// The instances, in Procfile order then instance order.
  std::vector<InstancePlan> plan;
};

/// One file to write: its name within the export folder, and its text.
struct ExportFile {
  /// The file's name, without a folder.
  std::string name;
  /// Its whole text.
  std::string text;
};

/// systemd units: `APP.target` (wants every instance; installed in multi-user.target) and
/// `APP-NAME.N.service` per instance (PORT, PS, the .env, WorkingDirectory, KillMode=control-group,
/// TimeoutStopSec, Restart=always, User= when given, logs appended to LOGDIR/NAME.N.log when a log
/// folder is given, else the journal). Values are quoted by systemd's rules (`%` and `$`
/// escaped). Pure.
std::vector<ExportFile> export_systemd(const ExportSpec& spec);

/// A supervisord include file `APP.conf`: a `[program:APP-NAME-N]` per instance (command,
/// directory, environment with PORT and PS, stopsignal TERM, stopwaitsecs from the timeout,
/// stopasgroup and killasgroup, autorestart, log files LOGDIR/NAME-N.out.log and .err.log, default
/// /var/log/APP; user when given) and a `[group:APP]` listing them. Errors
/// (`errc::invalid_argument`): a value with a newline, which supervisord's format cannot hold.
/// Pure.
Result<std::vector<ExportFile>> export_supervisord(const ExportSpec& spec);

/// The command line of a service: `/bin/sh -c COMMAND`, with `exec` in front of a simple command
/// as `start` runs it on POSIX, whatever system the export runs on (the files are for Linux
/// service managers). Pure.
ShellCommand service_shell_command(const std::string& command);

/// `text` with every `%` doubled: both systemd and supervisord read `%` as the start of a
/// specifier (systemd) or an expansion (supervisord), even in values they take unquoted (paths,
/// names). Pure.
std::string percent_escaped(const std::string& text);

/// The application's name for `-a`'s default: the last component of `root`, with every character
/// a unit or program name cannot hold (anything but letters, digits, `_`, `-`, `.`) made `-`;
/// "app" when nothing is left. Pure.
std::string default_app_name(const std::string& root);

/// True for the formats export_files() knows: `systemd`, `supervisord`.
bool is_export_format(const std::string& format) noexcept;

/// Renders `spec` in `format` (see is_export_format). Errors: those of the format.
Result<std::vector<ExportFile>> export_files(const std::string& format, const ExportSpec& spec);

/// Writes `files` into the existing folder `dir`, replacing files of the same names. Errors name
/// the file and the OS reason (`cannot write out/app.target: No such file or directory`).
Result<void> write_export(const std::string& dir, const std::vector<ExportFile>& files);

}  // namespace modhost::cli
