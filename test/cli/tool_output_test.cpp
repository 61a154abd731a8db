// Integration tests of the tool's output: a stdout that is read slowly or not at all never holds
// up a stop or a signal. The tool runs behind a shell pipeline whose reader the test chooses; its
// processes report on the tool's stderr (Linux /proc), which the test reads as events.

#include <gtest/gtest.h>

#if defined(__linux__)

#include <chrono>
#include <string>
#include <vector>

#include "tool_runner.hpp"

namespace modhost::cli::test {
namespace {

using Clock = std::chrono::steady_clock;

// `modhost start ARGS` with its stdout piped into `reader`; its exit code comes out on stderr as
// "tool rc=N" the moment it exits, whatever the reader does.
ToolRun run_with_reader(const std::string& args, const std::string& reader) {
  std::string script = "{ '" + std::string(MODHOST_TOOL) + "' start --no-color " + args +
                       "; echo \"tool rc=$?\" >&2; } | " + reader;
  return ToolRun({"-c", script}, {}, "/bin/sh");
}

// The word after `key` in `line` ("quiet pid 123 tool 120": after "tool " -> "120").
std::string word_after(const std::string& line, const std::string& key) {
  std::size_t at = line.find(key);
  if (at == std::string::npos) return {};
  at += key.size();
  return line.substr(at, line.find(' ', at) - at);
}

double seconds_since(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

#if defined(__SANITIZE_THREAD__)
// ThreadSanitizer's runtime adds about a second to the tool's way out (seen: 2.05 s for 1 + 1).
constexpr double kSanitizerSlack = 1.0;
#else
constexpr double kSanitizerSlack = 0.0;
#endif

// A reader that takes the first 2 MB (more than the tool's queue and the pipe hold together),
// says so, and then reads nothing more: from then on, the flood going on, every write to the
// pipe blocks, for ever.
constexpr const char* kStallsAfter2MB =
    "{ head -c 2000000 > /dev/null; echo 'reader stalled' >&2; exec sleep 600; }";

TEST(ToolOutput, StalledStdoutDoesNotHoldUpTheStop) {
  ToolRun run = run_with_reader("-t 1 -f '" + fixture("flood/Procfile") + "'", kStallsAfter2MB);
  auto quiet = run.wait_stderr("quiet pid ");
  auto flood = run.wait_stderr("flood pid ");
  ASSERT_TRUE(quiet && flood && run.wait_stderr("reader stalled")) << run.stderr_text();
  const std::string tool = word_after(*quiet, "tool ");
  kill_process(tool, "TERM");
  // From the moment the signal was sent: starting kill(1) takes a while under the sanitizers.
  const auto t0 = Clock::now();
  auto rc = run.wait_stderr("tool rc=");
  const double took = seconds_since(t0);
  ASSERT_TRUE(rc) << "the tool did not stop:\n" << run.stderr_text();
  EXPECT_EQ(*rc, "tool rc=143");
  // The grace (-t 1) for the output, and a second to spare; a stop that waits on stdout never
  // ends at all.
  EXPECT_LT(took, 2.0 + kSanitizerSlack) << run.stderr_text();
  EXPECT_TRUE(run.wait_stderr("quiet got TERM")) << run.stderr_text();
  std::string err = run.stderr_text();
  EXPECT_NE(err.find("of output ("), std::string::npos) << err;
  EXPECT_NE(err.find("dropped: stdout did not take them within the grace period"),
            std::string::npos)
      << err;
  EXPECT_NE(err.find("modhost: stopped on SIGTERM: "), std::string::npos) << err;
  EXPECT_TRUE(process_gone(word_after(*quiet, "pid ")));
  EXPECT_TRUE(process_gone(word_after(*flood, "pid ")));
}

TEST(ToolOutput, StalledStdoutSecondInterruptKillsAtOnce) {
  // A 600 s grace: only the second signal can end this run within kPatience.
  ToolRun run = run_with_reader("-t 600 -f '" + fixture("flood_stubborn/Procfile") + "'",
                                kStallsAfter2MB);
  auto stubborn = run.wait_stderr("stubborn pid ");
  auto flood = run.wait_stderr("flood pid ");
  ASSERT_TRUE(stubborn && flood && run.wait_stderr("reader stalled")) << run.stderr_text();
  const std::string tool = word_after(*stubborn, "tool ");
  kill_process(tool, "TERM");
  ASSERT_TRUE(run.wait_stderr("stubborn got TERM"))
      << "the stop did not begin:\n" << run.stderr_text();
  const auto t0 = Clock::now();
  kill_process(tool, "INT");
  auto rc = run.wait_stderr("tool rc=");
  const double took = seconds_since(t0);
  ASSERT_TRUE(rc) << "the second signal did not end the run:\n" << run.stderr_text();
  EXPECT_EQ(*rc, "tool rc=143");  // the first stop signal decides the code
  EXPECT_LT(took, 5.0) << run.stderr_text();
  // The flood may be listed there too: it can die of its SIGTERM after the kill was sent.
  auto killed = run.wait_stderr("modhost: killed at once: ");
  ASSERT_TRUE(killed) << run.stderr_text();
  EXPECT_NE(killed->find("stubborn.1"), std::string::npos) << *killed;
  EXPECT_TRUE(process_gone(word_after(*stubborn, "pid ")));
  EXPECT_TRUE(process_gone(word_after(*flood, "pid ")));
}

TEST(ToolOutput, ChattyProcessDoesNotDelayTheReactionToSigterm) {
  // A reader that takes the first 2 MB at once, says so, and then about 100 lines a second,
  // like a slow terminal: the flood keeps stdout full all the time. Load, not synchronisation:
  // nothing waits for the reader's pace.
  ToolRun run = run_with_reader(
      "-t 1 -f '" + fixture("flood/Procfile") + "'",
      "{ head -c 2000000 > /dev/null; echo 'reader slowed' >&2; "
      "while IFS= read -r line; do sleep 0.01; done; }");
  auto quiet = run.wait_stderr("quiet pid ");
  ASSERT_TRUE(quiet && run.wait_stderr("flood pid ") && run.wait_stderr("reader slowed"))
      << run.stderr_text();
  const auto t0 = Clock::now();
  kill_process(word_after(*quiet, "tool "), "TERM");
  ASSERT_TRUE(run.wait_stderr("quiet got TERM")) << run.stderr_text();
  const double reacted = seconds_since(t0);
  // A signal path that waits for its turn at stdout behind the flood reacts after tens of
  // seconds here; one that never waits on output reacts at once.
  EXPECT_LT(reacted, 3.0) << run.stderr_text();
  auto rc = run.wait_stderr("tool rc=");
  ASSERT_TRUE(rc) << run.stderr_text();
  EXPECT_EQ(*rc, "tool rc=143");
}

}  // namespace
}  // namespace modhost::cli::test

#endif  // __linux__
