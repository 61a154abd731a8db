// Integration tests of `modhost start`: exit codes, signals, the second Ctrl-C, process trees,
// broken stdout. Real processes; every wait is for an event (a line, the exit), with kPatience.

#include <gtest/gtest.h>

#include "tool_runner.hpp"
#include "modhost/child_process.hpp"

namespace modhost::cli::test {
namespace {

std::vector<std::string> start_args(const std::string& dir, std::vector<std::string> extra = {}) {
  std::vector<std::string> args = {"start", "-f", fixture(dir + "/Procfile"), "--no-color"};
  args.insert(args.end(), extra.begin(), extra.end());
  return args;
}

TEST(ToolStop, ExitCodeIsThatOfTheProcessThatExited) {
  ToolRun run(start_args("exit_code"));
  auto st = run.finish();
  ASSERT_TRUE(st) << run.stdout_text();
  EXPECT_EQ(*st, ExitStatus::exited(3)) << run.stdout_text();
  std::string out = run.stdout_text();
  EXPECT_NE(out.find("quick.1   | quick says bye"), std::string::npos) << out;
  EXPECT_NE(out.find("system    | quick.1 exited with code 3"), std::string::npos) << out;
  EXPECT_NE(out.find("exited by itself: quick.1 (exited with code 3)"), std::string::npos) << out;
  EXPECT_NE(out.find("stopped on SIGTERM: sleeper.1"), std::string::npos) << out;
}

TEST(ToolStop, SigintStopsEverythingWith130) {
  ToolRun run(start_args("signals"));
  ASSERT_TRUE(run.wait_stdout("web.1  | web ready")) << run.stdout_text();
  run.send(Signal::Interrupt);
  auto st = run.finish();
  ASSERT_TRUE(st);
  EXPECT_EQ(*st, ExitStatus::exited(130)) << run.stdout_text();
  std::string out = run.stdout_text();
  EXPECT_NE(out.find("SIGINT received"), std::string::npos) << out;
  EXPECT_NE(out.find("web.1 terminated by SIGTERM"), std::string::npos) << out;
  EXPECT_NE(out.find("stopped on SIGTERM: web.1"), std::string::npos) << out;
}

TEST(ToolStop, SigtermGives143AndSighup129) {
  {
    ToolRun run(start_args("signals"));
    ASSERT_TRUE(run.wait_stdout("web ready"));
    run.send(Signal::Terminate);
    auto st = run.finish();
    ASSERT_TRUE(st);
    EXPECT_EQ(*st, ExitStatus::exited(143)) << run.stdout_text();
  }
  {
    ToolRun run(start_args("signals"));
    ASSERT_TRUE(run.wait_stdout("web ready"));
    run.send(Signal::Hangup);
    auto st = run.finish();
    ASSERT_TRUE(st);
    EXPECT_EQ(*st, ExitStatus::exited(129)) << run.stdout_text();
  }
}

TEST(ToolStop, SecondInterruptKillsAtOnce) {
  // A 600 s grace: only the second Ctrl-C can end this run within kPatience.
  ToolRun run(start_args("stubborn", {"-t", "600"}));
  ASSERT_TRUE(run.wait_stdout("stubborn ready")) << run.stdout_text();
  run.send(Signal::Interrupt);
  ASSERT_TRUE(run.wait_stdout("stubborn.1 | ignoring TERM")) << run.stdout_text();
  run.send(Signal::Interrupt);
  auto st = run.finish();
  ASSERT_TRUE(st) << "the second SIGINT did not end the run:\n" << run.stdout_text();
  EXPECT_EQ(*st, ExitStatus::exited(130));
  std::string out = run.stdout_text();
  EXPECT_NE(out.find("SIGINT received again, killing all processes now"), std::string::npos) << out;
  EXPECT_NE(out.find("killed at once: stubborn.1"), std::string::npos) << out;
}

TEST(ToolStop, EachEndIsReportedWhenItHappens) {
  // A 600 s grace: web.1's end must be printed while stubborn.1 still holds the stop up, not
  // after it; only then does the second Ctrl-C end the run.
  ToolRun run(start_args("mixed", {"-t", "600"}));
  ASSERT_TRUE(run.wait_stdout("web ready")) << run.stdout_text();
  ASSERT_TRUE(run.wait_stdout("stubborn ready")) << run.stdout_text();
  run.send(Signal::Interrupt);
  ASSERT_TRUE(run.wait_stdout("system     | web.1 terminated by SIGTERM"))
      << "web.1's end waited for its stubborn sibling:\n" << run.stdout_text();
  ASSERT_TRUE(run.wait_stdout("stubborn.1 | ignoring TERM")) << run.stdout_text();
  run.send(Signal::Interrupt);
  auto st = run.finish();
  ASSERT_TRUE(st) << run.stdout_text();
  EXPECT_EQ(*st, ExitStatus::exited(130));
  std::string out = run.stdout_text();
  EXPECT_NE(out.find("stubborn.1 killed at once"), std::string::npos) << out;
  EXPECT_NE(out.find("stopped on SIGTERM: web.1"), std::string::npos) << out;
  EXPECT_NE(out.find("killed at once: stubborn.1"), std::string::npos) << out;
  // One graceful signal per process: the trap ran once.
  std::size_t first = out.find("ignoring TERM");
  EXPECT_EQ(out.find("ignoring TERM", first + 1), std::string::npos) << out;
}

TEST(ToolStop, GraceRunsOutThenKill) {
  ToolRun run(start_args("stubborn", {"-t", "0.5"}));
  ASSERT_TRUE(run.wait_stdout("stubborn ready"));
  run.send(Signal::Terminate);
  auto st = run.finish();
  ASSERT_TRUE(st);
  EXPECT_EQ(*st, ExitStatus::exited(143));
  std::string out = run.stdout_text();
  EXPECT_NE(out.find("stubborn.1 killed after 0.5s"), std::string::npos) << out;
  EXPECT_NE(out.find("killed after 0.5s: stubborn.1"), std::string::npos) << out;
}

TEST(ToolStop, NoGrandchildSurvivesTheRun) {
  ToolRun run(start_args("tree"));
  auto line = run.wait_stdout(" up");
  ASSERT_TRUE(line) << run.stdout_text();
  // "HH:MM:SS tree.1 | grandchild PID up"
  std::size_t at = line->find("grandchild ");
  ASSERT_NE(at, std::string::npos) << *line;
  std::string grandchild = line->substr(at + 11, line->size() - 3 - (at + 11));
  ASSERT_FALSE(grandchild.empty());
  EXPECT_FALSE(process_gone(grandchild)) << "the grandchild should be running now";
  run.send(Signal::Interrupt);
  auto st = run.finish();
  ASSERT_TRUE(st);
  EXPECT_EQ(*st, ExitStatus::exited(130));
  EXPECT_TRUE(process_gone(grandchild)) << "grandchild " << grandchild << " outlived the run";
}

TEST(ToolStop, Usr1IsForwarded) {
  ToolRun run(start_args("usr"));
  ASSERT_TRUE(run.wait_stdout("usr ready"));
  run.send(Signal::User1);
  ASSERT_TRUE(run.wait_stdout("usr.1  | got USR1")) << run.stdout_text();
  ASSERT_TRUE(run.wait_stdout("SIGUSR1 forwarded to 1 process"));
  run.send(Signal::Interrupt);
  auto st = run.finish();
  ASSERT_TRUE(st);
  EXPECT_EQ(*st, ExitStatus::exited(130));
}

TEST(ToolStop, BrokenStdoutStopsTheRun) {
  // head exits after one line; the tool's next write fails with EPIPE and it stops with 141.
  // Its own exit code is smuggled out on stderr.
  std::string cmd = "{ '" + std::string(MODHOST_TOOL) + "' start --no-color -f '" +
                    fixture("chatty/Procfile") + "'; echo \"tool rc=$?\" >&2; } | head -n 1";
  ToolRun shell({"-c", cmd}, {}, "/bin/sh");
  auto st = shell.finish();
  ASSERT_TRUE(st) << shell.stderr_text();
  EXPECT_TRUE(shell.wait_stderr("stdout is closed, stopping all processes")) << shell.stderr_text();
  EXPECT_TRUE(shell.wait_stderr("tool rc=141")) << shell.stderr_text();
}

}  // namespace
}  // namespace modhost::cli::test
