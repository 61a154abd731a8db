#include "options.hpp"

#include <optional>
#include <string>
#include <string_view>

#include "procfile.hpp"
#include "strings.hpp"

namespace modhost::cli {

namespace {

constexpr const char* kVersion = "0.1.0";

// The command words, for messages; is_command_word() knows the same ones.
constexpr const char* kCommandList = "start, run, check, export, help, version";

// The largest --max-line-length: 64 MiB per stream is already far more than any log line needs.
constexpr int kMaxLineLengthLimit = 64 * 1024 * 1024;

Error usage_error(const std::string& what) {
  return Error(errc::invalid_argument, what + " (see modhost --help)");
}

// The options that take a value, by their short and long spellings.
struct ValueOption {
  char short_name;
  const char* long_name;
};
constexpr ValueOption kValueOptions[] = {
    {'f', "procfile"}, {'d', "root"},        {'e', "env"},     {'m', "formation"},
    {'c', "concurrency"}, {'p', "port"},     {'t', "timeout"},
    {'a', "app"},         {'u', "user"},     {'l', "log"},
};

class Parser {
 public:
  explicit Parser(const std::vector<std::string>& args) : args_(args) {}

  Result<Options> run() {
    bool options_ended = false;
    bool command_seen = false;
    for (i_ = 0; i_ < args_.size(); ++i_) {
      const std::string& arg = args_[i_];
      if (opts_.command == Command::Run && !opts_.run_argv.empty()) {
        opts_.run_argv.push_back(arg);
        continue;
      }
      if (!options_ended && arg == "--") {
        options_ended = true;
        continue;
      }
      if (!options_ended && arg.size() > 1 && arg[0] == '-') {
        const Command before = opts_.command;
        Result<void> r = option(arg);
        if (!r) return r.error();
        if (opts_.command == Command::Help || opts_.command == Command::Version) {
          // `modhost start --help` describes start; `modhost help --version` is still help.
          if (before == Command::Help) opts_.command = Command::Help;
          if (command_seen && opts_.help_topic.empty() && before != Command::Help &&
              before != Command::Version) {
            opts_.help_topic = command_word_;
          }
          return opts_;
        }
        continue;
      }
      if (!command_seen && opts_.processes.empty() && is_command_word(arg)) {
        command_seen = true;
        command_word_ = arg;
        opts_.command = arg == "start"     ? Command::Start
                        : arg == "run"     ? Command::Run
                        : arg == "check"   ? Command::Check
                        : arg == "help"    ? Command::Help
                        : arg == "export"  ? Command::Export
                                           : Command::Version;
        continue;
      }
      if (opts_.command == Command::Run) {
        opts_.run_argv.push_back(arg);
      } else if (opts_.command == Command::Check) {
        return usage_error("check takes no process names, got \"" + arg + "\"");
      } else if (opts_.command == Command::Export) {
        if (opts_.export_format.empty()) {
          opts_.export_format = arg;
        } else if (opts_.export_dir.empty()) {
          opts_.export_dir = arg;
        } else {
          return usage_error("export takes a format and a folder, got \"" + arg + "\" too");
        }
      } else if (opts_.command == Command::Version) {
        return usage_error("version takes no arguments, got \"" + arg + "\"");
      } else if (opts_.command == Command::Help) {
        if (!opts_.help_topic.empty()) {
          return usage_error("help takes one command name, got \"" + arg + "\" too");
        }
        if (!is_command_word(arg)) {
          return usage_error("unknown command \"" + arg + "\" (commands: " + kCommandList + ")");
        }
        opts_.help_topic = arg;
      } else {
        opts_.processes.push_back(arg);
      }
    }
    if (opts_.command == Command::Run && opts_.run_argv.empty()) {
      return usage_error("run needs a command, e.g. modhost run env");
    }
    if (opts_.command == Command::Export && opts_.export_dir.empty()) {
      return usage_error("export needs a format and a folder, e.g. modhost export systemd out");
    }
    return opts_;
  }

