// `modhost export systemd`: a target for the application and one service unit per instance.

#include "export.hpp"

namespace modhost::cli {

namespace {

// A word in systemd's quoting: double quotes, with backslash escapes for '\', '"' and a newline,
// and '%' doubled (systemd expands %-specifiers everywhere). `dollar` doubles '$' too, for
// ExecStart=, where systemd substitutes $VARIABLES.
std::string quoted(const std::string& text, bool dollar) {
  std::string out = "\"";
  for (char c : text) {
    switch (c) {
      case '\\': out += "\\\\"; break;
      case '"': out += "\\\""; break;
      case '\n': out += "\\n"; break;
      case '%': out += "%%"; break;
      case '$': out += dollar ? "$$" : "$"; break;
      default: out.push_back(c);
    }
  }
  return out + "\"";
}

std::string unit_name(const ExportSpec& spec, const InstancePlan& p) {
  return spec.app + "-" + p.label + ".service";
}

std::string service(const ExportSpec& spec, const InstancePlan& p) {
  std::string t;
  t += "[Unit]\n";
  t += "Description=" + percent_escaped(spec.app + " " + p.label) + " (exported by modhost)\n";
  t += "PartOf=" + spec.app + ".target\n";
  t += "StopWhenUnneeded=yes\n";
  t += "\n[Service]\n";
  if (spec.user) t += "User=" + percent_escaped(*spec.user) + "\n";
  t += "WorkingDirectory=" + percent_escaped(spec.root) + "\n";
  // The .env first: the instance's own PORT and PS come later and win, as in `start`.
  for (const auto& kv : spec.env.items()) {
    t += "Environment=" + quoted(kv.first + "=" + kv.second, false) + "\n";
  }
  t += "Environment=" + quoted("PORT=" + std::to_string(p.port), false) + "\n";
  t += "Environment=" + quoted("PS=" + p.label, false) + "\n";
  ShellCommand shell = service_shell_command(p.command);
  t += "ExecStart=" + shell.program;
  for (const std::string& a : shell.args) t += " " + quoted(a, true);
  t += "\n";
  t += "Restart=always\n";
  t += "StandardInput=null\n";
  if (spec.log_dir) {
    t += "StandardOutput=append:" + percent_escaped(*spec.log_dir + "/" + p.label + ".log") + "\n";
    t += "StandardError=inherit\n";
  }
  t += "SyslogIdentifier=" + spec.app + "-" + p.label + "\n";
  // The whole tree gets the stop signal, as `modhost start` stops a process group.
  t += "KillMode=control-group\n";
  // 0 would mean "no timeout" to systemd; a grace of 0 means "kill at once" here.
  long long ms = spec.timeout.count() > 0 ? spec.timeout.count() : 1;
  t += "TimeoutStopSec=" + std::to_string(ms) + "ms\n";
  return t;
}

}  // namespace

std::vector<ExportFile> export_systemd(const ExportSpec& spec) {
  std::vector<ExportFile> files;
  std::string wants;
  for (const InstancePlan& p : spec.plan) {
    files.push_back({unit_name(spec, p), service(spec, p)});
    wants += (wants.empty() ? "" : " ") + unit_name(spec, p);
  }
  std::string target;
  target += "[Unit]\n";
  target += "Description=" + percent_escaped(spec.app) + " (exported by modhost)\n";
  target += "Wants=" + wants + "\n";
  target += "\n[Install]\n";
  target += "WantedBy=multi-user.target\n";
  files.insert(files.begin(), ExportFile{spec.app + ".target", target});
  return files;
}

}  // namespace modhost::cli
