// ChildProcess lifecycle against the real helper child: exit codes, signals, waits, moves,
// output() and pipes. Every test runs on both spawn paths.

#ifndef _WIN32  // POSIX headers; the tests that need them are POSIX-only.
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>
#endif

#include <chrono>
#include <thread>

#include "process_test_util.hpp"

namespace modhost::test {
namespace {

using namespace std::chrono_literals;
using Lifecycle = SpawnPaths;

TEST_P(Lifecycle, ExitCodes) {
  for (int code : {0, 1, 3, 255}) {
    auto c = ChildProcess::spawn(child({"exit", std::to_string(code)}));
    ASSERT_TRUE(c) << c.error().message();
    auto st = c->wait();
    ASSERT_TRUE(st) << st.error().message();
    EXPECT_EQ(*st, ExitStatus::exited(code));
    EXPECT_EQ(st->success(), code == 0);
    EXPECT_EQ(st->code(), code);
    EXPECT_EQ(st->shell_code(), code);
    EXPECT_EQ(st->to_string(), "exited with code " + std::to_string(code));
    // Statuses are sticky: waiting again gives the same answer at once.
    auto again = c->try_wait();
    ASSERT_TRUE(again);
    EXPECT_EQ(*again, ExitStatus::exited(code));
  }
}

#ifndef _WIN32  // Windows has no signals; exits are codes only.
TEST_P(Lifecycle, KilledBySignal) {
  auto c = ChildProcess::spawn(child({"raise", std::to_string(SIGUSR1)}));
  ASSERT_TRUE(c) << c.error().message();
  auto st = c->wait();
  ASSERT_TRUE(st);
  EXPECT_EQ(*st, ExitStatus::signaled(SIGUSR1));
  EXPECT_FALSE(st->success());
  EXPECT_EQ(st->signal(), SIGUSR1);
  EXPECT_EQ(st->shell_code(), 128 + SIGUSR1);
  EXPECT_EQ(st->to_string(), "killed by signal " + std::to_string(SIGUSR1) + " (SIGUSR1)");
}
#endif

#ifndef _WIN32  // POSIX signal statuses; Windows: win32_spawn_test.cpp (Win32Stop).
TEST_P(Lifecycle, TerminateAndKill) {
  auto a = ChildProcess::spawn(child({"sleep", "1000"}));
  ASSERT_TRUE(a);
  auto running = a->try_wait();
  ASSERT_TRUE(running);
  EXPECT_FALSE(running->has_value());
  ASSERT_TRUE(a->terminate());
  EXPECT_EQ(*a->wait(), ExitStatus::signaled(SIGTERM));
  EXPECT_EQ(ExitStatus::signaled(SIGTERM).to_string(), "killed by signal 15 (SIGTERM)");
  EXPECT_EQ(signal_name(SIGKILL), "SIGKILL");
  EXPECT_EQ(signal_name(12345), "");
  // After the exit both are no-ops, not errors.
  EXPECT_TRUE(a->terminate());
  EXPECT_TRUE(a->kill());

  auto b = ChildProcess::spawn(child({"ignore-term"}));
  ASSERT_TRUE(b);
  Pipe out = b->take_stdout();
  EXPECT_EQ(read_line(out), "ready");
  ASSERT_TRUE(b->kill());
  EXPECT_EQ(*b->wait(), ExitStatus::signaled(SIGKILL));
}
#endif

TEST_P(Lifecycle, WaitForTimesOut) {
  auto c = ChildProcess::spawn(child({"sleep", "1000"}));
  ASSERT_TRUE(c);
  auto t0 = std::chrono::steady_clock::now();
  auto r = c->wait_for(50ms);
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_FALSE(r->has_value());
  EXPECT_GE(std::chrono::steady_clock::now() - t0, 50ms);
}

TEST_P(Lifecycle, WaitForCutShortByCancel) {
  auto c = ChildProcess::spawn(child({"sleep", "1000"}));
  ASSERT_TRUE(c);
  CancellationToken token;
  auto t0 = std::chrono::steady_clock::now();
  std::thread canceller([&] { token.cancel(); });
  auto r = c->wait_for(30s, &token);
  canceller.join();
  ASSERT_TRUE(r);
  EXPECT_FALSE(r->has_value());
  // A wait the cancel does not cut short takes the whole 30 s; one that it does returns in
  // microseconds. 10 s tells the two apart with room for a loaded machine under a sanitizer.
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 10s);
  // A token cancelled beforehand returns at once as well.
  t0 = std::chrono::steady_clock::now();
  auto again = c->wait_for(30s, &token);
  ASSERT_TRUE(again);
  EXPECT_FALSE(again->has_value());
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 10s);
}

TEST_P(Lifecycle, WaitForSeesExit) {
  auto c = ChildProcess::spawn(child({"exit", "4"}));
  ASSERT_TRUE(c);
  CancellationToken token;
  auto r = c->wait_for(30s, &token);
  ASSERT_TRUE(r);
  ASSERT_TRUE(r->has_value());
  EXPECT_EQ(**r, ExitStatus::exited(4));
}

