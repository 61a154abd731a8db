// ChildProcess (modhost/child_process.hpp): start a program with its output piped, read
// everything it writes, and learn how it ended. Errors are values, never exceptions.
#include <cstdio>

#include "modhost/child_process.hpp"

int main() {
  modhost::SpawnOptions opts;
  opts.program = "sh";  // A bare name is looked up on PATH, as execvp does.
  opts.args = {"-c", "echo hello from the child; echo a warning >&2; exit 3"};
  opts.stdout_mode = modhost::Stdio::Pipe;
  opts.stderr_mode = modhost::Stdio::Pipe;

  modhost::Result<modhost::ChildProcess> child = modhost::ChildProcess::spawn(opts);
  if (!child) {
    std::fprintf(stderr, "%s\n", child.error().message().c_str());
    return 1;
  }
  // output() reads both pipes to their end together (neither can fill up and stall the child),
  // then waits for the exit.
  modhost::Result<modhost::Output> out = child->output();
  if (!out) {
    std::fprintf(stderr, "%s\n", out.error().message().c_str());
    return 1;
  }
  std::printf("stdout: %s", out->stdout_data.c_str());
  std::printf("stderr: %s", out->stderr_data.c_str());
  std::printf("status: %s\n", out->status.to_string().c_str());

  // A program that cannot be started is an error from spawn() itself, with the OS's reason.
  opts.program = "/no/such/program";
  auto missing = modhost::ChildProcess::spawn(opts);
  if (missing) return 1;
  std::printf("error: %s\n", missing.error().message().c_str());
  return 0;
}
