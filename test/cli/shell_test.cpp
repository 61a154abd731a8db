// How the tool runs a Procfile command: which commands need no shell (plain_command_words), what
// start_command makes of them on POSIX, and, through the built tool, that a command run without
// the shell behaves as `sh -c "exec COMMAND"` did: same arguments, the PWD the shell would have
// exported, and the shell's own report when the program cannot be started.

#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <vector>

#include "cli/shell.hpp"
#include "modhost_platform.hpp"
#include "tool_runner.hpp"

#if defined(MODHOST_PLATFORM_POSIX)
#include <stdlib.h>

#include <cstdio>
#include <memory>

#include "temp_dir.hpp"
#endif

using Words = std::vector<std::string>;

namespace modhost::cli::test {
namespace {

TEST(PlainCommand, LiteralWordsAreSplitOnBlanks) {
  EXPECT_EQ(plain_command_words("prog"), Words{"prog"});
  EXPECT_EQ(plain_command_words("  /usr/bin/prog \t-p 5000 --name=web a,b:c+d@e%f  "),
            (Words{"/usr/bin/prog", "-p", "5000", "--name=web", "a,b:c+d@e%f"}));
  EXPECT_EQ(plain_command_words("./bin/server"), Words{"./bin/server"});
}

TEST(PlainCommand, AnythingAShellWouldInterpretIsRefused) {
  for (const char* c : {"echo $PORT", "prog ${PORT}", "prog > log", "prog < in", "prog 2>&1",
                        "prog *.txt", "prog ?", "prog [ab]", "prog ~/x", "prog 'a b'",
                        "prog \"a\"", "prog a\\ b", "prog # comment", "prog {a,b}", "prog !x",
                        "prog a;b", "a | b", "a && b", "FOO=1 prog", "-prog", "cd /tmp",
                        "exec prog", "if true", "prog\r", "prog \x01", "prog \xc3\xa9", "", "  "}) {
    EXPECT_EQ(plain_command_words(c), std::nullopt) << c;
  }
}

#if defined(MODHOST_PLATFORM_POSIX)

const std::optional<std::string> kPath = std::string("/usr/local/bin:/usr/bin:/bin");

TEST(StartCommand, PlainCommandRunsWithoutTheShell) {
  ShellCommand run = start_command("prog -p 5000", "/", kPath, std::string("/"));
  EXPECT_TRUE(run.direct);
  EXPECT_EQ(run.program, "prog");
  EXPECT_EQ(run.args, (Words{"-p", "5000"}));
  ASSERT_EQ(run.env.size(), 1u);
  EXPECT_EQ(run.env[0].first, "PWD");
  EXPECT_EQ(run.env[0].second, "/");

  run = start_command("/bin/prog", "/", std::nullopt, std::nullopt);
  EXPECT_TRUE(run.direct) << "an absolute program needs no PATH";
  EXPECT_EQ(run.env.at(0).second, "/") << "without a PWD, sh exports the physical folder";
}

TEST(StartCommand, WhatDependsOnTheFolderOrTheShellKeepsTheShell) {
  struct Case {
    const char* command;
    std::optional<std::string> path;
  };
  const Case cases[] = {
      {"./bin/server", kPath},             // relative to the folder the shell runs in
      {"bin/server", kPath},
      {"prog", std::string("bin:/usr/bin")},  // a relative PATH entry
      {"prog", std::string("/usr/bin::/bin")},  // an empty one: the current folder
      {"prog", std::string("/usr/bin:")},
      {"prog", std::string("")},
      {"prog", std::nullopt},
      {"prog $PORT", kPath},
  };
  for (const Case& c : cases) {
    ShellCommand run = start_command(c.command, "/", c.path, std::string("/"));
    EXPECT_FALSE(run.direct) << c.command << " with PATH " << c.path.value_or("(unset)");
    EXPECT_EQ(run.program, "/bin/sh");
    EXPECT_TRUE(run.env.empty());
  }
}

TEST(StartCommand, PwdIsWhatTheShellWouldExport) {
  // A PWD naming the folder is kept as given, even through a symlink (/tmp/.. is /); any other
  // value, or one with . or .. in it, is replaced by the physical path, as sh does.
  EXPECT_EQ(start_command("prog", "/", kPath, std::string("/")).env.at(0).second, "/");
  EXPECT_EQ(start_command("prog", "/", kPath, std::string("/tmp")).env.at(0).second, "/");
  EXPECT_EQ(start_command("prog", "/", kPath, std::string("/tmp/..")).env.at(0).second, "/");
  EXPECT_EQ(start_command("prog", "/", kPath, std::string("relative")).env.at(0).second, "/");
  EXPECT_EQ(start_command("prog", "/tmp/../", kPath, std::string("/")).env.at(0).second, "/");
  // A folder that does not exist: the shell decides (and the spawn reports it).
  EXPECT_FALSE(start_command("prog", "/no/such/folder/modhost", kPath, std::nullopt).direct);
}

std::string hex_bytes(const std::string& s) {
  std::string out;
  char buf[4];
  for (unsigned char c : s) {
    std::snprintf(buf, sizeof buf, "%02x", c);
    if (!out.empty()) out += ' ';
    out += buf;
  }
  return out;
}

// Each line of the Procfile is plain, so the tool starts its program itself; each must still do
// what `sh -c "exec LINE"` did: the arguments as written, the PWD sh exports (the folder's
// physical path: the tool runs in another folder), and, for what cannot be started directly, the
// shell's own message and exit code (127 not found, 126 not executable) or the shell running a
// script that has no `#!` line.
TEST(ToolStartCommand, PlainCommandsBehaveAsUnderTheShell) {
  TempDir dir;
  ASSERT_FALSE(dir.path().empty());
  std::unique_ptr<char, decltype(&::free)> real(::realpath(dir.path().c_str(), nullptr), &::free);
  ASSERT_TRUE(real);
  const std::string child = MODHOST_TEST_CHILD;
  dir.write("script", "echo script ran\nexit 3\n", 0755);
  dir.write("data", "not a program\n", 0644);
  const std::string procfile = dir.write(
      "Procfile", "args: " + child + " argv one --two=2 a,b:c\n" +
                      "pwd: " + child + " env-units PWD\n" +
                      "missing: modhost-no-such-program x\n" +
                      "script: " + dir.path() + "/script\n" +
                      "data: " + dir.path() + "/data\n");
  ToolRun run({"start", "-f", procfile, "--no-timestamp", "--can-die",
               "args,pwd,missing,script,data"},
              {{"PWD", "/"}});
  auto st = run.finish();
  ASSERT_TRUE(st);
  EXPECT_EQ(*st, ExitStatus::exited(0)) << run.stdout_text() << run.stderr_text();
  EXPECT_TRUE(run.wait_stdout_line("args.1    | " + std::string("one\0--two=2\0a,b:c\0", 18)))
      << run.stdout_text();
  EXPECT_TRUE(run.wait_stdout_line("pwd.1     | " + hex_bytes(real.get()))) << run.stdout_text();
  auto missing = run.wait_stdout("missing.1 | ");
  ASSERT_TRUE(missing) << run.stdout_text();
  EXPECT_NE(missing->find("modhost-no-such-program"), std::string::npos) << *missing;
  EXPECT_NE(missing->find("not found"), std::string::npos) << *missing;
  EXPECT_TRUE(run.wait_stdout("missing.1 exited with code 127")) << run.stdout_text();
  EXPECT_TRUE(run.wait_stdout_line("script.1  | script ran")) << run.stdout_text();
  EXPECT_TRUE(run.wait_stdout("script.1 exited with code 3")) << run.stdout_text();
  EXPECT_TRUE(run.wait_stdout("data.1 exited with code 126")) << run.stdout_text();
}

// `modhost run NAME` starts the Procfile's command the same way, and falls back the same way.
TEST(ToolStartCommand, RunOfAPlainProcfileEntry) {
  TempDir dir;
  ASSERT_FALSE(dir.path().empty());
  const std::string procfile =
      dir.write("Procfile", std::string("args: ") + MODHOST_TEST_CHILD + " argv x y\n" +
                                "missing: modhost-no-such-program\n");
  {
    ToolRun run({"run", "-f", procfile, "-e", "", "args"});
    auto st = run.finish();
    ASSERT_TRUE(st);
    EXPECT_EQ(*st, ExitStatus::exited(0)) << run.stderr_text();
    EXPECT_EQ(run.stdout_lines(), std::vector<std::string>{std::string("x\0y\0", 4)});
  }
  {
    ToolRun run({"run", "-f", procfile, "-e", "", "missing"});
    auto st = run.finish();
    ASSERT_TRUE(st);
    EXPECT_EQ(*st, ExitStatus::exited(127)) << run.stderr_text();
    EXPECT_TRUE(run.wait_stderr("not found")) << run.stderr_text();
  }
}

#endif

}  // namespace
}  // namespace modhost::cli::test
