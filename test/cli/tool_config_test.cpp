// Integration tests of the built tool's configuration handling: check, warnings, bad
// configuration (exit 1), PORT/PS, .env precedence, output format, partial lines, run, --help.

#include <gtest/gtest.h>

#include "tool_runner.hpp"

namespace modhost::cli::test {
namespace {

TEST(ToolConfig, CheckListsProcesses) {
  ToolRun run({"check", "-f", fixture("ports/Procfile")});
  auto st = run.finish();
  ASSERT_TRUE(st);
  EXPECT_EQ(*st, ExitStatus::exited(0)) << run.stderr_text();
  EXPECT_EQ(run.stdout_lines(), std::vector<std::string>{"valid procfile detected (a, b)"});
}

TEST(ToolConfig, BadLinesAreWarnedAboutWithLineNumbers) {
  ToolRun run({"check", "-f", fixture("warnings/Procfile")});
  auto st = run.finish();
  ASSERT_TRUE(st);
  EXPECT_EQ(*st, ExitStatus::exited(0));
  EXPECT_EQ(run.stdout_lines(), std::vector<std::string>{"valid procfile detected (good)"});
  std::string err = run.stderr_text();
  EXPECT_NE(err.find("warning: " + fixture("warnings/Procfile") +
                     ":3: not a \"NAME: COMMAND\" line (no ':'), skipped"),
            std::string::npos)
      << err;
  EXPECT_NE(err.find(":4: invalid process name \"bad name\""), std::string::npos) << err;
  EXPECT_EQ(run.stderr_lines().size(), 2u) << err;  // the comment with a colon is not warned about
}

TEST(ToolConfig, DuplicateNameIsBadConfig) {
  ToolRun run({"start", "-f", fixture("duplicate/Procfile")});
  auto st = run.finish();
  ASSERT_TRUE(st);
  EXPECT_EQ(*st, ExitStatus::exited(1));
  EXPECT_NE(run.stderr_text().find("error: " + fixture("duplicate/Procfile") +
                                   ": line 3: duplicate process name \"web\" (first defined on "
                                   "line 1)"),
            std::string::npos)
      << run.stderr_text();
  EXPECT_TRUE(run.stdout_lines().empty());
}

// As foreman and honcho do, a .env line that is not KEY=VALUE is skipped; modhost says which.
TEST(ToolConfig, MalformedEnvLinesAreSkippedWithFileAndLine) {
  ToolRun run({"check", "-f", fixture("bad_env/Procfile")});
  auto st = run.finish();
  ASSERT_TRUE(st);
  EXPECT_EQ(*st, ExitStatus::exited(0)) << run.stderr_text();
  EXPECT_EQ(run.stdout_lines(), std::vector<std::string>{"valid procfile detected (web)"});
  std::string err = run.stderr_text();
  EXPECT_NE(err.find("modhost: warning: " + fixture("bad_env") +
                     "/.env:3: missing '=' after \"NOT_AN_ASSIGNMENT\", skipped"),
            std::string::npos)
      << err;
  EXPECT_NE(err.find("/.env:4: expected KEY=VALUE, found \"-foo=command\", skipped"),
            std::string::npos)
      << err;

  ToolRun with_run({"run", "-e", fixture("bad_env/.env"), "sh", "-c", "echo GOOD=$GOOD"});
  st = with_run.finish();
  ASSERT_TRUE(st);
  EXPECT_EQ(*st, ExitStatus::exited(0)) << with_run.stderr_text();
  EXPECT_EQ(with_run.stdout_lines(), std::vector<std::string>{"GOOD=1"});
  EXPECT_NE(with_run.stderr_text().find(":4: expected KEY=VALUE"), std::string::npos);

  // What cannot be skipped safely (where does an unclosed quote end?) stays an error.
  ToolRun quote({"start", "-f", fixture("bad_quote/Procfile")});
  st = quote.finish();
  ASSERT_TRUE(st);
  EXPECT_EQ(*st, ExitStatus::exited(1));
  EXPECT_NE(quote.stderr_text().find("bad_quote/.env:2: unterminated double-quoted value"),
            std::string::npos)
      << quote.stderr_text();
  EXPECT_TRUE(quote.stdout_lines().empty());
}

TEST(ToolConfig, OtherBadConfigurationsExitWith1) {
  const std::vector<std::vector<std::string>> cases = {
      {"start", "-f", fixture("no/such/Procfile")},
      {"start", "-f", fixture("ports/Procfile"), "nope"},
      {"start", "-f", fixture("ports/Procfile"), "-m", "ghost=1"},
      {"start", "-f", fixture("ports/Procfile"), "-e", fixture("no-such.env")},
      {"--frobnicate"},
  };
  for (const auto& args : cases) {
    ToolRun run(args);
    auto st = run.finish();
    ASSERT_TRUE(st);
    EXPECT_EQ(*st, ExitStatus::exited(1)) << args.back();
    EXPECT_NE(run.stderr_text().find("modhost: error: "), std::string::npos) << args.back();
  }
}

TEST(ToolConfig, PortAndPsPerInstanceWithPlainFormat) {
  ToolRun run({"start", "-f", fixture("ports/Procfile"), "--no-color", "-m", "a=2", "-p", "7000"});
  auto a1 = run.wait_stdout_stamped("a.1    | PORT=7000 PS=a.1");
  auto a2 = run.wait_stdout_stamped("a.2    | PORT=7001 PS=a.2");
  auto b1 = run.wait_stdout_stamped("b.1    | PORT=7100 PS=b.1");
  EXPECT_TRUE(a1 && a2 && b1) << run.stdout_text();
  auto started = run.wait_stdout("system | a.1 started with pid ");
  ASSERT_TRUE(started) << run.stdout_text();
  EXPECT_TRUE(ToolRun::is_clock(started->substr(0, 8))) << *started;
  run.send(Signal::Interrupt);
  auto st = run.finish();
  ASSERT_TRUE(st);
  EXPECT_EQ(*st, ExitStatus::exited(130));
  for (const std::string& line : run.stdout_lines()) {
    EXPECT_EQ(line.find('\x1b'), std::string::npos) << "colour despite --no-color: " << line;
  }
}

TEST(ToolConfig, PortComesFromEnvironmentWhenNotGiven) {
  ToolRun run({"start", "-f", fixture("ports/Procfile"), "--no-timestamp", "b"}, {{"PORT", "9000"}});
  EXPECT_TRUE(run.wait_stdout_line("b.1    | PORT=9100 PS=b.1")) << run.stdout_text();
  run.send(Signal::Terminate);
  ASSERT_TRUE(run.finish());
  EXPECT_EQ(run.stdout_text().find("a.1"), std::string::npos);  // only b was asked for
}

TEST(ToolConfig, NoPrefixPrintsBareLines) {
  ToolRun run({"start", "-f", fixture("signals/Procfile"), "--no-prefix"});
  EXPECT_TRUE(run.wait_stdout_line("web ready")) << run.stdout_text();
  run.send(Signal::Interrupt);
  ASSERT_TRUE(run.finish());
}

TEST(ToolConfig, ColorAlwaysColoursLabels) {
  ToolRun run({"start", "-f", fixture("signals/Procfile"), "--color=always"});
  auto line = run.wait_stdout(" web.1  |\x1b[0m web ready");
  ASSERT_TRUE(line) << run.stdout_text();
  EXPECT_EQ(line->substr(0, 5), "\x1b[36m");
  EXPECT_TRUE(ToolRun::is_clock(line->substr(5, 8))) << *line;
  run.send(Signal::Interrupt);
  ASSERT_TRUE(run.finish());
}

TEST(ToolConfig, DotenvOverridesInheritedAndLaterFilesWin) {
  const std::vector<std::pair<std::string, std::string>> env = {
      {"A", "from-parent"}, {"C", "from-parent"}, {"INHERITED_X", "ix"}};
  {
    ToolRun run({"start", "-f", fixture("env/Procfile"), "--no-color"}, env);
    EXPECT_TRUE(run.wait_stdout_stamped("show.1 | A=from-dotenv B=from-dotenv C=from-parent D=ix-expanded"))
        << run.stdout_text();
    run.send(Signal::Interrupt);
    ASSERT_TRUE(run.finish());
  }
  {
    ToolRun run({"start", "-f", fixture("env/Procfile"), "--no-color", "-e",
                 fixture("env/.env") + "," + fixture("env/second.env")},
                env);
    EXPECT_TRUE(run.wait_stdout_stamped("show.1 | A=from-dotenv B=from-second C=from-parent D=ix-expanded"))
        << run.stdout_text();
    run.send(Signal::Interrupt);
    ASSERT_TRUE(run.finish());
  }
}

TEST(ToolConfig, PartialLineIsFlushedAndContinuedWithTheSamePrefix) {
  ToolRun run({"start", "-f", fixture("partial/Procfile"), "--no-timestamp"});
  EXPECT_TRUE(run.wait_stdout_line("partial.1 | first part")) << run.stdout_text();
  EXPECT_TRUE(run.wait_stdout_line("partial.1 | second part")) << run.stdout_text();
  run.send(Signal::Interrupt);
  ASSERT_TRUE(run.finish());
}

TEST(ToolConfig, OverLongLineContinuesWithTheSamePrefix) {
  ToolRun run({"start", "-f", fixture("long/Procfile"), "--no-timestamp", "--max-line-length",
               "65536"});
  EXPECT_TRUE(run.wait_stdout_line("long.1 | " + std::string(64 * 1024, 'x')));
  EXPECT_TRUE(run.wait_stdout_line("long.1 | " + std::string(70000 - 64 * 1024, 'x')));
  run.send(Signal::Interrupt);
  ASSERT_TRUE(run.finish());
}

TEST(ToolConfig, RunAppliesDotenvAndReturnsTheCode) {
  ToolRun run({"run", "-e", fixture("env/.env"), "sh", "-c", "echo \"A=$A D=$D\"; exit 7"},
              {{"A", "from-parent"}, {"INHERITED_X", "ix"}});
  auto st = run.finish();
  ASSERT_TRUE(st);
  EXPECT_EQ(*st, ExitStatus::exited(7));
  EXPECT_EQ(run.stdout_lines(), std::vector<std::string>{"A=from-dotenv D=ix-expanded"});
}

TEST(ToolConfig, RunForwardsSignals) {
  ToolRun run({"run", "-e", "", "sh", "-c", "trap 'echo got TERM; exit 5' TERM; echo ready; "
                                              "while :; do sleep 1; done"});
  ASSERT_TRUE(run.wait_stdout_line("ready"));
  run.send(Signal::Terminate);
  auto st = run.finish();
  ASSERT_TRUE(st);
  EXPECT_EQ(*st, ExitStatus::exited(5)) << run.stdout_text() << run.stderr_text();
}

TEST(ToolConfig, RunOfMissingProgramFails) {
  ToolRun run({"run", "-e", "", "/no/such/program"});
  auto st = run.finish();
  ASSERT_TRUE(st);
  EXPECT_EQ(*st, ExitStatus::exited(127));
  EXPECT_NE(run.stderr_text().find("/no/such/program"), std::string::npos);
}

TEST(ToolConfig, HelpAndVersion) {
  ToolRun help({"--help"});
  ASSERT_TRUE(help.finish());
  EXPECT_NE(help.stdout_text().find("Usage:"), std::string::npos);
  ToolRun version({"--version"});
  auto st = version.finish();
  ASSERT_TRUE(st);
  EXPECT_EQ(*st, ExitStatus::exited(0));
  EXPECT_EQ(version.stdout_lines(), std::vector<std::string>{"modhost 0.1.0"});
}

TEST(ToolConfig, VersionAndHelpCommands) {
  ToolRun version({"version"});
  auto st = version.finish();
  ASSERT_TRUE(st);
  EXPECT_EQ(*st, ExitStatus::exited(0)) << version.stderr_text();
  EXPECT_EQ(version.stdout_lines(), std::vector<std::string>{"modhost 0.1.0"});

  ToolRun help({"help"});
  st = help.finish();
  ASSERT_TRUE(st);
  EXPECT_EQ(*st, ExitStatus::exited(0)) << help.stderr_text();
  EXPECT_NE(help.stdout_text().find("Usage:"), std::string::npos);

  ToolRun run_help({"help", "run"});
  st = run_help.finish();
  ASSERT_TRUE(st);
  EXPECT_EQ(*st, ExitStatus::exited(0)) << run_help.stderr_text();
  EXPECT_EQ(run_help.stdout_lines().at(0), "Usage: modhost run [OPTIONS] CMD [ARGS...]");

  ToolRun unknown({"help", "nope"});
  st = unknown.finish();
  ASSERT_TRUE(st);
  EXPECT_EQ(*st, ExitStatus::exited(1));
  EXPECT_NE(unknown.stderr_text().find("modhost: error: unknown command \"nope\""),
            std::string::npos)
      << unknown.stderr_text();
}

// .modhost (foreman's .foreman keys) in the project folder supplies defaults; flags win.
TEST(ToolConfig, DefaultsFileSuppliesDefaultsThatFlagsOverride) {
  {
    ToolRun run({"start", "-d", fixture("defaults"), "--no-timestamp"});
    EXPECT_TRUE(run.wait_stdout("web.1  |\x1b[0m PORT=6000 PS=web.1")) << run.stdout_text();
    EXPECT_TRUE(run.wait_stdout("web.2  |\x1b[0m PORT=6001 PS=web.2")) << run.stdout_text();
    EXPECT_NE(run.stderr_text().find("modhost: warning: " + fixture("defaults") +
                                     "/.modhost:7: unknown key \"frobnicate\", skipped"),
              std::string::npos)
        << run.stderr_text();
    run.send(Signal::Terminate);
    auto st = run.finish();
    ASSERT_TRUE(st);
    EXPECT_EQ(*st, ExitStatus::exited(143));
    EXPECT_NE(run.stdout_text().find("killing them after 0.5s"), std::string::npos)
        << run.stdout_text();
  }
  {
    ToolRun run({"start", "-d", fixture("defaults"), "--no-timestamp", "--no-color", "-p", "7000",
                 "-m", "web=1", "-t", "2"});
    EXPECT_TRUE(run.wait_stdout_line("web.1  | PORT=7000 PS=web.1")) << run.stdout_text();
    run.send(Signal::Terminate);
    auto st = run.finish();
    ASSERT_TRUE(st);
    EXPECT_EQ(*st, ExitStatus::exited(143));
    std::string out = run.stdout_text();
    EXPECT_NE(out.find("killing them after 2s"), std::string::npos) << out;
    EXPECT_EQ(out.find("web.2"), std::string::npos) << out;
    EXPECT_EQ(out.find('\x1b'), std::string::npos) << out;
  }
}

TEST(ToolConfig, ForemanDefaultsFileIsRead) {
  ToolRun run({"start", "-d", fixture("foreman_defaults"), "--no-timestamp", "--no-color"});
  EXPECT_TRUE(run.wait_stdout_line("web.2  | PORT=6101 PS=web.2")) << run.stdout_text()
                                                                   << run.stderr_text();
  run.send(Signal::Terminate);
  ASSERT_TRUE(run.finish());
}

// As in honcho, PROCFILE set in the .env file names the Procfile.
TEST(ToolConfig, ProcfileNamedInDotenv) {
  ToolRun run({"check", "-d", fixture("procfile_env")});
  auto st = run.finish();
  ASSERT_TRUE(st);
  EXPECT_EQ(*st, ExitStatus::exited(0)) << run.stderr_text();
  EXPECT_EQ(run.stdout_lines(), std::vector<std::string>{"valid procfile detected (alt)"});
}

// As in foreman, `run NAME` runs the Procfile's NAME entry (with the .env); other words are
// commands.
TEST(ToolConfig, RunRunsAProcfileEntryByName) {
  ToolRun run({"run", "-f", fixture("env/Procfile"), "show"},
              {{"A", "from-parent"}, {"INHERITED_X", "ix"}});
  EXPECT_TRUE(run.wait_stdout_line("A=from-dotenv B=from-dotenv C= D=ix-expanded"))
      << run.stdout_text() << run.stderr_text();
  run.send(Signal::Terminate);
  auto st = run.finish();
  ASSERT_TRUE(st);
  EXPECT_EQ(*st, ExitStatus::exited(143)) << run.stderr_text();

  ToolRun command({"run", "-f", fixture("env/Procfile"), "true"});
  st = command.finish();
  ASSERT_TRUE(st);
  EXPECT_EQ(*st, ExitStatus::exited(0)) << command.stderr_text();
}

}  // namespace
}  // namespace modhost::cli::test
