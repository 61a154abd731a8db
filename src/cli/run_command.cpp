#include "run_command.hpp"

#include <mutex>
#include <vector>

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

  // The watcher starts before the spawn so that no signal is lost: one that arrives before the
  // pid is known (the command may already be running and visible) is held and sent right after.
  std::mutex mutex;
  ProcessId pid = 0;
  bool ended = false;
  std::vector<Signal> held;
  auto watcher = SignalWatcher::start([&](const SignalEvent& e) {
    // A signal from the terminal (Ctrl-C) went to the whole foreground group, the command
    // included: forwarding it would deliver it twice.
    if (!e.sent_by_process) return;
    std::lock_guard<std::mutex> lock(mutex);
    if (ended) return;
    if (pid == 0) {
      held.push_back(e.signal);
    } else {
      (void)signal_process(pid, e.signal);
    }
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
  {
    std::lock_guard<std::mutex> lock(mutex);
    pid = child->pid();
    for (Signal sig : held) (void)signal_process(pid, sig);
  }
  Result<ExitStatus> status = child->wait();
  {
    // Not forwarded any more: once reaped, the id may belong to another process.
    std::lock_guard<std::mutex> lock(mutex);
    ended = true;
  }
  if (!status) {
    write_stderr("modhost: error: " + status.error().message() + "\n");
    return 1;
  }
  return status->shell_code();
}

}  // namespace modhost::cli
