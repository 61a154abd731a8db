// Win32 only: how the Windows platform learns of exits (platform/win32/exit_watcher.cpp,
// exit_wait.cpp). Exits come from the process handle: the exit watcher's thread-pool waits and
// in-place waits, never job messages. Also: waits cut short by a token, signals refused after the
// exit, and a watcher thread the OS refuses.
#ifdef _WIN32

#include <gtest/gtest.h>
#include <windows.h>

#include <chrono>
#include <condition_variable>
#include <csignal>
#include <cstdlib>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "../../platform/win32/native_process.hpp"
#include "modhost/cancellation.hpp"
#include "modhost/child_process.hpp"
#include "modhost_platform.hpp"
#include "modhost_process_state.hpp"

namespace modhost::detail::win32 {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

SpawnOptions child(std::vector<std::string> args) {
  SpawnOptions o;
  o.program = MODHOST_TEST_CHILD;
  o.args = std::move(args);
  o.stdout_mode = Stdio::Null;
  return o;
}

// A child that runs until its stdin is closed (the helper's "cat"), then exits with 0 by itself.
struct CatChild {
  ChildProcess process;
  Pipe stdin_end;
};

CatChild spawn_cat() {
  SpawnOptions o = child({"cat"});
  o.stdin_mode = Stdio::Pipe;
  auto c = ChildProcess::spawn(o);
  if (!c) {
    ADD_FAILURE() << c.error().message();
    return {};
  }
  Pipe in = c->take_stdin();
  return {std::move(*c), std::move(in)};
}

// Associates the child's job with a completion port of the test's own, which nobody reads, so any
// job message about the child goes there. A job reports to one port only: the association
// succeeds only because modhost left the job without one (the old watcher associated every job
// with its own port and learned of exits from it; a job that reports elsewhere hung its waits).
void take_job_messages(ChildProcess& c, HANDLE port) {
  NativeProcess& native = *ChildProcessAccess::state(c).native();
  ASSERT_TRUE(native.job.valid()) << "a child with its own group runs in a job";
  JOBOBJECT_ASSOCIATE_COMPLETION_PORT assoc{};
  assoc.CompletionKey = reinterpret_cast<PVOID>(static_cast<ULONG_PTR>(77));
  assoc.CompletionPort = port;
  ASSERT_TRUE(SetInformationJobObject(native.job.get(), JobObjectAssociateCompletionPortInformation,
                                      &assoc, sizeof assoc))
      << "the job already reports to a completion port (error " << GetLastError() << ")";
}

class Win32Exit : public ::testing::Test {
 protected:
  void SetUp() override {
    port_ = CreateIoCompletionPort(INVALID_HANDLE_VALUE, nullptr, 0, 1);
    ASSERT_NE(port_, nullptr);
  }
  void TearDown() override {
    if (port_ != nullptr) CloseHandle(port_);
  }
  HANDLE port_ = nullptr;
};

TEST_F(Win32Exit, WaitDoesNotDependOnJobMessages) {
  CatChild c = spawn_cat();
  ASSERT_TRUE(c.process.valid());
  take_job_messages(c.process, port_);
  c.stdin_end.close();
  auto status = c.process.wait();
  ASSERT_TRUE(status) << status.error().message();
  EXPECT_EQ(*status, ExitStatus::exited(0));
}

TEST_F(Win32Exit, WaitForDoesNotDependOnJobMessages) {
  CatChild c = spawn_cat();
  ASSERT_TRUE(c.process.valid());
  take_job_messages(c.process, port_);
  c.stdin_end.close();
  auto status = c.process.wait_for(30s);
  ASSERT_TRUE(status) << status.error().message();
  ASSERT_TRUE(status->has_value()) << "the exit was not seen within 30 s";
  EXPECT_EQ(**status, ExitStatus::exited(0));
}

// Nobody waits: the exit watcher alone publishes the exit and runs the state's exit listener on
// its own thread, which is how LocalProcessBackend hears of exits.
TEST_F(Win32Exit, WatcherRunsTheExitListenerWithoutJobMessages) {
  CatChild c = spawn_cat();
  ASSERT_TRUE(c.process.valid());
  take_job_messages(c.process, port_);
  std::mutex mutex;
  std::condition_variable cv;
  bool heard = false;
  std::thread::id listener_thread;
  ASSERT_TRUE(ChildProcessAccess::state(c.process).set_exit_listener([&] {
    std::lock_guard<std::mutex> lock(mutex);
    heard = true;
    listener_thread = std::this_thread::get_id();
    cv.notify_all();
  }));
  c.stdin_end.close();
  {
    std::unique_lock<std::mutex> lock(mutex);
    ASSERT_TRUE(cv.wait_for(lock, 30s, [&] { return heard; })) << "no exit listener within 30 s";
    EXPECT_NE(listener_thread, std::this_thread::get_id());
  }
  auto status = c.process.try_wait();
  ASSERT_TRUE(status);
  ASSERT_TRUE(status->has_value());
  EXPECT_EQ(**status, ExitStatus::exited(0));
}

// More children than one WaitForMultipleObjects could watch, none of them waited for in place:
// every exit reaches its listener through the thread pool's waits and the watcher's one port.
TEST_F(Win32Exit, WatcherSeesManyExitsAtOnce) {
  constexpr int kChildren = 70;
  std::mutex mutex;
  std::condition_variable cv;
  int heard = 0;
  std::vector<ChildProcess> children;
  for (int i = 0; i < kChildren; ++i) {
    auto c = ChildProcess::spawn(child({"exit", std::to_string(i % 50)}));
    ASSERT_TRUE(c) << c.error().message();
    auto listener = [&] {
      std::lock_guard<std::mutex> lock(mutex);
      ++heard;
      cv.notify_all();
    };
    // An exit published before the listener is set is counted here, as the backend does.
    if (!ChildProcessAccess::state(*c).set_exit_listener(listener)) listener();
    children.push_back(std::move(*c));
  }
  std::unique_lock<std::mutex> lock(mutex);
  EXPECT_TRUE(cv.wait_for(lock, 60s, [&] { return heard == kChildren; }))
      << heard << " of " << kChildren << " exits heard";
}

// A wait_for in place on the process handle returns as soon as another thread cancels its token;
// the child is still running.
TEST_F(Win32Exit, InPlaceWaitReturnsOnCancel) {
  auto c = ChildProcess::spawn(child({"sleep", "1000"}));
  ASSERT_TRUE(c) << c.error().message();
  CancellationToken token;
  std::thread canceller([&] {
    std::this_thread::sleep_for(300ms);
    token.cancel();
  });
  const auto t0 = Clock::now();
  auto r = c->wait_for(60s, &token);
  const auto waited = Clock::now() - t0;
  canceller.join();
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_FALSE(r->has_value());
  EXPECT_GE(waited, 250ms);
  EXPECT_LT(waited, 20s);
  auto now = c->try_wait();
  ASSERT_TRUE(now);
  EXPECT_FALSE(now->has_value()) << "the child exited; the wait was not cut short by the token";

  // The platform call itself reports the cancel (not a timeout, not an exit).
  CancellationToken second;
  std::thread again([&] {
    std::this_thread::sleep_for(200ms);
    second.cancel();
  });
  InPlaceWait how =
      wait_exit_in_place(ChildProcessAccess::state(*c), Clock::now() + 60s, &second);
  again.join();
  EXPECT_EQ(how, InPlaceWait::Cancelled);
}

TEST_F(Win32Exit, InPlaceWaitTimesOutAndSettlesTheExit) {
  auto c = ChildProcess::spawn(child({"sleep", "1000"}));
  ASSERT_TRUE(c) << c.error().message();
  ProcessState& state = ChildProcessAccess::state(*c);
  const auto t0 = Clock::now();
  EXPECT_EQ(wait_exit_in_place(state, t0 + 200ms, nullptr), InPlaceWait::TimedOut);
  EXPECT_GE(Clock::now() - t0, 200ms);  // never early
  ASSERT_TRUE(c->kill());
  EXPECT_EQ(wait_exit_in_place(state, Clock::now() + 30s, nullptr), InPlaceWait::Exited);
  EXPECT_TRUE(state.finished());
}

// One thread at a time waits in place; another gets Unavailable and waits on the condition
// variable, which the exit watcher's settle wakes.
TEST_F(Win32Exit, SecondWaiterFallsBackToTheWatcher) {
  auto c = ChildProcess::spawn(child({"sleep", "1000"}));
  ASSERT_TRUE(c) << c.error().message();
  ProcessState& state = ChildProcessAccess::state(*c);
  ASSERT_TRUE(state.begin_in_place_wait());  // as if another thread were waiting in place
  EXPECT_EQ(wait_exit_in_place(state, Clock::now() + 60s, nullptr), InPlaceWait::Unavailable);
  auto quiet = c->wait_for(100ms);
  ASSERT_TRUE(quiet);
  EXPECT_FALSE(quiet->has_value());
  ASSERT_TRUE(c->kill());
  auto status = c->wait_for(30s);
  state.end_in_place_wait();
  ASSERT_TRUE(status) << status.error().message();
  ASSERT_TRUE(status->has_value());
  EXPECT_EQ(**status, ExitStatus::exited(1));
}

TEST_F(Win32Exit, SendSignalAfterTheExitIsNotRunning) {
  auto c = ChildProcess::spawn(child({"exit", "0"}));
  ASSERT_TRUE(c) << c.error().message();
  ASSERT_TRUE(c->wait());
  for (int sig : {SIGTERM, SIGINT, 9}) {
    Result<void> r = c->send_signal(sig);
    ASSERT_FALSE(r) << "signal " << sig;
    EXPECT_EQ(r.error().code(), make_error_code(errc::not_running)) << r.error().message();
  }
  // A signal Windows has no equivalent for is refused as such, exited or not.
  Result<void> hup = c->send_signal(1);
  ASSERT_FALSE(hup);
  EXPECT_EQ(hup.error().code(), make_error_code(errc::unsupported));
  // terminate() and kill() of an exited child are no errors (nothing left to do).
  EXPECT_TRUE(c->kill());
}

TEST_F(Win32Exit, SendSignalNineKillsARunningChild) {
  auto c = ChildProcess::spawn(child({"sleep", "1000"}));
  ASSERT_TRUE(c) << c.error().message();
  ASSERT_TRUE(c->send_signal(9));
  auto status = c->wait_for(30s);
  ASSERT_TRUE(status);
  ASSERT_TRUE(status->has_value());
  EXPECT_EQ(**status, ExitStatus::exited(1));
  Result<void> again = c->send_signal(9);
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().code(), make_error_code(errc::not_running));
}

