// Unit tests of the end-of-process wording and the summary (src/cli/summary.hpp), the exec
// heuristic (src/cli/shell.hpp) and the colour decision (src/cli/output.hpp).

#include <gtest/gtest.h>

#include "cli/output.hpp"
#include "cli/shell.hpp"
#include "cli/summary.hpp"

namespace modhost::cli {
namespace {

InstanceStatus status(const char* label, ExitStatus st, bool by_itself,
                      std::optional<StopResult> stop = std::nullopt) {
  InstanceStatus s;
  s.handle.module = label;
  s.state = InstanceState::Exited;
  s.exit_status = st;
  s.exited_by_itself = by_itself;
  s.stop_result = stop;
  return s;
}

TEST(Summary, FormatSeconds) {
  EXPECT_EQ(format_seconds(std::chrono::milliseconds(5000)), "5s");
  EXPECT_EQ(format_seconds(std::chrono::milliseconds(1500)), "1.5s");
  EXPECT_EQ(format_seconds(std::chrono::milliseconds(250)), "0.25s");
  EXPECT_EQ(format_seconds(std::chrono::milliseconds(0)), "0s");
}

TEST(Summary, ClassifyAndDescribe) {
  const auto grace = std::chrono::milliseconds(5000);
  InstanceEnd by_itself = classify_end(status("job.1", ExitStatus::exited(3), true), false);
  EXPECT_EQ(by_itself.kind, EndKind::ExitedByItself);
  EXPECT_EQ(describe_end(by_itself, grace), "exited with code 3");

  // Ended by the graceful signal of a stop.
  StopResult term;
  term.graceful_sent = true;
  term.status = ExitStatus::signaled(15);
  InstanceEnd stopped = classify_end(status("web.1", ExitStatus::signaled(15), false, term), false);
  EXPECT_EQ(stopped.kind, EndKind::Stopped);
  EXPECT_EQ(describe_end(stopped, grace), "terminated by SIGTERM");
  // Ended by the graceful signal after the second interrupt: still stopped, not killed.
  EXPECT_EQ(classify_end(status("web.1", ExitStatus::signaled(15), false, term), true).kind,
            EndKind::Stopped);

  StopResult killed;
  killed.killed = true;
  killed.graceful_sent = true;
  killed.status = ExitStatus::signaled(9);
  InstanceEnd k = classify_end(status("slow.1", ExitStatus::signaled(9), false, killed), false);
  EXPECT_EQ(k.kind, EndKind::Killed);
  EXPECT_EQ(describe_end(k, grace), "killed after 5s");

  // Killed after the second interrupt (kill_all): at once.
  InstanceEnd forced = classify_end(status("slow.1", ExitStatus::signaled(9), false, killed), true);
  EXPECT_EQ(forced.kind, EndKind::KilledAtOnce);
  EXPECT_EQ(describe_end(forced, grace), "killed at once");
}

TEST(Summary, LinesGroupByKindInOrder) {
  std::vector<InstanceEnd> ends = {
      {"job.1", EndKind::ExitedByItself, ExitStatus::exited(0)},
      {"web.1", EndKind::Stopped, ExitStatus::signaled(15)},
      {"slow.1", EndKind::Killed, ExitStatus::signaled(9)},
      {"web.2", EndKind::Stopped, ExitStatus::exited(0)},
  };
  auto lines = summary_lines(ends, std::chrono::milliseconds(2500));
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_EQ(lines[0], "exited by itself: job.1 (exited with code 0)");
  EXPECT_EQ(lines[1], "stopped on SIGTERM: web.1, web.2");
  EXPECT_EQ(lines[2], "killed after 2.5s: slow.1");
  EXPECT_TRUE(summary_lines({}, std::chrono::milliseconds(1)).empty());
}

TEST(Shell, SimpleCommandsGetExec) {
  EXPECT_TRUE(is_simple_shell_command("bundle exec puma -p $PORT"));
  EXPECT_TRUE(is_simple_shell_command("  ./server --port=${PORT} > log.txt 2>err.txt "));
  EXPECT_TRUE(is_simple_shell_command("python -c \"print(1)\""));
  EXPECT_FALSE(is_simple_shell_command("cd web && ./run"));
  EXPECT_FALSE(is_simple_shell_command("a; b"));
  EXPECT_FALSE(is_simple_shell_command("a | b"));
  EXPECT_FALSE(is_simple_shell_command("sleep 1 &"));
  EXPECT_FALSE(is_simple_shell_command("(cd x; y)"));
  EXPECT_FALSE(is_simple_shell_command("echo $(date)"));
  EXPECT_TRUE(is_simple_shell_command("echo \"$(date) a;b\" 'x|y' \\;"));
  EXPECT_FALSE(is_simple_shell_command("echo 'unbalanced"));
  EXPECT_FALSE(is_simple_shell_command("{ a; }"));
  EXPECT_FALSE(is_simple_shell_command("echo `date`"));
  EXPECT_FALSE(is_simple_shell_command("FOO=1 ./run"));
  EXPECT_FALSE(is_simple_shell_command("exec ./run"));
  EXPECT_FALSE(is_simple_shell_command("while true"));
  EXPECT_FALSE(is_simple_shell_command("cd /tmp"));
  EXPECT_FALSE(is_simple_shell_command("a\nb"));
  EXPECT_FALSE(is_simple_shell_command("   "));
}

TEST(Colour, Decision) {
  EXPECT_TRUE(decide_color(ColorMode::Always, false, "1", "dumb"));
  EXPECT_FALSE(decide_color(ColorMode::Never, true, nullptr, "xterm"));
  EXPECT_TRUE(decide_color(ColorMode::Auto, true, nullptr, "xterm-256color"));
  EXPECT_TRUE(decide_color(ColorMode::Auto, true, "", nullptr));  // empty NO_COLOR is unset
  EXPECT_FALSE(decide_color(ColorMode::Auto, false, nullptr, "xterm"));
  EXPECT_FALSE(decide_color(ColorMode::Auto, true, "1", "xterm"));
  EXPECT_FALSE(decide_color(ColorMode::Auto, true, nullptr, "dumb"));
}

}  // namespace
}  // namespace modhost::cli
