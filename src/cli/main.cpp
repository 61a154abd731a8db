// The modhost tool: a Procfile runner (foreman/honcho style) on the modhost library.

#include <string>
#include <vector>

#include "commands.hpp"

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  return modhost::cli::tool_main(args);
}
