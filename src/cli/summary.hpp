#pragma once
// How the tool words the end of each process and the summary at the end of a run. Pure
// functions, so the wording is unit-tested without running anything.

#include <chrono>
#include <string>
#include <vector>

#include "modhost/child_process.hpp"
#include "modhost/local_backend.hpp"

namespace modhost::cli {

/// How one process ended, from the tool's point of view.
enum class EndKind {
  ExitedByItself,  ///< It ended before the tool asked it to (this is what stops a run).
  Stopped,         ///< It ended after the graceful signal, within the grace period.
  Killed,          ///< The grace period ran out and it was killed.
  KilledAtOnce,    ///< It was killed by a second interrupt, without waiting.
};

/// One ended process.
struct InstanceEnd {
  /// Its label, `name.N`.
  std::string label;
  /// How it ended.
  EndKind kind = EndKind::ExitedByItself;
  /// Its exit status.
  ExitStatus status;
};

/// Classifies a backend status: by itself when the backend says it ended before any stop of it
/// began; killed when its stop had to kill it, "at once" when `forced` says the tool had called
/// `kill_all` (second Ctrl-C) by then; stopped otherwise.
InstanceEnd classify_end(const InstanceStatus& status, bool forced);

/// "5s", "1.5s", "0.25s".
std::string format_seconds(std::chrono::milliseconds duration);

/// "exited with code 3", "terminated by SIGSEGV" (the status in words, without the label).
std::string describe_status(const ExitStatus& status);

/// The line printed when a process ends: "exited with code 0", "terminated by SIGTERM",
/// "killed after 5s", "killed at once".
std::string describe_end(const InstanceEnd& end, std::chrono::milliseconds grace);

/// The summary lines, one per kind of end that occurred, in the order processes ended, e.g.
/// "exited by itself: job.1 (exited with code 0)", "stopped on SIGTERM: web.1, worker.1",
/// "killed after 5s: stubborn.1".
std::vector<std::string> summary_lines(const std::vector<InstanceEnd>& ends,
                                       std::chrono::milliseconds grace);

}  // namespace modhost::cli
