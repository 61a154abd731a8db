// What the child gets: argv, environment, working directory, fds, signal state; and every bad
// input spawn() must refuse cleanly. Every test runs on both spawn paths.

#ifndef _WIN32  // POSIX headers; the tests that need them are POSIX-only.
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>
#endif

#include <algorithm>
#include <string>
#include <vector>

#include "process_test_util.hpp"

namespace modhost::test {
namespace {

using Spawn = SpawnPaths;

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

std::string run(const SpawnOptions& o) {
  auto c = ChildProcess::spawn(o);
  EXPECT_TRUE(c) << c.error().message();
  if (!c) return {};
  auto out = c->output();
  EXPECT_TRUE(out);
  EXPECT_TRUE(out->status.success()) << out->status.to_string();
  return out->stdout_data;
}

bool has(const std::vector<std::string>& v, const std::string& s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

TEST_P(Spawn, ArgvFidelity) {
  std::vector<std::string> args = {"",          "a b",  "\"quoted\"", "'single'", "back\\slash",
                                   "ü€😀",     "$HOME", "*",          "a\tb\nc",  "-",
                                   std::string(10000, 'x')};
  std::vector<std::string> all = {"argv"};
  all.insert(all.end(), args.begin(), args.end());
  EXPECT_EQ(split_nul(run(child(all))), args);
}

TEST_P(Spawn, EnvironmentOverrideAndRemove) {
  ::setenv("MODHOST_TEST_REMOVE_ME", "1", 1);
  SpawnOptions o = child({"env"});
  o.env = {{"MODHOST_A", "1"}, {"MODHOST_A", "2"}, {"MODHOST_EMPTY", ""},
           {"MODHOST_TEST_REMOVE_ME", std::nullopt}, {"MODHOST_B", "x=y"}};
  auto env = split_nul(run(o));
  EXPECT_TRUE(has(env, "MODHOST_A=2"));
  EXPECT_FALSE(has(env, "MODHOST_A=1"));
  EXPECT_TRUE(has(env, "MODHOST_EMPTY="));
  EXPECT_TRUE(has(env, "MODHOST_B=x=y"));
  EXPECT_FALSE(has(env, "MODHOST_TEST_REMOVE_ME=1"));
  EXPECT_TRUE(has(env, std::string("PATH=") + ::getenv("PATH")));
  ::unsetenv("MODHOST_TEST_REMOVE_ME");
}

TEST_P(Spawn, EnvironmentInheritedWhenUnchanged) {
  ::setenv("MODHOST_TEST_INHERITED", "yes", 1);
  auto env = split_nul(run(child({"env"})));
  EXPECT_TRUE(has(env, "MODHOST_TEST_INHERITED=yes"));
  ::unsetenv("MODHOST_TEST_INHERITED");
}

#ifndef _WIN32  // Wine adds WINE* and SystemRoot variables to every process it starts.
TEST_P(Spawn, EnvironmentCleared) {
  SpawnOptions o = child({"env"});
  o.clear_env = true;
  o.env = {{"ONLY", "1"}};
  EXPECT_EQ(split_nul(run(o)), std::vector<std::string>{"ONLY=1"});
}
#endif

#ifndef _WIN32  // POSIX paths ('/', ':') and errno text; Windows: Win32Spawn.
TEST_P(Spawn, ProgramFoundOnTheChildsPath) {
  std::string dir = std::string(kChild).substr(0, std::string(kChild).rfind('/'));
  SpawnOptions o = child({"exit", "0"});
  o.program = "modhost_test_child";
  o.clear_env = true;
  o.env = {{"PATH", "/nonexistent:" + dir}};
  auto c = ChildProcess::spawn(o);
  ASSERT_TRUE(c) << c.error().message();
  EXPECT_TRUE(c->wait()->success());

  o.env = {{"PATH", "/nonexistent"}};
  auto missing = ChildProcess::spawn(o);
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().message(),
            "failed to spawn process: modhost_test_child: No such file or directory");
}
#endif

#ifndef _WIN32  // realpath and /tmp.
TEST_P(Spawn, WorkingDirectory) {
  char real[PATH_MAX];
  ASSERT_NE(::realpath("/tmp", real), nullptr);
  SpawnOptions o = child({"cwd"});
  o.working_directory = "/tmp";
  EXPECT_EQ(run(o), std::string(real) + "\n");
}
#endif

#ifndef _WIN32  // chdir and '/' paths.
TEST_P(Spawn, RelativeProgramIsRelativeToTheParentsDirectory) {
  std::string path = kChild;
  std::string dir = path.substr(0, path.rfind('/'));
  char old[PATH_MAX];
  ASSERT_NE(::getcwd(old, sizeof old), nullptr);
  ASSERT_EQ(::chdir(dir.c_str()), 0);
  SpawnOptions o = child({"cwd"});
  o.program = "./modhost_test_child";
  o.working_directory = "/";
  auto c = ChildProcess::spawn(o);
  ASSERT_EQ(::chdir(old), 0);
  ASSERT_TRUE(c) << c.error().message();
  EXPECT_EQ(c->output()->stdout_data, "/\n");
}
#endif

#ifndef _WIN32  // fd and child counts via /proc, errno texts; Windows: Win32Spawn.
TEST_P(Spawn, BadInputsAreErrorsAndLeaveNothingBehind) {
  int fds_before = count_open_fds();
  auto expect_invalid = [](SpawnOptions o, const std::string& needle) {
    auto c = ChildProcess::spawn(o);
    ASSERT_FALSE(c);
    EXPECT_EQ(c.error().code(), make_error_code(errc::invalid_argument)) << c.error().message();
    EXPECT_NE(c.error().message().find(needle), std::string::npos) << c.error().message();
  };
  SpawnOptions o = child({"exit", "0"});
  o.program = "";
  expect_invalid(o, "program is empty");
  o = child({"exit", std::string("a\0b", 3)});
  expect_invalid(o, "argument 2 contains a NUL byte");
  o = child({"exit"});
  o.program = std::string(kChild) + std::string("\0x", 2);
  expect_invalid(o, "program contains a NUL byte");
  o = child({"exit"});
  o.env = {{"A=B", "1"}};
  expect_invalid(o, "'A=B' contains '='");
  o.env = {{"", "1"}};
  expect_invalid(o, "environment key is empty");
  o.env = {{"K", std::string("v\0w", 3)}};
  expect_invalid(o, "contains a NUL byte");
  o.env = {{std::string("K\0", 2), "v"}};
  expect_invalid(o, "contains a NUL byte");
  // A bad working directory is the OS's error, not an invalid argument: its code is the OS's.
  auto expect_os_error = [](SpawnOptions o, const std::string& needle) {
    auto c = ChildProcess::spawn(o);
    ASSERT_FALSE(c);
    EXPECT_EQ(c.error().code().category(), std::system_category()) << c.error().message();
    EXPECT_NE(c.error().code().value(), 0);
    EXPECT_NE(c.error().message().find(needle), std::string::npos) << c.error().message();
  };
  o = child({"exit"});
  o.working_directory = "/no/such/dir";
  expect_os_error(o, "working directory /no/such/dir does not exist");
  o.working_directory = kChild;
  expect_os_error(o, "is not a directory");

  auto missing = ChildProcess::spawn([] {
    SpawnOptions m;
    m.program = "/no/such/prog";
    return m;
  }());
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().message(),
            "failed to spawn process: /no/such/prog: No such file or directory");
  EXPECT_EQ(missing.error().code(), std::error_code(ENOENT, std::system_category()));

