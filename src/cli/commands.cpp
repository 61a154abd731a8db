#include "commands.hpp"

#include <cstdlib>

#include "config.hpp"
#include "defaults.hpp"
#include "export.hpp"
#include "options.hpp"
#include "output.hpp"
#include "run_command.hpp"
#include "supervisor.hpp"
#include "terminal.hpp"
#include "modhost_platform.hpp"

namespace modhost::cli {

namespace {

int fail(const std::string& message) {
  detail::write_stderr("modhost: error: " + message + "\n");
  return 1;
}

// foreman drops bad lines (of the Procfile and the .env files) silently; these warnings say which
// line was skipped and why.
void print_warnings(const ProjectConfig& cfg) {
  for (const ParseWarning& w : cfg.procfile.warnings) {
    detail::write_stderr("modhost: warning: " + cfg.procfile_path + ":" + std::to_string(w.line) + ": " +
                 w.message + "\n");
  }
  for (const std::string& w : cfg.env_warnings) detail::write_stderr("modhost: warning: " + w + "\n");
}

int check(const Options& options) {
  Result<ProjectConfig> cfg = load_project(options);
  if (!cfg) return fail(cfg.error().message());
  print_warnings(*cfg);
  if (!options.formation.counts.empty() || options.formation.all) {
    Result<std::vector<InstancePlan>> plan =
        plan_instances(cfg->procfile, options.formation, {}, cfg->base_port);
    if (!plan) return fail(plan.error().message());
  }
  std::string text = "valid procfile detected (" + entry_names(cfg->procfile) + ")\n";
  return write_stdout(text) == WriteStatus::Ok ? 0 : 1;
}

// `modhost export FORMAT DIR`: the project loaded as for start, written as service files.
int export_project(const Options& options) {
  if (!is_export_format(options.export_format)) {
    return fail("unknown export format \"" + options.export_format +
                "\" (formats: systemd, supervisord)");
  }
  Result<ProjectConfig> cfg = load_project(options);
  if (!cfg) return fail(cfg.error().message());
  print_warnings(*cfg);
  Result<std::vector<InstancePlan>> plan =
      plan_instances(cfg->procfile, options.formation, {}, cfg->base_port);
  if (!plan) return fail(plan.error().message());
  ExportSpec spec;
  spec.app = options.app ? *options.app : default_app_name(cfg->root);
  spec.user = options.user;
  spec.log_dir = options.log_dir;
  spec.root = cfg->root;
  spec.timeout = options.timeout;
  spec.env = cfg->env;
  spec.plan = std::move(*plan);
  Result<std::vector<ExportFile>> files = export_files(options.export_format, spec);
  if (!files) return fail(files.error().message());
  Result<void> written = write_export(options.export_dir, *files);
  if (!written) return fail(written.error().message());
  std::string text;
  for (const ExportFile& f : *files) text += "wrote " + join_path(options.export_dir, f.name) + "\n";
  return write_stdout(text) == WriteStatus::Ok ? 0 : 1;
}

int start(const Options& options) {
  Result<ProjectConfig> cfg = load_project(options);
  if (!cfg) return fail(cfg.error().message());
  print_warnings(*cfg);
  Result<std::vector<InstancePlan>> plan =
      plan_instances(cfg->procfile, options.formation, options.processes, cfg->base_port);
  if (!plan) return fail(plan.error().message());

  OutputStyle style;
  bool tty = stdout_is_terminal();
  style.color = decide_color(options.color, tty, std::getenv("NO_COLOR"), std::getenv("TERM")) &&
                enable_terminal_colors();
  style.timestamps = options.timestamps;
  style.prefix = options.prefix;
  std::vector<std::string> labels;
  for (const auto& p : *plan) labels.push_back(p.label);
  style.label_width = label_width(labels);
  OutputWriter out(style, &write_stdout);
  return run_start(options, *cfg, *plan, out);
}

}  // namespace

int tool_main(const std::vector<std::string>& args) {
  Result<Options> options = parse_options(args);
  if (!options) return fail(options.error().message());
  if (options->command == Command::Start || options->command == Command::Check ||
      options->command == Command::Run || options->command == Command::Export) {
    std::vector<std::string> warnings;
    Result<void> defaults = apply_project_defaults(*options, warnings);
    for (const std::string& w : warnings) detail::write_stderr("modhost: warning: " + w + "\n");
    if (!defaults) return fail(defaults.error().message());
  }
  switch (options->command) {
    case Command::Help:
      return write_stdout(help_text(options->help_topic)) == WriteStatus::Ok ? 0 : 1;
    case Command::Version: return write_stdout(version_text()) == WriteStatus::Ok ? 0 : 1;
    case Command::Check: return check(*options);
    case Command::Run: return run_command(*options);
    case Command::Start: return start(*options);
    case Command::Export: return export_project(*options);
  }
  return 1;
}

}  // namespace modhost::cli
