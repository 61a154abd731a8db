#include "run_command.hpp"

#include <atomic>

#include "config.hpp"
#include "signals.hpp"
#include "terminal.hpp"
#include "modhost/child_process.hpp"

namespace modhost::cli {

int run_command(const Options& options) {
  std::string root = resolve_root(options, procfile_path(options));
  EnvVars env;
  std::vector<std::string> used;
  Result<void> loaded = load_env_files(options, root, env, used);
  if (!loaded) {
    write_stderr("modhost: error: " + loaded.error().message() + "\n");
    return 1;
  }

  SpawnOptions so;
  so.program = options.run_argv.front();
  so.args.assign(options.run_argv.begin() + 1, options.run_argv.end());
  for (const auto& kv : env.items()) so.env.emplace_back(kv.first, kv.second);
  if (options.root) so.working_directory = root;
  so.stdin_mode = Stdio::Inherit;
  so.stdout_mode = Stdio::Inherit;
  so.stderr_mode = Stdio::Inherit;
  // Same process group as the tool: the command stays in the terminal's foreground group, so it
  // may read the terminal and gets Ctrl-C from it directly, like a command run without modhost.
  so.new_process_group = false;

  // The watcher starts before the spawn so that no signal falls between the two; until the pid
  // is known there is nobody to forward to.
  std::atomic<ProcessId> pid{0};
  auto watcher = SignalWatcher::start([&pid](const SignalEvent& e) {
    // A signal from the terminal (Ctrl-C) went to the whole foreground group, the command
    // included: forwarding it would deliver it twice.
    if (!e.sent_by_process) return;
    ProcessId target = pid.load();
    if (target > 0) (void)signal_process(target, e.signal);
  });
  if (!watcher) {
    write_stderr("modhost: error: " + watcher.error().message() + "\n");
    return 1;
  }
  Result<ChildProcess> child = ChildProcess::spawn(so);
  if (!child) {
    write_stderr("modhost: error: " + child.error().message() + "\n");
    return 127;
  }
  pid.store(child->pid());
  Result<ExitStatus> status = child->wait();
  // Not forwarded any more: once reaped, the id may belong to another process.
  pid.store(0);
  if (!status) {
    write_stderr("modhost: error: " + status.error().message() + "\n");
    return 1;
  }
  return status->shell_code();
}

}  // namespace modhost::cli
