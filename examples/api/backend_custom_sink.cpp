// LocalProcessBackend (modhost/local_backend.hpp) with a sink of your own: every line an instance
// writes arrives as a LogRecord with its module, instance id, stream and detected level, and the
// backend's own events arrive through the same sink, each with its SupervisorEvent.
#include <chrono>
#include <cstdio>

#include "modhost/cancellation.hpp"
#include "modhost/local_backend.hpp"
#include "modhost/log.hpp"

int main() {
  modhost::CancellationToken exited;  // Cancelled by on_exit: a token is also a one-shot event.

  modhost::LocalBackendOptions opts;
  // The sink and on_exit run on the backend's poll thread, one call at a time.
  opts.sink = [](const modhost::LogRecord& r) {
    std::string_view level = modhost::to_string(r.level);
    std::string_view module = r.module.empty() ? std::string_view("-") : r.module;
    if (r.is_supervisor()) {
      // The record's text carries details (a pid, a status); the event says what happened.
      std::string_view event = modhost::to_string(r.event);
      std::printf("%-5.*s %.*s supervisor: %.*s\n", int(level.size()), level.data(),
                  int(module.size()), module.data(), int(event.size()), event.data());
      return;
    }
    std::string_view stream = modhost::to_string(*r.stream);
    std::printf("%-5.*s %.*s %.*s: %.*s\n", int(level.size()), level.data(), int(module.size()),
                module.data(), int(stream.size()), stream.data(), int(r.line.size()),
                r.line.data());
  };
  opts.on_exit = [exited](const modhost::InstanceStatus& s) {
    std::printf("on_exit: %s %s\n", s.handle.module.c_str(), s.exit_status->to_string().c_str());
    exited.cancel();
  };

  // The backend's own token would stop every instance when cancelled; this one never is.
  auto backend = modhost::LocalProcessBackend::create(modhost::CancellationToken(), opts);
  if (!backend) {
    std::fprintf(stderr, "%s\n", backend.error().message().c_str());
    return 1;
  }
  modhost::OopModuleConfig cfg("api", modhost::BackendKind::LocalProcess);
  cfg.binary = "sh";
  // Three lines whose levels are detected from their text: a plain log line, JSON, and neither.
  cfg.args = {"-c",
              "echo '2026-01-01T00:00:00Z  WARN api: disk almost full'; "
              "echo '{\"level\":\"error\",\"msg\":\"no database\"}'; echo 'plain text'"};
  auto handle = (*backend)->spawn_instance(cfg);
  if (!handle) {
    std::fprintf(stderr, "%s\n", handle.error().message().c_str());
    return 1;
  }
  if (!exited.wait_for(std::chrono::seconds(30))) return 1;
  // Destroying the backend shuts it down (the "shutdown-started" record): what still runs is
  // stopped, in parallel, and waited for.
  return 0;
}
