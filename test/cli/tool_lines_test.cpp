// Integration tests of how the tool forwards each process's lines: stdout and stderr in the
// order the process wrote them (one pipe for both by default), and long lines (whole up to
// --max-line-length, 1 MiB by default; in pieces past it).

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "tool_runner.hpp"

namespace modhost::cli::test {
namespace {

// The text of `label`'s lines, in the order the tool printed them ("order.1 | out1" -> "out1").
std::vector<std::string> texts_of(const std::vector<std::string>& lines, const std::string& label) {
  std::vector<std::string> texts;
  const std::string prefix = label + " | ";
  for (const std::string& l : lines) {
    if (l.rfind(prefix, 0) == 0) texts.push_back(l.substr(prefix.size()));
  }
  return texts;
}

TEST(ToolLines, StdoutAndStderrKeepTheirOrder) {
  ToolRun run({"start", "--no-color", "--no-timestamp", "-f", fixture("order/Procfile")});
  auto st = run.finish();
  ASSERT_TRUE(st) << run.stdout_text();
  EXPECT_EQ(*st, ExitStatus::exited(0)) << run.stdout_text();
  std::vector<std::string> expected;
  for (int i = 1; i <= 50; ++i) {
    expected.push_back("out" + std::to_string(i));
    expected.push_back("err" + std::to_string(i));
  }
  EXPECT_EQ(texts_of(run.stdout_lines(), "order.1"), expected) << run.stdout_text();
}

TEST(ToolLines, SeparateStderrStillForwardsEveryLine) {
  ToolRun run({"start", "--no-color", "--no-timestamp", "--separate-stderr", "-f",
               fixture("order/Procfile")});
  auto st = run.finish();
  ASSERT_TRUE(st) << run.stdout_text();
  EXPECT_EQ(*st, ExitStatus::exited(0)) << run.stdout_text();
  // Two pipes: every line arrives, each stream in its own order, the two interleaved somehow.
  std::vector<std::string> outs, errs;
  for (const std::string& t : texts_of(run.stdout_lines(), "order.1")) {
    (t.rfind("out", 0) == 0 ? outs : errs).push_back(t);
  }
  ASSERT_EQ(outs.size(), 50u) << run.stdout_text();
  ASSERT_EQ(errs.size(), 50u) << run.stdout_text();
  for (int i = 1; i <= 50; ++i) {
    EXPECT_EQ(outs[i - 1], "out" + std::to_string(i));
    EXPECT_EQ(errs[i - 1], "err" + std::to_string(i));
  }
}

TEST(ToolLines, A200KiBJsonLineArrivesWhole) {
  ToolRun run({"start", "--no-color", "--no-timestamp", "-f", fixture("bigjson/Procfile")});
  const std::string line = "{\"level\":\"warn\",\"msg\":\"" + std::string(204800, 'x') + "\"}";
  EXPECT_TRUE(run.wait_stdout_line("big.1  | " + line)) << run.stdout_text().substr(0, 300);
  run.send(Signal::Interrupt);
  ASSERT_TRUE(run.finish());
  EXPECT_EQ(texts_of(run.stdout_lines(), "big.1 ").size(), 1u) << "the line came in pieces";
}

TEST(ToolLines, MaxLineLengthCutsLongerLinesIntoPieces) {
  ToolRun run({"start", "--no-color", "--no-timestamp", "--max-line-length", "100000", "-f",
               fixture("bigjson/Procfile")});
  const std::string whole = "{\"level\":\"warn\",\"msg\":\"" + std::string(204800, 'x') + "\"}";
  EXPECT_TRUE(run.wait_stdout_line("big.1  | " + whole.substr(200000))) << run.stdout_text().size();
  run.send(Signal::Interrupt);
  ASSERT_TRUE(run.finish());
  EXPECT_EQ(texts_of(run.stdout_lines(), "big.1 "),
            (std::vector<std::string>{whole.substr(0, 100000), whole.substr(100000, 100000),
                                      whole.substr(200000)}));
}

}  // namespace
}  // namespace modhost::cli::test
