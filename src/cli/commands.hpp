#pragma once
// The tool's entry point, apart from main() so the test suite links everything but main.

#include <string>
#include <vector>

namespace modhost::cli {

/// Runs the tool with the arguments after argv[0]; returns the process exit code. Writes to the
/// process's stdout and stderr.
int tool_main(const std::vector<std::string>& args);

}  // namespace modhost::cli