 private:
  Result<void> option(const std::string& arg) {
    if (arg == "-h" || arg == "--help") {
      opts_.command = Command::Help;
      return ok_result();
    }
    if (arg == "-v" || arg == "--version") {
      opts_.command = Command::Version;
      return ok_result();
    }
    if (arg == "--no-color" || arg == "--no-colour") {
      opts_.color = ColorMode::Never;
      opts_.color_given = true;
      return ok_result();
    }
    if (arg == "--no-timestamp") {
      opts_.timestamps = false;
      return ok_result();
    }
    if (arg == "--no-prefix") {
      opts_.prefix = false;
      return ok_result();
    }
    if (arg == "--separate-stderr") {
      opts_.merge_stderr = false;
      return ok_result();
    }
    if (std::optional<std::string> v = long_value(arg, "--can-die")) {
      return add_names("--can-die", *v, opts_.end_rules.can_die, nullptr);
    }
    if (std::optional<std::string> v = long_value(arg, "--restart")) {
      return add_names("--restart", *v, opts_.end_rules.restart, &opts_.end_rules.restart_all);
    }
    if (std::optional<std::string> v = long_value(arg, "--max-line-length")) {
      int bytes = 0;
      if (!parse_non_negative_int(*v, bytes) || bytes < 1 || bytes > kMaxLineLengthLimit) {
        return usage_error("--max-line-length must be a number of bytes from 1 to " +
                           std::to_string(kMaxLineLengthLimit) + ", not \"" + *v + "\"");
      }
      opts_.max_line_length = static_cast<std::size_t>(bytes);
      return ok_result();
    }
    if (arg == "--color" || arg == "--colour") {
      opts_.color = ColorMode::Always;
      opts_.color_given = true;
      return ok_result();
    }
    if (arg.rfind("--color=", 0) == 0 || arg.rfind("--colour=", 0) == 0) {
      std::string v = arg.substr(arg.find('=') + 1);
      if (v == "auto") opts_.color = ColorMode::Auto;
      else if (v == "always") opts_.color = ColorMode::Always;
      else if (v == "never") opts_.color = ColorMode::Never;
      else return usage_error("--color must be auto, always or never, not \"" + v + "\"");
      opts_.color_given = true;
      return ok_result();
    }

    // Options with a value.
    for (const ValueOption& o : kValueOptions) {
      std::string long_flag = std::string("--") + o.long_name;
      std::optional<std::string> value;
      std::string shown;
      if (arg == long_flag || arg == std::string("-") + o.short_name) {
        if (i_ + 1 >= args_.size()) return usage_error(arg + " needs a value");
        value = args_[++i_];
        shown = arg;
      } else if (arg.rfind(long_flag + "=", 0) == 0) {
        value = arg.substr(long_flag.size() + 1);
        shown = long_flag;
      } else if (arg.size() > 2 && arg[0] == '-' && arg[1] == o.short_name) {
        value = arg.substr(2);
        shown = std::string("-") + o.short_name;
      }
      if (value) return apply(o.short_name, shown, *value);
    }
    return usage_error("unknown option \"" + arg + "\"");
  }

  // The value of a long-only option given as `--name VALUE` or `--name=VALUE`; nullopt when
  // `arg` is not that option. A missing value is returned as "", which no such option accepts.
  std::optional<std::string> long_value(const std::string& arg, const std::string& flag) {
    if (arg == flag) return i_ + 1 < args_.size() ? args_[++i_] : std::string();
    if (arg.rfind(flag + "=", 0) == 0) return arg.substr(flag.size() + 1);
    return std::nullopt;
  }

  // Adds the comma-separated process names of `value` to `names`; "all" sets `*all` where the
  // option has it.
  Result<void> add_names(const std::string& flag, const std::string& value,
                         std::vector<std::string>& names, bool* all) {
    bool any = false;
    for (std::string_view part : split(value, ',')) {
      part = trim(part);
      if (part.empty()) continue;
      any = true;
      if (all != nullptr && part == "all") {
        *all = true;
      } else if (is_valid_process_name(part)) {
        names.emplace_back(part);
      } else {
        return usage_error(flag + ": invalid process name \"" + std::string(part) + "\"");
      }
    }
    if (!any) {
      return usage_error(flag + " needs process names, e.g. " + flag +
                         (all != nullptr ? " web,worker or " + flag + " all" : " migrate"));
    }
    return ok_result();
  }

