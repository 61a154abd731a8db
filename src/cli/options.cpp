#include "options.hpp"

#include <optional>
#include <string>
#include <string_view>

#include "procfile.hpp"
#include "text.hpp"

namespace modhost::cli {

namespace {

constexpr const char* kVersion = "0.1.0";

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
        Result<void> r = option(arg);
        if (!r) return r.error();
        if (opts_.command == Command::Help || opts_.command == Command::Version) return opts_;
        continue;
      }
      if (!command_seen && opts_.processes.empty() &&
          (arg == "start" || arg == "run" || arg == "check")) {
        command_seen = true;
        opts_.command = arg == "start" ? Command::Start
                        : arg == "run" ? Command::Run
                                       : Command::Check;
        continue;
      }
      if (opts_.command == Command::Run) {
        opts_.run_argv.push_back(arg);
      } else if (opts_.command == Command::Check) {
        return usage_error("check takes no process names, got \"" + arg + "\"");
      } else {
        opts_.processes.push_back(arg);
      }
    }
    if (opts_.command == Command::Run && opts_.run_argv.empty()) {
      return usage_error("run needs a command, e.g. modhost run env");
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
      return ok_result();
    }
    if (arg.rfind("--color=", 0) == 0 || arg.rfind("--colour=", 0) == 0) {
      std::string v = arg.substr(arg.find('=') + 1);
      if (v == "auto") opts_.color = ColorMode::Auto;
      else if (v == "always") opts_.color = ColorMode::Always;
      else if (v == "never") opts_.color = ColorMode::Never;
      else return usage_error("--color must be auto, always or never, not \"" + v + "\"");
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
      case 't':
        if (!parse_seconds(value, opts_.timeout)) {
          return usage_error(flag + " must be a number of seconds (0 to 3600), not \"" + value +
                             "\"");
        }
        break;
      default:
        break;
    }
    return ok_result();
  }

  const std::vector<std::string>& args_;
  std::size_t i_ = 0;
  Options opts_;
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

std::string help_text() {
  return R"(modhost - run the processes of a Procfile, like foreman and honcho

Usage:
  modhost [start] [OPTIONS] [PROCESS...]   run every process (or only those named)
  modhost run [OPTIONS] CMD [ARGS...]      run one command with the .env applied
  modhost check [OPTIONS]                  validate the Procfile and list its processes
  modhost --help | --version

Options:
  -f, --procfile FILE     the Procfile (default: $PROCFILE, else ./Procfile)
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

Each process runs under /bin/sh -c (cmd.exe /d /s /c on Windows) in its own process group,
in the root, with stdin from the null device, and PS=NAME.N and PORT in its environment; a
command that is one simple command is run with "exec", so the program itself gets the
signals. When one process exits (unless --can-die or --restart names it), on SIGINT,
SIGTERM or SIGHUP, or when stdout is closed, every process gets SIGTERM at once, pending
restarts are cancelled, and whatever is left after --timeout is killed; a second Ctrl-C
kills at once. SIGUSR1 and SIGUSR2 are forwarded. Output that stdout does not take (a pipe
nobody reads) never holds up a stop: after --timeout it is dropped, and stderr says how much.
The exit code is that of the process that exited first (128 + N if signal N ended it),
128 + N when signal N stopped modhost (130 for Ctrl-C), 0 when every process ended and each
was allowed to, and 1 for bad input.
)";
}

}  // namespace modhost::cli
