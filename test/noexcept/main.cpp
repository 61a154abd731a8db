// Proves the library is usable from a program built with -fno-exceptions -fno-rtti (CI links it
// against a library built the same way): errors come back as Results, nothing needs to throw.
#include <cstdio>

#include "modhost/cancellation.hpp"
#include "modhost/child_process.hpp"
#include "modhost/uuid.hpp"

int main() {
  modhost::SpawnOptions bad;  // an empty program is refused with an error, not an exception
  auto r = modhost::ChildProcess::spawn(bad);
  if (r.ok() || r.error().code() != modhost::errc::invalid_argument) {
    std::puts("noexcept check FAILED: empty program was not refused");
    return 1;
  }
  auto missing = modhost::Uuid::parse("not-a-uuid");
  if (missing.ok()) {
    std::puts("noexcept check FAILED: bad uuid parsed");
    return 1;
  }
  modhost::SpawnOptions ok;
  ok.program = "sh";
  ok.args = {"-c", "exit 7"};
  auto child = modhost::ChildProcess::spawn(ok);
  if (!child) {
    std::printf("noexcept check FAILED: %s\n", child.error().message().c_str());
    return 1;
  }
  modhost::CancellationToken token;
  auto status = child->wait_for(std::chrono::seconds(30), &token);
  if (!status || !status->has_value() || (*status)->code() != 7) {
    std::puts("noexcept check FAILED: wrong exit status");
    return 1;
  }
  std::printf("noexcept check passed: %s; %s\n", r.error().message().c_str(),
              (*status)->to_string().c_str());
  return 0;
}
