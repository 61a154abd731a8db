// Win32 only: command-line quoting (platform/win32/command_line.hpp), checked against the OS's
// own parser (CommandLineToArgvW), against the helper child's C runtime, and through cmd.exe for
// batch files, where arguments that cmd.exe cannot carry safely must be refused.
#ifdef _WIN32

#include <gtest/gtest.h>
// windows.h first: shellapi.h (CommandLineToArgvW) depends on its types.
#include <windows.h>
#include <shellapi.h>

#include <cstdio>
#include <string>
#include <vector>

#include "../../platform/win32/command_line.hpp"
#include "../../platform/win32/utf16.hpp"
#include "modhost/child_process.hpp"

namespace modhost::detail::win32 {
namespace {

// The arguments that exercise every rule: blanks, quotes, runs of backslashes before a quote and
// at the end, empty arguments.
const std::vector<std::string> kTricky = {
    "",          "plain",        "a b",       "a\tb",      "\"",           "\"quoted\"",
    "back\\slash", "trail\\",    "trail\\\\", "\\\"",      "a\\\\\"b",     "a \\",
    "  ",        "x\"y z\"",     "\\\\server\\share\\", "--flag=\"v\"", "a\nb", "a\vb",
};

std::vector<std::string> split_nul(const std::string& data) {
  std::vector<std::string> out;
  std::size_t start = 0;
  for (std::size_t i = 0; i < data.size(); ++i) {
    if (data[i] == '\0') {
      out.push_back(data.substr(start, i - start));
      start = i + 1;
    }
  }
  return out;
}

TEST(Win32CommandLine, QuotesOnlyWhenNeeded) {
  auto cmd = build_command_line("prog", {"a", "b-c", "d/e"});
  ASSERT_TRUE(cmd);
  EXPECT_EQ(*cmd, L"prog a b-c d/e");
  cmd = build_command_line("C:\\Program Files\\x.exe", {"", "a b", "a\\\"b", "c\\"});
  ASSERT_TRUE(cmd);
  EXPECT_EQ(*cmd, L"\"C:\\Program Files\\x.exe\" \"\" \"a b\" \"a\\\\\\\"b\" c\\");
}

TEST(Win32CommandLine, CommandLineToArgvWGivesTheArgumentsBack) {
  auto cmd = build_command_line("C:\\dir with space\\prog.exe", kTricky);
  ASSERT_TRUE(cmd) << cmd.error().message();
  int argc = 0;
  LPWSTR* argv = CommandLineToArgvW(cmd->c_str(), &argc);
  ASSERT_NE(argv, nullptr);
  ASSERT_EQ(argc, static_cast<int>(kTricky.size()) + 1);
  EXPECT_EQ(std::wstring(argv[0]), L"C:\\dir with space\\prog.exe");
  for (std::size_t i = 0; i < kTricky.size(); ++i) {
    EXPECT_EQ(to_utf8(argv[i + 1]), kTricky[i]) << "argument " << i + 1;
  }
  LocalFree(argv);
}

TEST(Win32CommandLine, HelperChildGetsTheArgumentsBack) {
  SpawnOptions o;
  o.program = MODHOST_TEST_CHILD;
  o.args = {"argv"};
  o.args.insert(o.args.end(), kTricky.begin(), kTricky.end());
  o.stdout_mode = Stdio::Pipe;
  auto child = ChildProcess::spawn(o);
  ASSERT_TRUE(child) << child.error().message();
  auto out = child->output();
  ASSERT_TRUE(out) << out.error().message();
  EXPECT_TRUE(out->status.success()) << out->status.to_string();
  EXPECT_EQ(split_nul(out->stdout_data), kTricky);
}

TEST(Win32CommandLine, RefusesWhatCannotBeCarried) {
  auto cmd = build_command_line("a\"b", {});
  ASSERT_FALSE(cmd);
  EXPECT_NE(cmd.error().message().find("double quote"), std::string::npos);
  cmd = build_command_line("p", {"ok", "\xff"});
  ASSERT_FALSE(cmd);
  EXPECT_NE(cmd.error().message().find("argument 2 is not valid UTF-8"), std::string::npos);
  cmd = build_command_line("p", {std::string(40000, 'x')});
  ASSERT_FALSE(cmd);
  EXPECT_NE(cmd.error().message().find("too long"), std::string::npos);
}

TEST(Win32CommandLine, DetectsBatchFiles) {
  EXPECT_TRUE(is_batch_file(L"C:\\x\\run.bat"));
  EXPECT_TRUE(is_batch_file(L"C:\\x\\RUN.CMD"));
  EXPECT_TRUE(is_batch_file(L"run.Bat. . "));  // Windows strips trailing dots and spaces
  EXPECT_FALSE(is_batch_file(L"run.exe"));
  EXPECT_FALSE(is_batch_file(L"bat"));
  EXPECT_FALSE(is_batch_file(L"run.bats"));
}

TEST(Win32CommandLine, BatchQuotingAndRefusals) {
  auto cmd = build_batch_command_line(L"C:\\w\\cmd.exe", L"C:\\s\\x.bat",
                                      {"plain", "a b", "a&b", "", "dir\\", "x|y^z"});
  ASSERT_TRUE(cmd) << cmd.error().message();
  EXPECT_EQ(*cmd,
            L"\"C:\\w\\cmd.exe\" /d /e:ON /v:OFF /s /c \"\"C:\\s\\x.bat\" plain \"a b\" \"a&b\" "
            L"\"\" \"dir\\\\\" \"x|y^z\"\"");
  for (const char* bad : {"a\"b", "%PATH%", "50%", "a\nb", "a\rb"}) {
    auto r = build_batch_command_line(L"cmd.exe", L"C:\\s\\x.bat", {"ok", bad});
    ASSERT_FALSE(r) << bad;
    EXPECT_EQ(r.error().code(), make_error_code(errc::invalid_argument));
    EXPECT_NE(r.error().message().find("argument 2 cannot be passed to a batch file safely"),
              std::string::npos)
        << r.error().message();
  }
  EXPECT_FALSE(build_batch_command_line(L"cmd.exe", L"C:\\100%\\x.bat", {}));
}

// A real batch file run through spawn(): its arguments reach the program it calls with %*, and an
// injection attempt stays an argument.
class Win32Batch : public ::testing::Test {
 protected:
  void SetUp() override {
    wchar_t dir[MAX_PATH];
    ASSERT_GT(GetTempPathW(MAX_PATH, dir), 0u);
    path_ = to_utf8(dir) + "modhost_test_" + std::to_string(GetCurrentProcessId()) + ".cmd";
    FILE* f = std::fopen(path_.c_str(), "wb");
    ASSERT_NE(f, nullptr);
    std::fputs("@echo off\r\n\"%MODHOST_CHILD%\" argv %*\r\n", f);
    std::fclose(f);
  }
  void TearDown() override { std::remove(path_.c_str()); }