  Result<void> apply(char which, const std::string& flag, const std::string& value) {
    switch (which) {
      case 'f':
        if (value.empty()) return usage_error(flag + " needs a file name");
        opts_.procfile = value;
        break;
      case 'd':
        if (value.empty()) return usage_error(flag + " needs a directory");
        opts_.root = value;
        break;
      case 'e': {
        if (!opts_.env_files) opts_.env_files.emplace();
        for (std::string_view f : split(value, ',')) {
          f = trim(f);
          if (!f.empty()) opts_.env_files->emplace_back(f);
        }
        break;
      }
      case 'm':
      case 'c': {
        Result<void> r = parse_formation(value, opts_.formation);
        if (!r) return usage_error(flag + ": " + r.error().message());
        break;
      }
      case 'p': {
        int port = 0;
        if (!parse_non_negative_int(value, port) || port < 1 || port > 65535) {
          return usage_error(flag + " must be a port number from 1 to 65535, not \"" + value + "\"");
        }
        opts_.port = port;
        break;
      }
      case 'a':
      case 'u':
      case 'l':
        if (value.empty()) return usage_error(flag + " needs a value");
        (which == 'a' ? opts_.app : which == 'u' ? opts_.user : opts_.log_dir) = value;
        break;
      case 't':
        if (!parse_seconds(value, opts_.timeout)) {
          return usage_error(flag + " must be a number of seconds (0 to 3600), not \"" + value +
                             "\"");
        }
        opts_.timeout_given = true;
        break;
      default:
        break;
    }
    return ok_result();
  }

  const std::vector<std::string>& args_;
  std::size_t i_ = 0;
  Options opts_;
  std::string command_word_;  // the command word given, for `COMMAND --help`
};

}  // namespace

bool parse_seconds(const std::string& text, std::chrono::milliseconds& out) {
  std::string_view t = text;
  std::size_t dot = t.find('.');
  std::string_view whole = t.substr(0, dot);
  std::string_view frac = dot == std::string_view::npos ? std::string_view() : t.substr(dot + 1);
  if (whole.empty() && frac.empty()) return false;
  if (dot != std::string_view::npos && frac.empty()) return false;
  int seconds = 0;
  if (!whole.empty() && !parse_non_negative_int(whole, seconds)) return false;
  long millis = 0;
  long scale = 100;
  for (char c : frac) {
    if (c < '0' || c > '9') return false;
    millis += (c - '0') * scale;  // digits past the third are ignored (scale reaches 0)
    scale /= 10;
  }
  if (seconds > 3600 || (seconds == 3600 && millis > 0)) return false;
  out = std::chrono::milliseconds(static_cast<long>(seconds) * 1000 + millis);
  return true;
}

Result<Options> parse_options(const std::vector<std::string>& args) { return Parser(args).run(); }

std::string version_text() { return std::string("modhost ") + kVersion + "\n"; }

bool is_command_word(const std::string& word) noexcept {
  return word == "start" || word == "run" || word == "check" || word == "help" ||
         word == "version" || word == "export";
}

namespace {

// The help of one command: `modhost help COMMAND` and `modhost COMMAND --help`.
std::string command_help(const std::string& topic) {
  if (topic == "start") {
    return R"TXT(Usage: modhost [start] [OPTIONS] [PROCESS...]

Runs every process of the Procfile (or only the PROCESS types named), each in its own
process group, and prints their output with a name column. Stops them all when one exits,
on SIGINT, SIGTERM or SIGHUP, or when stdout is closed. Options: -f, -d, -e, -m/-c, -p, -t,
--color, --no-color, --no-timestamp, --no-prefix (see modhost --help).
)TXT";
  }
  if (topic == "run") {
    return R"TXT(Usage: modhost run [OPTIONS] CMD [ARGS...]

Runs one command with the .env files applied, on the tool's own terminal, and exits with its
code (127 when it cannot be started). CMD is looked up on PATH; a single word that names an
entry of the Procfile runs that entry's command instead (in the root, through the shell), as
foreman does. Signals sent to modhost are forwarded to it. Options: -f, -d, -e (see
modhost --help).
)TXT";
  }
  if (topic == "check") {
    return R"TXT(Usage: modhost check [OPTIONS]

Reads the Procfile and the .env files, warns about lines it skips, and prints
"valid procfile detected (NAMES)"; exits with 1 when the configuration is bad. Options: -f,
-d, -e, -m/-c, -p (see modhost --help).
)TXT";
  }
  if (topic == "export") {
    return R"TXT(Usage: modhost export FORMAT DIR [OPTIONS]

Writes service definitions for the Procfile into the existing folder DIR, one per instance of
the formation, each with its PORT, PS, the .env variables and the root as working directory:
  systemd      APP.target, and APP-NAME.N.service per instance (KillMode=control-group,
               TimeoutStopSec from -t, Restart=always; logs: the journal, or -l DIR/NAME.N.log)
  supervisord  APP.conf: a [program:APP-NAME-N] per instance and a [group:APP] (stopwaitsecs
               from -t, stopasgroup, killasgroup; logs in -l, default /var/log/APP)
Options: -a APP (default: the root folder's name), -u USER (default: none given), -l LOGDIR,
-f, -d, -e, -m/-c, -p, -t (see modhost --help).
)TXT";
  }
  if (topic == "help") {
    return R"TXT(Usage: modhost help [COMMAND]

Shows the general help, or the help of COMMAND (start, run, check, export, help, version).
)TXT";
  }
  return R"TXT(Usage: modhost version

