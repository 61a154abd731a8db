#pragma once
// MODHOST_IN_FRESH_PROCESS(body): runs `body` (a callable returning int) in a fresh process, a
// re-exec of the test binary through a "threadsafe" death test, where modhost has not started
// anything yet, so the test may change process-wide state (signal dispositions and masks,
// resource limits, fds 0-2, the user) first. The test passes when body returns 0; a body that
// hangs is ended by an alarm after 60 s (SIGALRM's default action), which fails it. POSIX only.

#include <gtest/gtest.h>

#include <signal.h>
#include <unistd.h>

#define MODHOST_IN_FRESH_PROCESS(...)                                                         \
  do {                                                                                         \
    GTEST_FLAG_SET(death_test_style, "threadsafe");                                            \
    EXPECT_EXIT((::alarm(60), ::_exit((__VA_ARGS__)())), ::testing::ExitedWithCode(0), "");   \
  } while (0)

namespace modhost::test {

// Makes fd 2 a pipe whose reader is gone, with SIGPIPE at its default disposition: a write to
// stderr then raises SIGPIPE, which would end the process. False when the pipe cannot be made.
inline bool make_stderr_a_broken_pipe() {
  ::signal(SIGPIPE, SIG_DFL);
  int p[2];
  if (::pipe(p) != 0) return false;
  ::close(p[0]);
  bool ok = ::dup2(p[1], 2) == 2;
  ::close(p[1]);
  return ok;
}

}  // namespace modhost::test
