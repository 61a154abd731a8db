// A tiny program that uses modhost the way a consumer does: only the public headers, linked
// against the library built by the integration path under test (Meson subproject or vendoring).
#include <cstdio>
#include <string>

#include "modhost/child_process.hpp"
#include "modhost/log.hpp"
#include "modhost/uuid.hpp"

int main() {
  modhost::SpawnOptions opts;
  opts.program = "sh";
  opts.args = {"-c", "echo consumer-ok; echo level=warn >&2; exit 3"};
  opts.stdout_mode = modhost::Stdio::Pipe;
  opts.stderr_mode = modhost::Stdio::Pipe;
  auto child = modhost::ChildProcess::spawn(opts);
  if (!child) {
    std::fprintf(stderr, "spawn failed: %s\n", child.error().message().c_str());
    return 1;
  }
  auto out = child->output();
  if (!out) {
    std::fprintf(stderr, "output failed: %s\n", out.error().message().c_str());
    return 1;
  }
  bool ok = out->stdout_data == "consumer-ok\n" && out->status.code() == 3 &&
            out->stderr_data == "level=warn\n" &&
            modhost::detect_log_level("level=warn") == modhost::LogLevel::Warn &&
            modhost::Uuid::new_v7().version() == 7;
  std::printf("%s: stdout=%s status=%s\n", ok ? "consumer passed" : "consumer FAILED",
              out->stdout_data.c_str(), out->status.to_string().c_str());
  return ok ? 0 : 1;
}
