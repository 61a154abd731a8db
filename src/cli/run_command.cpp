#include "run_command.hpp"

#include <mutex>
#include <optional>
#include <vector>

#include "config.hpp"
#include "reaper.hpp"
#include "shell.hpp"
#include "signals.hpp"
#include "terminal.hpp"
#include "modhost/child_process.hpp"
#include "modhost_platform.hpp"

namespace modhost::cli {

namespace {

// The Procfile entry `modhost run NAME` names: only for a single word, and only when the Procfile
// can be read and defines it (otherwise NAME is a command, as in foreman).
std::optional<ProcfileEntry> procfile_entry(const Options& options) {
  if (options.run_argv.size() != 1) return std::nullopt;
  Result<std::string> text = read_text_file(procfile_path(options));
  if (!text) return std::nullopt;
  Result<Procfile> procfile = parse_procfile(*text);
  if (!procfile) return std::nullopt;
  std::size_t at = procfile->index_of(options.run_argv.front());
  if (at == procfile->entries.size()) return std::nullopt;
  return procfile->entries[at];
}

}  // namespace

int run_command(const Options& options) {
  std::string root = resolve_root(options, procfile_path(options));
  EnvVars env;
  std::vector<std::string> used;
  std::vector<std::string> warnings;
  Result<void> loaded = load_env_files(options, root, env, used, warnings);
  for (const std::string& w : warnings) detail::write_stderr("modhost: warning: " + w + "\n");
  if (!loaded) {
    detail::write_stderr("modhost: error: " + loaded.error().message() + "\n");
    return 1;
  }

  SpawnOptions so;
  for (const auto& kv : env.items()) so.env.emplace_back(kv.first, kv.second);
  const std::size_t env_files_only = so.env.size();
  std::optional<ProcfileEntry> entry = procfile_entry(options);
  bool direct = false;
  if (entry) {
    // `modhost run web` runs the Procfile's web command, as foreman does, in the root and the
    // way start would.
    ShellCommand run = start_command(entry->command, root, env.value_for_child("PATH"),
                                     env.value_for_child("PWD"));
    so.program = run.program;
    so.args = run.args;
    so.env.insert(so.env.end(), run.env.begin(), run.env.end());
    so.working_directory = root;
    direct = run.direct;
  } else {
    so.program = options.run_argv.front();
    so.args.assign(options.run_argv.begin() + 1, options.run_argv.end());
    if (options.root) so.working_directory = root;
  }
  so.stdin_mode = Stdio::Inherit;
  so.stdout_mode = Stdio::Inherit;
  so.stderr_mode = Stdio::Inherit;
  // Same process group as the tool: the command stays in the terminal's foreground group, so it
  // may read the terminal and gets Ctrl-C from it directly, like a command run without modhost.
  so.new_process_group = false;

  // The watcher starts before the spawn so that no signal is lost: one that arrives before the
  // child exists (the command may already be running and visible) is held and sent right after.
  // Signals go through the ChildProcess, which refuses once the child is reaped, so one that comes
  // as the command ends can never reach a process that took over its id.
  std::mutex mutex;
  ChildProcess* target = nullptr;  // guarded by mutex; set while `child` lives
  std::vector<Signal> held;
  auto watcher = SignalWatcher::start([&](const SignalEvent& e) {
    // A signal from the terminal (Ctrl-C) went to the whole foreground group, the command
    // included: forwarding it would deliver it twice.
    if (!e.sent_by_process) return;
    std::lock_guard<std::mutex> lock(mutex);
    if (target == nullptr) {
      held.push_back(e.signal);
    } else {
      (void)target->send_signal(signal_number(e.signal));
    }
  });
  if (!watcher) {
    detail::write_stderr("modhost: error: " + watcher.error().message() + "\n");
    return 1;
  }
  // As PID 1 of a container, `modhost run` reaps what the command leaves behind (see reaper.hpp).
  if (Result<void> reaper = start_orphan_reaper(); !reaper) {
    detail::write_stderr("modhost: warning: cannot reap orphaned processes: " + reaper.error().message() +
                 "\n");
  }
  Result<ChildProcess> child = ChildProcess::spawn(so);
  if (!child && direct) {
    // What the spawn could not start, the shell gets to try and to report as it always did.
    ShellCommand shell = shell_command(entry->command);
    so.program = shell.program;
    so.args = shell.args;
    so.env.resize(env_files_only);  // the shell exports a PWD of its own
    child = ChildProcess::spawn(so);
  }
  if (!child) {
    detail::write_stderr("modhost: error: " + child.error().message() + "\n");
    return 127;
  }
  {
    std::lock_guard<std::mutex> lock(mutex);
    target = &*child;
    for (Signal sig : held) (void)target->send_signal(signal_number(sig));
  }
  Result<ExitStatus> status = child->wait();
  {
    // The watcher outlives `child`: it must not reach it any more.
    std::lock_guard<std::mutex> lock(mutex);
    target = nullptr;
  }
  if (!status) {
    detail::write_stderr("modhost: error: " + status.error().message() + "\n");
    return 1;
  }
  return status->shell_code();
}

}  // namespace modhost::cli