Shows the version, like modhost --version.
)TXT";
}

}  // namespace

std::string help_text(const std::string& topic) {
  if (is_command_word(topic)) return command_help(topic);
  return R"(modhost - run the processes of a Procfile, like foreman and honcho

Usage:
  modhost [start] [OPTIONS] [PROCESS...]   run every process (or only those named)
  modhost run [OPTIONS] CMD [ARGS...]      run one command with the .env applied
  modhost run [OPTIONS] NAME               run the Procfile's entry NAME
  modhost check [OPTIONS]                  validate the Procfile and list its processes
  modhost export FORMAT DIR [OPTIONS]      write systemd or supervisord files (see
                                           modhost help export)
  modhost help [COMMAND]                   this help, or the help of COMMAND
  modhost version                          the version
  modhost --help | --version

Options:
  -f, --procfile FILE     the Procfile (default: PROCFILE from the .env files, else
                          $PROCFILE, else ./Procfile)
  -d, --root DIR          the processes' working directory (default: the Procfile's folder)
  -e, --env FILE[,FILE]   .env files to apply, later files win (default: .env in the root,
                          if present); their values override the inherited environment
  -m, --formation NAME=N[,NAME=N,all=N]
                          how many instances of each process to run (default: all=1)
  -c, --concurrency ...   same as --formation, as in honcho (foreman's -c means colour;
                          use --color here)
  -p, --port N            base port (default: PORT from the .env files or the
                          environment, else 5000); each instance gets
                          PORT = N + 100 x (its line's index in the Procfile) + (instance - 1)
  -t, --timeout SECS      grace period after the graceful signal before the kill (default 5)
  -a, --app NAME          export: the application's name (default: the root folder's name)
  -u, --user USER         export: the user the processes run as
  -l, --log DIR           export: the folder of the log files
      --color[=auto|always|never]
                          colour the output (auto: when stdout is a terminal, NO_COLOR is
                          unset and TERM is not "dumb")
      --no-color          same as --color=never
      --no-timestamp      leave out the HH:MM:SS column
      --no-prefix         leave out the timestamp and the name column
      --separate-stderr   read each process's stderr from a pipe of its own (default: one
                          pipe for stdout and stderr, so their lines keep their order)
      --can-die NAME[,NAME]
                          these processes may end without stopping the others
      --restart NAME[,NAME]|all
                          start these processes again when they end by themselves, after
                          1s, doubling up to 30s while they keep ending within a minute
      --max-line-length BYTES
                          print a longer line in pieces of BYTES, each with the prefix
                          (default 1048576: 1 MiB)
  -h, --help              show this help
  -v, --version           show the version

Defaults: a file .modhost (else foreman's .foreman) in the -d folder or the current one sets
defaults with foreman's keys, one "key: value" a line: procfile, env, formation (or
concurrency), port, timeout, color. Options given on the command line win.

Each process runs under /bin/sh -c (cmd.exe /d /s /c on Windows) in its own process group,
in the root, with stdin from the null device, and PS=NAME.N and PORT in its environment; a
command that is one simple command is run with "exec", so the program itself gets the
signals, and a plain one (no quote, $, glob or redirection) that names an absolute path or a
program on PATH is started without the shell, as sh would have started it. When one process exits (unless --can-die or --restart names it), on SIGINT,
SIGTERM or SIGHUP, or when stdout is closed, every process gets SIGTERM at once, pending
restarts are cancelled, and whatever is left after --timeout is killed; a second Ctrl-C
kills at once. SIGUSR1 and SIGUSR2 are forwarded. Output that stdout does not take (a pipe
nobody reads) never holds up a stop: after --timeout it is dropped, and stderr says how much.
The exit code is that of the process that exited first (128 + N if signal N ended it),
128 + N when signal N stopped modhost (130 for Ctrl-C), 0 when every process ended and each
was allowed to, and 1 for bad input.
On Linux modhost is a child subreaper: processes orphaned by the ones it runs are reparented
to it and reaped, so it can be a container's PID 1 (SIGTERM and SIGINT work there too).
)";
}

}  // namespace modhost::cli