  SpawnOptions dir;
  dir.program = "/tmp";
  auto is_dir = ChildProcess::spawn(dir);
  ASSERT_FALSE(is_dir);
  EXPECT_EQ(is_dir.error().code(), std::error_code(EACCES, std::system_category()));
  EXPECT_NE(is_dir.error().message().find("is a directory"), std::string::npos)
      << is_dir.error().message();

  char tmpl[] = "/tmp/modhost_noexec_XXXXXX";
  int fd = ::mkstemp(tmpl);
  ASSERT_GE(fd, 0);
  ::close(fd);
  ::chmod(tmpl, 0644);
  SpawnOptions noexec;
  noexec.program = tmpl;
  auto denied = ChildProcess::spawn(noexec);
  ::unlink(tmpl);
  ASSERT_FALSE(denied);
  EXPECT_EQ(denied.error().code(), std::error_code(EACCES, std::system_category()));
  EXPECT_EQ(denied.error().message(),
            std::string("failed to spawn process: ") + tmpl + ": Permission denied");

  EXPECT_EQ(count_open_fds(), fds_before);
  EXPECT_TRUE(list_children().empty());
}
#endif

#ifndef _WIN32  // fds; Windows inherits only the handle list.
TEST_P(Spawn, ChildGetsOnlyStdioEvenWithLeakedHostFds) {
  // A host fd without close-on-exec, placed high and low.
  int leaked = ::open("/dev/null", O_RDONLY);
  ASSERT_GE(leaked, 0);
  int high = ::dup2(leaked, 200);
  ASSERT_EQ(high, 200);
  SpawnOptions o = child({"fds"});
  o.stderr_mode = Stdio::Pipe;
  o.stdin_mode = Stdio::Pipe;
  EXPECT_EQ(run(o), "0 1 2\n");
  ::close(leaked);
  ::close(high);
}
#endif

#ifndef _WIN32  // signal masks and dispositions do not exist on Windows.
TEST_P(Spawn, ChildStartsWithCleanSignals) {
  struct sigaction ignore {}, old_pipe {}, old_usr2 {};
  ignore.sa_handler = SIG_IGN;
  ::sigaction(SIGPIPE, &ignore, &old_pipe);
  ::sigaction(SIGUSR2, &ignore, &old_usr2);
  sigset_t block, old_mask;
  sigemptyset(&block);
  sigaddset(&block, SIGUSR1);
  sigaddset(&block, SIGTERM);
  ::pthread_sigmask(SIG_BLOCK, &block, &old_mask);
  std::string out = run(child({"signals"}));
  ::pthread_sigmask(SIG_SETMASK, &old_mask, nullptr);
  ::sigaction(SIGPIPE, &old_pipe, nullptr);
  ::sigaction(SIGUSR2, &old_usr2, nullptr);
  EXPECT_EQ(out, "SigBlk:\t0000000000000000\nSigIgn:\t0000000000000000\n");
}
#endif

#ifndef _WIN32  // getpgid and PR_SET_PDEATHSIG are POSIX / Linux.
TEST_P(Spawn, NoProcessGroupAndKillOnParentDeath) {
  SpawnOptions o = child({"sleep", "1000"});
  o.new_process_group = false;
  o.kill_on_parent_death = true;
  auto c = ChildProcess::spawn(o);
  ASSERT_TRUE(c) << c.error().message();
  EXPECT_EQ(::getpgid(static_cast<pid_t>(c->pid())), ::getpgrp());
  auto r = c->stop(std::chrono::seconds(5));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, ExitStatus::signaled(SIGTERM));

  SpawnOptions g = child({"sleep", "1000"});
  auto leader = ChildProcess::spawn(g);
  ASSERT_TRUE(leader);
  EXPECT_EQ(::getpgid(static_cast<pid_t>(leader->pid())), leader->pid());
}
#endif

INSTANTIATE_TEST_SUITE_P(Paths, Spawn, ::testing::ValuesIn(all_paths()), path_name);

}  // namespace
}  // namespace modhost::test
