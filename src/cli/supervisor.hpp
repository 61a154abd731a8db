#pragma once
// `modhost start`: runs the planned instances on a LocalProcessBackend, prints their output, and
// stops them all when one exits, a stop signal arrives or stdout breaks.

#include <vector>

#include "config.hpp"
#include "formation.hpp"
#include "options.hpp"
#include "output.hpp"

namespace modhost::cli {

/// The exit code when stdout broke (a reader such as `head` went away): 128 + SIGPIPE's 13, what a
/// shell reports for a writer killed by SIGPIPE.
inline constexpr int kBrokenOutputExitCode = 141;

/// Runs `plan` until the run stops, prints the summary and returns the exit code. The run stops
/// when a process ends by itself that may not end (neither `--can-die` nor `--restart`; exit code:
/// its own, 128 + N for signal N), when every process has ended and all of them may end (0), when
/// a stop signal N arrives (128 + N), when stdout breaks (kBrokenOutputExitCode), or when a process
/// cannot be started (1); the first of these gives the exit code. Blocks; takes the tool's stop
/// signals (a `SignalWatcher`) for its duration.
int run_start(const Options& options, const ProjectConfig& config,
              const std::vector<InstancePlan>& plan, OutputWriter& out);

}  // namespace modhost::cli
