// Signals by handle (modhost/backend.hpp, LocalProcessBackend::signal_instance): a signal goes to
// the instance the handle names, and never to a process that got its id after it was reaped. A
// plain kill(pid) cannot promise that: once a child is reaped, the OS may give its id to another
// process.
#include <chrono>
#include <csignal>
#include <cstdio>

#include "modhost/cancellation.hpp"
#include "modhost/local_backend.hpp"

int main() {
  modhost::CancellationToken ready;   // Cancelled when the instance says "ready".
  modhost::CancellationToken exited;  // Cancelled when it has ended.

  modhost::LocalBackendOptions opts;
  opts.sink = [ready](const modhost::LogRecord& r) {
    if (r.is_supervisor()) return;
    std::printf("instance: %.*s\n", int(r.line.size()), r.line.data());
    if (r.line == "ready") ready.cancel();
  };
  opts.on_exit = [exited](const modhost::InstanceStatus& s) {
    std::printf("ended: %s\n", s.exit_status->to_string().c_str());
    exited.cancel();
  };
  auto backend = modhost::LocalProcessBackend::create(modhost::CancellationToken(), opts);
  if (!backend) {
    std::fprintf(stderr, "%s\n", backend.error().message().c_str());
    return 1;
  }

  modhost::OopModuleConfig cfg("worker", modhost::BackendKind::LocalProcess);
  cfg.binary = "sh";
  // Reloads on SIGHUP, as many daemons do; here it says so and ends. `wait` returns as soon as the
  // trapped signal arrives.
  cfg.args = {"-c", "trap 'echo reloading on SIGHUP; exit 0' HUP; echo ready; sleep 1000 & wait"};
  auto handle = (*backend)->spawn_instance(cfg);
  if (!handle) {
    std::fprintf(stderr, "%s\n", handle.error().message().c_str());
    return 1;
  }
  if (!ready.wait_for(std::chrono::seconds(30))) return 1;

  // To the instance's process group (the shell and its sleep), by handle.
  if (auto sent = (*backend)->signal_instance(*handle, SIGHUP); !sent) {
    std::fprintf(stderr, "%s\n", sent.error().message().c_str());
    return 1;
  }
  if (!exited.wait_for(std::chrono::seconds(30))) return 1;

  // Once the instance is reaped, the same call is refused instead of reaching a stranger. The
  // code is errc::not_running; the message names the module, the instance and its old pid.
  auto again = (*backend)->signal_instance(*handle, SIGHUP);
  if (again.ok()) return 1;
  std::printf("signal after the exit: refused (%s)\n", again.error().code().message().c_str());
  return 0;
}
