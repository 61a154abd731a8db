// The names of the tool's signals, shared by both platforms' signal code.

#include <string>
#include <string_view>

#include "cli/signals.hpp"
#include "modhost/child_process.hpp"

namespace modhost::cli {

std::string_view to_string(Signal signal) noexcept {
  switch (signal) {
    case Signal::Interrupt: return "SIGINT";
    case Signal::Terminate: return "SIGTERM";
    case Signal::Hangup: return "SIGHUP";
    case Signal::User1: return "SIGUSR1";
    case Signal::User2: return "SIGUSR2";
  }
  return "SIGTERM";
}

std::string signal_number_name(int number) {
  // The library knows the platform's names (none on Windows, where the tool's own numbers for
  // Ctrl-C and friends follow the POSIX ones).
  std::string_view name = modhost::signal_name(number);
  if (!name.empty()) return std::string(name);
  switch (number) {
    case 1: return "SIGHUP";
    case 2: return "SIGINT";
    case 9: return "SIGKILL";
    case 10: return "SIGUSR1";
    case 12: return "SIGUSR2";
    case 15: return "SIGTERM";
    default: return "signal " + std::to_string(number);
  }
}

}  // namespace modhost::cli