// The exit watcher's thread starts with the first spawn of a process. When the OS refuses it, that
// spawn fails with an Error (std::thread would have thrown), nothing is left behind, and the next
// spawn starts the thread. A death test runs the body in a fresh copy of this program (gtest
// re-executes it on Windows), where nothing has spawned yet.
int refused_watcher_thread_then_spawn() {
  fail_thread_starts_for_testing(1);
  auto refused = ChildProcess::spawn(child({"exit", "0"}));
  fail_thread_starts_for_testing(0);
  if (refused) return 10;
  if (refused.error().code() != std::error_code(ERROR_NOT_ENOUGH_MEMORY, std::system_category())) {
    return 11;
  }
  if (refused.error().message().find("cannot start the exit watcher thread") == std::string::npos) {
    return 12;
  }
  auto c = ChildProcess::spawn(child({"exit", "4"}));
  if (!c) return 13;
  auto status = c->wait_for(30s);
  if (!status || !status->has_value() || **status != ExitStatus::exited(4)) return 14;
  return 0;
}

TEST(Win32ExitDeathTest, RefusedWatcherThreadIsAnErrorAndTheNextSpawnWorks) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_EXIT(std::_Exit(refused_watcher_thread_then_spawn()), ::testing::ExitedWithCode(0), "");
}

}  // namespace
}  // namespace modhost::detail::win32

#endif  // _WIN32
