// `modhost export supervisord`: one include file with a program per instance and a group.

#include "export.hpp"

namespace modhost::cli {

namespace {

// A value in supervisord's quoting (its environment= and command= are split like a POSIX shell
// would): double quotes with '\' and '"' escaped, and '%' doubled (supervisord expands
// %(name)s everywhere). A newline cannot be written in its INI format.
Result<std::string> quoted(const std::string& text, const std::string& what) {
  std::string out = "\"";
  for (char c : text) {
    switch (c) {
      case '\\': out += "\\\\"; break;
      case '"': out += "\\\""; break;
      case '%': out += "%%"; break;
      case '\n':
      case '\r':
        return Error(errc::invalid_argument,
                     what + " has a line break, which a supervisord file cannot hold");
      default: out.push_back(c);
    }
  }
  return out + "\"";
}

// "web.2" -> "web-2": supervisord's program names, as foreman writes them.
std::string dashed(const std::string& label) {
  std::string out = label;
  for (char& c : out) {
    if (c == '.') c = '-';
  }
  return out;
}

}  // namespace

Result<std::vector<ExportFile>> export_supervisord(const ExportSpec& spec) {
  const std::string log_dir = spec.log_dir ? *spec.log_dir : "/var/log/" + spec.app;
  // supervisord waits whole seconds; rounded up, so the grace is never shorter than asked.
  const long long wait_secs = (spec.timeout.count() + 999) / 1000;
  std::string text =
      "; supervisord programs of " + percent_escaped(spec.app) + ", exported by modhost\n";
  std::string programs;
  for (const InstancePlan& p : spec.plan) {
    const std::string name = spec.app + "-" + dashed(p.label);
    std::string environment;
    auto add_env = [&](const std::string& key, const std::string& value) -> Result<void> {
      Result<std::string> q = quoted(value, "the value of " + key);
      if (!q) return q.error();
      environment += (environment.empty() ? "" : ",") + key + "=" + *q;
      return ok_result();
    };
    for (const auto& kv : spec.env.items()) {
      // The instance's own PORT and PS win over the .env, as in `start`.
      if (kv.first == "PORT" || kv.first == "PS") continue;
      if (Result<void> r = add_env(kv.first, kv.second); !r) return r.error();
    }
    if (Result<void> r = add_env("PORT", std::to_string(p.port)); !r) return r.error();
    if (Result<void> r = add_env("PS", p.label); !r) return r.error();
    ShellCommand shell = service_shell_command(p.command);
    std::string command = shell.program;
    for (const std::string& a : shell.args) {
      Result<std::string> q = quoted(a, "the command of " + p.name);
      if (!q) return q.error();
      command += " " + *q;
    }
    text += "\n[program:" + name + "]\n";
    text += "command=" + command + "\n";
    text += "directory=" + percent_escaped(spec.root) + "\n";
    text += "environment=" + environment + "\n";
    if (spec.user) text += "user=" + percent_escaped(*spec.user) + "\n";
    text += "autostart=true\n";
    text += "autorestart=true\n";
    text += "stopsignal=TERM\n";
    text += "stopwaitsecs=" + std::to_string(wait_secs) + "\n";
    // The whole tree gets the signal and, after the grace, the kill.
    text += "stopasgroup=true\n";
    text += "killasgroup=true\n";
    const std::string log_stem = log_dir + "/" + dashed(p.label);
    text += "stdout_logfile=" + percent_escaped(log_stem + ".out.log") + "\n";
    text += "stderr_logfile=" + percent_escaped(log_stem + ".err.log") + "\n";
    programs += (programs.empty() ? "" : ",") + name;
  }
  text += "\n[group:" + spec.app + "]\n";
  text += "programs=" + programs + "\n";
  return std::vector<ExportFile>{{spec.app + ".conf", text}};
}

}  // namespace modhost::cli