  Result<Output> run(std::vector<std::string> args) {
    SpawnOptions o;
    o.program = path_;
    o.args = std::move(args);
    o.env = {{"MODHOST_CHILD", std::string(MODHOST_TEST_CHILD)}};
    o.stdout_mode = Stdio::Pipe;
    auto child = ChildProcess::spawn(o);
    if (!child) return child.error();
    return child->output();
  }

  std::string path_;
};

TEST_F(Win32Batch, ArgumentsArriveIntact) {
  const std::vector<std::string> args = {"plain", "a b", "a&echo INJECTED", "x|y", "(p)", "<in>",
                                         "c^d", "", "dir\\"};
  auto out = run(args);
  ASSERT_TRUE(out) << out.error().message();
  EXPECT_TRUE(out->status.success()) << out->status.to_string();
  EXPECT_EQ(out->stdout_data.find("INJECTED\r"), std::string::npos);
  auto got = split_nul(out->stdout_data);
  std::vector<std::string> want = args;
  want.back() = "dir\\";  // doubled for the trip through %*, and undone by the runtime's parser
  EXPECT_EQ(got, want);
}

TEST_F(Win32Batch, UnsafeArgumentIsRefusedBeforeAnythingRuns) {
  auto out = run({"ok", "\" & echo INJECTED & \""});
  ASSERT_FALSE(out);
  EXPECT_EQ(out.error().code(), make_error_code(errc::invalid_argument));
  EXPECT_NE(out.error().message().find("cannot be passed to a batch file safely"),
            std::string::npos)
      << out.error().message();
  EXPECT_FALSE(run({"%OS%"}));
}

}  // namespace
}  // namespace modhost::detail::win32

#endif  // _WIN32
