// Graceful stop, escalation, the whole process group, and leaks under load. Every test runs on
// both spawn paths.

#ifndef _WIN32  // POSIX headers; the tests that need them are POSIX-only.
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>
#endif

#include <atomic>
#include <chrono>
#include <thread>
#include <vector>

#include "process_test_util.hpp"

namespace modhost::test {
namespace {

using namespace std::chrono_literals;
using Stop = SpawnPaths;

#ifndef _WIN32  // needs SIGTERM; the CTRL_BREAK version is Win32Stop.CtrlBreakIsGraceful.
TEST_P(Stop, GracefulStop) {
  auto c = ChildProcess::spawn(child({"term-line"}));
  ASSERT_TRUE(c);
  Pipe out = c->take_stdout();
  ASSERT_EQ(read_line(out), "ready");  // Its SIGTERM handler is installed.
  auto r = c->stop(10s);
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_TRUE(r->graceful_sent);
  EXPECT_FALSE(r->killed);
  EXPECT_FALSE(r->already_exited);
  EXPECT_EQ(r->status, ExitStatus::exited(0));
  EXPECT_EQ(read_line(out), "got SIGTERM");
}
#endif

#ifndef _WIN32  // Windows skips the grace when CTRL_BREAK cannot be sent (Win32Stop).
TEST_P(Stop, EscalatesToKillAfterGrace) {
  auto c = ChildProcess::spawn(child({"ignore-term"}));
  ASSERT_TRUE(c);
  Pipe out = c->take_stdout();
  ASSERT_EQ(read_line(out), "ready");
  auto t0 = std::chrono::steady_clock::now();
  auto r = c->stop(100ms);
  ASSERT_TRUE(r);
  EXPECT_GE(std::chrono::steady_clock::now() - t0, 100ms);
  EXPECT_TRUE(r->graceful_sent);
  EXPECT_TRUE(r->killed);
  EXPECT_EQ(r->status, ExitStatus::signaled(SIGKILL));
}
#endif

#ifndef _WIN32  // expects SIGKILL; Windows skips the grace without CTRL_BREAK anyway.
TEST_P(Stop, CancelCutsTheGraceShort) {
  auto c = ChildProcess::spawn(child({"ignore-term"}));
  ASSERT_TRUE(c);
  Pipe out = c->take_stdout();
  ASSERT_EQ(read_line(out), "ready");
  CancellationToken token;
  std::thread canceller([&] { token.cancel(); });
  auto t0 = std::chrono::steady_clock::now();
  auto r = c->stop(30s, &token);
  canceller.join();
  ASSERT_TRUE(r);
  // A grace the cancel does not cut short lasts the whole 30 s; a cut one ends with the kill,
  // milliseconds later. 10 s tells the two apart with room for a loaded machine under a sanitizer.
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 10s);
  EXPECT_TRUE(r->killed);
  EXPECT_EQ(r->status, ExitStatus::signaled(SIGKILL));
}
#endif

TEST_P(Stop, AlreadyExited) {
  auto c = ChildProcess::spawn(child({"exit", "5"}));
  ASSERT_TRUE(c);
  ASSERT_TRUE(c->wait());
  auto r = c->stop(1s);
  ASSERT_TRUE(r);
  EXPECT_TRUE(r->already_exited);
  EXPECT_FALSE(r->graceful_sent);
  EXPECT_EQ(r->status, ExitStatus::exited(5));
}

#ifndef _WIN32  // prctl subreaper and waitpid; Windows: Win32Stop.KillEndsTheWholeTree.
// The leader dies of SIGTERM at once; its child ignores SIGTERM. stop() must not leave it behind.
// This process becomes a subreaper for the test, so the orphaned grandchild is reparented here and
// can be waited for (and seen dead by SIGKILL) deterministically instead of polled.
TEST_P(Stop, NoGrandchildSurvivesStop) {
  MODHOST_BECOME_SUBREAPER_OR_SKIP();
  for (auto grace : {2s, 0s}) {
    auto c = ChildProcess::spawn(child({"grandchild"}));
    ASSERT_TRUE(c);
    Pipe out = c->take_stdout();
    pid_t grandchild = static_cast<pid_t>(std::stol(read_line(out)));
    ASSERT_GT(grandchild, 0);
    EXPECT_EQ(::getpgid(grandchild), c->pid());
    auto r = c->stop(grace);
    ASSERT_TRUE(r);
    int status = 0;
    ASSERT_EQ(::waitpid(grandchild, &status, 0), grandchild);
    EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
    EXPECT_EQ(::kill(grandchild, 0), -1);
    EXPECT_EQ(errno, ESRCH);
  }
  ASSERT_EQ(::prctl(PR_SET_CHILD_SUBREAPER, 0), 0);
}
#endif

#ifndef _WIN32  // prctl subreaper and waitpid; Windows: Win32Stop.DestructorEndsTheWholeTree.
TEST_P(Stop, DestructorKillsTheGroup) {
  MODHOST_BECOME_SUBREAPER_OR_SKIP();
  pid_t grandchild = 0;
  {
    auto c = ChildProcess::spawn(child({"grandchild"}));
    ASSERT_TRUE(c);
    Pipe out = c->take_stdout();
    grandchild = static_cast<pid_t>(std::stol(read_line(out)));
  }
  int status = 0;
  ASSERT_EQ(::waitpid(grandchild, &status, 0), grandchild);
  EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
  ASSERT_EQ(::prctl(PR_SET_CHILD_SUBREAPER, 0), 0);
  EXPECT_TRUE(list_children().empty());
}
#endif

#ifndef _WIN32  // fd and zombie counts via /proc; Windows: Win32Spawn.FailuresLeakNoHandle.
TEST_P(Stop, NoZombieNoFdLeakAfter1000Cycles) {
  int fds_before = count_open_fds();
  for (int i = 0; i < 1000; ++i) {
    SpawnOptions o = child({"sleep", "1000"});
    o.stderr_mode = Stdio::Pipe;
    auto c = ChildProcess::spawn(o);
    ASSERT_TRUE(c) << c.error().message();
    auto r = c->stop(5s);
    ASSERT_TRUE(r) << r.error().message();
    ASSERT_EQ(r->status, ExitStatus::signaled(SIGTERM));
  }
  EXPECT_EQ(count_open_fds(), fds_before);
  EXPECT_TRUE(list_children().empty());
}
#endif

#ifndef _WIN32  // expects SIGTERM statuses and counts fds via /proc.
TEST_P(Stop, EightThreadsSpawnAndStop) {
  int fds_before = count_open_fds();
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 100; ++i) {
        auto c = ChildProcess::spawn(child({"sleep", "1000"}));
        if (!c) {
          ++failures;
          continue;
        }
        auto r = c->stop(5s);
        if (!r || r->status != ExitStatus::signaled(SIGTERM)) ++failures;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(count_open_fds(), fds_before);
  EXPECT_TRUE(list_children().empty());
}
#endif

INSTANTIATE_TEST_SUITE_P(Paths, Stop, ::testing::ValuesIn(all_paths()), path_name);

}  // namespace
}  // namespace modhost::test