TEST_P(Lifecycle, InertObject) {
  ChildProcess c;
  EXPECT_FALSE(c.valid());
  EXPECT_EQ(c.pid(), 0);
  EXPECT_EQ(c.wait().error().code(), make_error_code(errc::not_running));
  EXPECT_EQ(c.try_wait().error().code(), make_error_code(errc::not_running));
  EXPECT_EQ(c.terminate().error().code(), make_error_code(errc::not_running));
  EXPECT_EQ(c.kill().error().code(), make_error_code(errc::not_running));
  EXPECT_EQ(c.stop(1s).error().code(), make_error_code(errc::not_running));
  EXPECT_EQ(c.output().error().code(), make_error_code(errc::not_running));
  EXPECT_FALSE(c.take_stdout().valid());
}

#ifndef _WIN32  // waitid and /proc; Windows: Win32Stop.DestructorEndsTheWholeTree.
TEST_P(Lifecycle, MovesAndDestructorReap) {
  auto a = ChildProcess::spawn(child({"sleep", "1000"}));
  ASSERT_TRUE(a);
  ProcessId pid_a = a->pid();
  ChildProcess moved(std::move(*a));
  EXPECT_FALSE(a->valid());
  EXPECT_TRUE(moved.valid());
  EXPECT_EQ(moved.pid(), pid_a);

  auto b = ChildProcess::spawn(child({"sleep", "1000"}));
  ASSERT_TRUE(b);
  moved = std::move(*b);  // Kills and reaps the first child.
  siginfo_t info{};
  EXPECT_EQ(::waitid(P_PID, static_cast<id_t>(pid_a), &info, WEXITED | WNOHANG | WNOWAIT), -1);
  EXPECT_EQ(errno, ECHILD);
  {
    ChildProcess dying = std::move(moved);
  }
  EXPECT_TRUE(list_children().empty());
}
#endif

TEST_P(Lifecycle, OutputReadsBothPipesWithoutDeadlock) {
  // 2 MB on each pipe, written alternately: reading one pipe to its end first would deadlock.
  SpawnOptions o = child({"both", "20000", "99"});
  o.stderr_mode = Stdio::Pipe;
  auto c = ChildProcess::spawn(o);
  ASSERT_TRUE(c);
  auto out = c->output();
  ASSERT_TRUE(out) << out.error().message();
  EXPECT_TRUE(out->status.success());
  EXPECT_EQ(out->stdout_data.size(), 20000u * 100u);
  EXPECT_EQ(out->stderr_data, out->stdout_data);
}

TEST_P(Lifecycle, OutputKeepsPartialLineAndRawBytes) {
  auto a = ChildProcess::spawn(child({"no-newline"}));
  ASSERT_TRUE(a);
  EXPECT_EQ(a->output()->stdout_data, "partial");
  auto b = ChildProcess::spawn(child({"invalid-utf8"}));
  ASSERT_TRUE(b);
  EXPECT_EQ(b->output()->stdout_data, "\xff\xfe\xc3\x28 bad \x80\n");
}

TEST_P(Lifecycle, LinesSplitBetweenStreams) {
  SpawnOptions o = child({"lines", "100", "10", "10"});
  o.stderr_mode = Stdio::Pipe;
  auto c = ChildProcess::spawn(o);
  ASSERT_TRUE(c);
  auto out = c->output();
  ASSERT_TRUE(out);
  EXPECT_EQ(out->stdout_data.size(), 90u * 11u);
  EXPECT_EQ(out->stderr_data.size(), 10u * 11u);

  o.merge_stderr_into_stdout = true;
  auto m = ChildProcess::spawn(o);
  ASSERT_TRUE(m);
  EXPECT_FALSE(m->take_stderr().valid());
  auto merged = m->output();
  ASSERT_TRUE(merged);
  EXPECT_EQ(merged->stdout_data.size(), 100u * 11u);
}

#ifndef _WIN32  // writes with ::write(fd); Windows: Win32Spawn.StdinPipe.
TEST_P(Lifecycle, StdinPipe) {
  SpawnOptions o = child({"cat"});
  o.stdin_mode = Stdio::Pipe;
  auto c = ChildProcess::spawn(o);
  ASSERT_TRUE(c);
  Pipe in = c->take_stdin();
  ASSERT_TRUE(in.valid());
  EXPECT_FALSE(c->take_stdin().valid());  // Handed over once.
  ASSERT_EQ(::write(static_cast<int>(in.native()), "hello\n", 6), 6);
  in.close();
  auto out = c->output();
  ASSERT_TRUE(out);
  EXPECT_EQ(out->stdout_data, "hello\n");
  EXPECT_TRUE(out->status.success());
}
#endif

#ifndef _WIN32  // fcntl flags; Windows ends are overlapped / non-inheritable.
TEST_P(Lifecycle, ParentEndsAreNonBlockingAndCloseOnExec) {
  SpawnOptions o = child({"sleep", "1000"});
  o.stdin_mode = Stdio::Pipe;
  o.stderr_mode = Stdio::Pipe;
  auto c = ChildProcess::spawn(o);
  ASSERT_TRUE(c);
  Pipe pipes[3] = {c->take_stdin(), c->take_stdout(), c->take_stderr()};
  for (Pipe& p : pipes) {
    ASSERT_TRUE(p.valid());
    int fd = static_cast<int>(p.native());
    EXPECT_TRUE(::fcntl(fd, F_GETFL) & O_NONBLOCK);
    EXPECT_TRUE(::fcntl(fd, F_GETFD) & FD_CLOEXEC);
  }
}
#endif

INSTANTIATE_TEST_SUITE_P(Paths, Lifecycle, ::testing::ValuesIn(all_paths()), path_name);

}  // namespace
}  // namespace modhost::test
