// Integration tests of --can-die and --restart: which ends stop the run, restarts with their
// backoff (its base made small through MODHOST_RESTART_BACKOFF_MS, so no test sleeps through a
// real one), and a stop that cancels a pending restart.

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "tool_runner.hpp"

namespace modhost::cli::test {
namespace {

std::vector<std::string> start_args(const std::string& dir, std::vector<std::string> extra) {
  std::vector<std::string> args = {"start", "--no-color", "--no-timestamp", "-f",
                                   fixture(dir + "/Procfile")};
  args.insert(args.end(), extra.begin(), extra.end());
  return args;
}

std::size_t count(const std::string& text, const std::string& needle) {
  std::size_t n = 0;
  for (std::size_t at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1)) {
    ++n;
  }
  return n;
}

TEST(ToolRestart, CanDieProcessEndsWithoutStoppingTheOthers) {
  ToolRun run(start_args("candie", {"--can-die", "job"}));
  ASSERT_TRUE(run.wait_stdout("system | job.1 exited with code 3")) << run.stdout_text();
  ASSERT_TRUE(run.wait_stdout("web.1  | web ready")) << run.stdout_text();
  run.send(Signal::Interrupt);
  auto st = run.finish();
  ASSERT_TRUE(st);
  // Only the interrupt stopped the run: its code, not job's.
  EXPECT_EQ(*st, ExitStatus::exited(130)) << run.stdout_text();
  std::string out = run.stdout_text();
  std::size_t received = out.find("SIGINT received");
  ASSERT_NE(received, std::string::npos) << out;
  EXPECT_EQ(out.find("sending SIGTERM"), out.find("sending SIGTERM", received)) << out;
  EXPECT_NE(out.find("exited by itself: job.1 (exited with code 3)"), std::string::npos) << out;
  EXPECT_NE(out.find("stopped on SIGTERM: web.1"), std::string::npos) << out;
}

TEST(ToolRestart, WhenEveryProcessMayDieTheRunEndsWithTheLast) {
  ToolRun run(start_args("alldie", {"--can-die", "a,b"}));
  auto st = run.finish();
  ASSERT_TRUE(st) << run.stdout_text();
  EXPECT_EQ(*st, ExitStatus::exited(0)) << run.stdout_text();
  std::string out = run.stdout_text();
  EXPECT_NE(out.find("system | every process has ended"), std::string::npos) << out;
  EXPECT_EQ(out.find("sending SIGTERM"), std::string::npos) << out;
  EXPECT_NE(out.find("a.1 (exited with code 2)"), std::string::npos) << out;
  EXPECT_NE(out.find("b.1 (exited with code 0)"), std::string::npos) << out;
}

TEST(ToolRestart, RestartsWithADoublingBackoffAndCountsThem) {
  ToolRun run(start_args("crashy", {"--restart", "crashy"}), {{"MODHOST_RESTART_BACKOFF_MS", "50"}});
  ASSERT_TRUE(run.wait_stdout("restarting crashy.1 in 0.05s (restart 1)")) << run.stdout_text();
  ASSERT_TRUE(run.wait_stdout("restarting crashy.1 in 0.1s (restart 2)")) << run.stdout_text();
  ASSERT_TRUE(run.wait_stdout("restarting crashy.1 in 0.2s (restart 3)")) << run.stdout_text();
  ASSERT_TRUE(run.wait_stdout("web.1    | web ready")) << run.stdout_text();
  run.send(Signal::Interrupt);
  auto st = run.finish();
  ASSERT_TRUE(st);
  EXPECT_EQ(*st, ExitStatus::exited(130)) << run.stdout_text();
  std::string out = run.stdout_text();
  // Each restart started a process: one start more than the restarts the summary counts.
  auto summary = run.wait_stdout("system   | restarted: crashy.1 (");
  ASSERT_TRUE(summary) << out;
  const std::string times = summary->substr(summary->find('(') + 1);
  const std::size_t restarts = std::stoul(times);
  // The third restart was only scheduled when the test saw its line; it may have been cancelled.
  EXPECT_GE(restarts, 2u) << *summary;
  EXPECT_EQ(count(out, "crashy.1 started with pid"), restarts + 1) << out;
  EXPECT_NE(out.find("stopped on SIGTERM: web.1"), std::string::npos) << out;
}

TEST(ToolRestart, RestartAllRestartsEveryProcess) {
  ToolRun run(start_args("alldie", {"--restart", "all"}), {{"MODHOST_RESTART_BACKOFF_MS", "50"}});
  ASSERT_TRUE(run.wait_stdout("restarting a.1 in 0.05s (restart 1)")) << run.stdout_text();
  ASSERT_TRUE(run.wait_stdout("restarting b.1 in 0.05s (restart 1)")) << run.stdout_text();
  ASSERT_TRUE(run.wait_stdout("restarting a.1 in 0.1s (restart 2)")) << run.stdout_text();
  run.send(Signal::Interrupt);
  auto st = run.finish();
  ASSERT_TRUE(st);
  EXPECT_EQ(*st, ExitStatus::exited(130)) << run.stdout_text();
}

TEST(ToolRestart, AStopCancelsAPendingRestart) {
  // The default backoff (1 s) and a stop that lasts 2 s (stubborn ignores SIGTERM): a restart
  // still pending when the stop began would fall due in the middle of it.
  ToolRun run(start_args("crashy_stubborn", {"--restart", "crashy", "-t", "2"}));
  ASSERT_TRUE(run.wait_stdout("restarting crashy.1 in 1s (restart 1)")) << run.stdout_text();
  // Not before stubborn has set its trap: a SIGTERM that comes first ends it at once, and the
  // stop would not last the grace period this test is about.
  ASSERT_TRUE(run.wait_stdout("stubborn ready")) << run.stdout_text();
  run.send(Signal::Interrupt);
  auto st = run.finish();
  ASSERT_TRUE(st);
  EXPECT_EQ(*st, ExitStatus::exited(130)) << run.stdout_text();
  std::string out = run.stdout_text();
  EXPECT_NE(out.find("system     | restart of crashy.1 cancelled"), std::string::npos) << out;
  EXPECT_EQ(count(out, "crashy.1 started with pid"), 1u) << out;
  EXPECT_EQ(out.find("cannot start"), std::string::npos) << out;
  EXPECT_EQ(out.find("restarted:"), std::string::npos) << out;
  EXPECT_NE(out.find("killed after 2s: stubborn.1"), std::string::npos) << out;
}

TEST(ToolRestart, UnknownNameIsBadConfig) {
  ToolRun run(start_args("crashy", {"--restart", "crashy,nope"}));
  auto st = run.finish();
  ASSERT_TRUE(st);
  EXPECT_EQ(*st, ExitStatus::exited(1));
  EXPECT_TRUE(run.wait_stderr(
      "error: --restart: unknown process \"nope\" (the Procfile has web, crashy)"))
      << run.stderr_text();
  EXPECT_TRUE(run.stdout_lines().empty()) << run.stdout_text();
}

}  // namespace
}  // namespace modhost::cli::test
