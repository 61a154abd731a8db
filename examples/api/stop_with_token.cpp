// CancellationToken (modhost/cancellation.hpp): every wait in modhost can be cut short by a
// token. Here a child ignores the polite request to stop, and cancelling the token ends its grace
// period early instead of waiting the full minute.
#include <cstdio>
#include <string>
#include <thread>

#include "modhost/cancellation.hpp"
#include "modhost/child_process.hpp"

int main() {
  modhost::SpawnOptions opts;
  opts.program = "sh";
  // Ignores SIGTERM (exec keeps that), says so, then sleeps: only a kill ends it.
  opts.args = {"-c", "trap '' TERM; echo ready; exec sleep 1000"};
  opts.stdout_mode = modhost::Stdio::Pipe;
  auto child = modhost::ChildProcess::spawn(opts);
  if (!child) {
    std::fprintf(stderr, "%s\n", child.error().message().c_str());
    return 1;
  }
  // Read up to "ready\n", so that the trap is in place before the stop begins.
  modhost::Pipe out = child->take_stdout();
  std::string line;
  char c = 0;
  while (line != "ready\n") {
    auto n = out.read(&c, 1);
    if (!n || *n == 0) return 1;
    line += c;
  }

  // The application's token; a child token is cancelled with it, and could also be on its own.
  modhost::CancellationToken app;
  modhost::CancellationToken stop_token = app.child();
  modhost::CancellationRegistration note =
      stop_token.on_cancel([] { std::printf("token cancelled\n"); });

  // Something else decides to give up waiting: here another thread, as a signal handler's
  // thread or a UI would.
  std::thread quitter([app] { app.cancel(); });
  // SIGTERM to the child's process group, then a grace period of a minute that the token cuts
  // short, then SIGKILL; returns once the child is reaped.
  auto stopped = child->stop(std::chrono::minutes(1), &stop_token);
  quitter.join();
  if (!stopped) {
    std::fprintf(stderr, "%s\n", stopped.error().message().c_str());
    return 1;
  }
  std::printf("graceful request sent: %s\n", stopped->graceful_sent ? "yes" : "no");
  std::printf("killed: %s\n", stopped->killed ? "yes" : "no");
  std::printf("status: %s\n", stopped->status.to_string().c_str());
  return 0;
}
