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

/// Runs `plan` until the run stops (see the stop rules), prints the summary and returns
/// the exit code: the code of the process that exited first (128 + N for signal N), 128 + N for a
/// stop signal N, kBrokenOutputExitCode when stdout broke, 1 when a process could not be started.
/// Blocks; installs the tool's signal handlers for its duration.
int run_start(const Options& options, const ProjectConfig& config,
              const std::vector<InstancePlan>& plan, OutputWriter& out);

}  // namespace modhost::cli
