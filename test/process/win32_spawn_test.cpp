// Win32 only: what the Windows process half does beyond the shared suites: exec failures with the
// Windows error text and no handle leak, 32-bit exit codes, job objects (the whole tree goes, no
// 64-handle limit, also after the child exited by itself), the graceful stop where a console is
// shared, and its fallback elsewhere.
#ifdef _WIN32

#include <gtest/gtest.h>
#include <windows.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <cstdio>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "modhost/child_process.hpp"
#include "modhost_platform.hpp"

namespace modhost::detail::win32 {
namespace {

using namespace std::chrono_literals;

bool running_under_wine() {
  HMODULE ntdll = GetModuleHandleW(L"ntdll.dll");
  return ntdll != nullptr && GetProcAddress(ntdll, "wine_get_version") != nullptr;
}

SpawnOptions child(std::vector<std::string> args) {
  SpawnOptions o;
  o.program = MODHOST_TEST_CHILD;
  o.args = std::move(args);
  o.stdout_mode = Stdio::Pipe;
  return o;
}

// The number of open handles of this process: GetProcessHandleCount where it works, else (Wine 8
// does not implement it) a probe of every handle value up to 64K with GetHandleInformation.
DWORD handle_count() {
  DWORD n = 0;
  if (GetProcessHandleCount(GetCurrentProcess(), &n) && n != 0) return n;
  for (std::uintptr_t v = 4; v < 65536; v += 4) {
    DWORD flags = 0;
    if (GetHandleInformation(reinterpret_cast<HANDLE>(v), &flags)) ++n;
  }
  return n;
}

TEST(Win32Spawn, NotFoundNamesTheProgramWithTheWindowsText) {
  SpawnOptions o = child({});
  o.program = "C:\\no\\such\\program.exe";
  auto c = ChildProcess::spawn(o);
  ASSERT_FALSE(c);
  EXPECT_EQ(c.error().code(), std::error_code(ERROR_FILE_NOT_FOUND, std::system_category()));
  const std::string& m = c.error().message();
  EXPECT_EQ(m.rfind("failed to spawn process: C:\\no\\such\\program.exe: ", 0), 0u) << m;
  EXPECT_GT(m.size(), std::string("failed to spawn process: C:\\no\\such\\program.exe: ").size());
  o.program = "modhost-no-such-program";
  c = ChildProcess::spawn(o);
  ASSERT_FALSE(c);
  EXPECT_NE(c.error().message().find("modhost-no-such-program"), std::string::npos);
}

// ChildProcess::spawn puts "failed to spawn process: <program>: " in front of every spawn error;
// the platform's errors carry the reason only, so the prefix appears once whatever failed.
TEST(Win32Spawn, ErrorsNameTheProgramOnce) {
  auto once = [](const Result<ChildProcess>& c, const std::string& program) {
    if (c) return std::string("spawned");
    const std::string& m = c.error().message();
    const std::string prefix = "failed to spawn process: " + program + ": ";
    if (m.rfind(prefix, 0) != 0) return "no prefix: " + m;
    if (m.find("failed to spawn process", prefix.size()) != std::string::npos) return "twice: " + m;
    return std::string("ok");
  };
  SpawnOptions o = child({});
  o.program = "C:\\no\\such\\program.exe";
  EXPECT_EQ(once(ChildProcess::spawn(o), o.program), "ok");
  o.program = "modhost-no-such-program";
  EXPECT_EQ(once(ChildProcess::spawn(o), o.program), "ok");

  o.program = MODHOST_TEST_CHILD;
  o.working_directory = "C:\\no\\such\\directory";
  auto missing = ChildProcess::spawn(o);
  EXPECT_EQ(once(missing, o.program), "ok");
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().message(), "failed to spawn process: " + o.program +
                                           ": working directory C:\\no\\such\\directory does not exist");
  // The OS's code, not invalid_argument: the options were well formed, the file system said no.
  EXPECT_EQ(missing.error().code(),
            std::error_code(ERROR_PATH_NOT_FOUND, std::system_category()));

  o.working_directory = MODHOST_TEST_CHILD;  // a file
  auto file = ChildProcess::spawn(o);
  EXPECT_EQ(once(file, o.program), "ok");
  ASSERT_FALSE(file);
  EXPECT_NE(file.error().message().find("is not a directory"), std::string::npos);
  EXPECT_EQ(file.error().code(), std::error_code(ERROR_DIRECTORY, std::system_category()));

  // An argument with a double quote is refused for a batch file (see command_line.cpp).
  wchar_t dir[MAX_PATH];
  ASSERT_GT(GetTempPathW(MAX_PATH, dir), 0u);
  char bat[MAX_PATH + 64];
  std::snprintf(bat, sizeof bat, "%lsmodhost_once_%lu.bat", dir,
                static_cast<unsigned long>(GetCurrentProcessId()));
  FILE* f = std::fopen(bat, "wb");
  ASSERT_NE(f, nullptr);
  std::fputs("@exit /b 0\r\n", f);
  std::fclose(f);
  SpawnOptions b = child({"a\"b"});
  b.program = bat;
  auto refused = ChildProcess::spawn(b);
  std::remove(bat);
  EXPECT_EQ(once(refused, b.program), "ok");
}

// A program name that is not valid UTF-8 cannot reach the OS (errc::invalid_argument), and the
// message names it with the bad byte escaped, so the message itself is valid UTF-8.
TEST(Win32Spawn, InvalidUtf8ProgramIsNamedEscaped) {
  SpawnOptions o = child({});
  o.program = "C:\\no\\such\\prog\xff.exe";
  auto c = ChildProcess::spawn(o);
  ASSERT_FALSE(c);
  EXPECT_EQ(c.error().code(), make_error_code(errc::invalid_argument));
  const std::string& m = c.error().message();
  EXPECT_EQ(m.rfind("failed to spawn process: C:\\no\\such\\prog\\xff.exe: ", 0), 0u) << m;
  EXPECT_EQ(m.find('\xff'), std::string::npos) << "a raw 0xff byte in the message";
}

TEST(Win32Spawn, NotAnExecutableIsAnError) {
  wchar_t dir[MAX_PATH];
  ASSERT_GT(GetTempPathW(MAX_PATH, dir), 0u);
  char path[MAX_PATH + 64];
  std::snprintf(path, sizeof path, "%lsmodhost_not_exe_%lu.exe", dir,
                static_cast<unsigned long>(GetCurrentProcessId()));
  FILE* f = std::fopen(path, "wb");
  ASSERT_NE(f, nullptr);
  std::fputs("this is not a program\n", f);
  std::fclose(f);
  SpawnOptions o = child({});
  o.program = path;
  auto c = ChildProcess::spawn(o);
  std::remove(path);
  ASSERT_FALSE(c);
  EXPECT_EQ(c.error().code().category(), std::system_category());
  EXPECT_NE(c.error().message().find(std::string("failed to spawn process: ") + path),
            std::string::npos);
  EXPECT_EQ(c.error().message().find("Unknown error"), std::string::npos) << c.error().message();
}

// A failed spawn must give back every handle it opened. The process's handle count moves by a
// few on its own (the system thread pool's threads come and go, and the exit watcher lets go of
// an exited child's handles a moment after its exit was published), so no single reading can be
// compared with an exact number. Instead the failures run in rounds and the count is read after
// each: a leak of even one handle per failure adds kFailuresPerRound to every round, and over
// kRounds rounds grows far past the drift, while without a leak the lowest reading of the last
// rounds stays within a few handles of the first round's.
TEST(Win32Spawn, FailuresLeakNoHandle) {
  constexpr int kRounds = 5;
  constexpr int kFailuresPerRound = 10;
  constexpr DWORD kDrift = 6;
  auto round = [] {
    for (int i = 0; i < kFailuresPerRound / 2; ++i) {
      SpawnOptions o = child({});
      o.stderr_mode = Stdio::Pipe;
      o.stdin_mode = Stdio::Pipe;
      o.program = "C:\\no\\such\\program.exe";
      EXPECT_FALSE(ChildProcess::spawn(o));
      o.program = MODHOST_TEST_CHILD;
      o.working_directory = "C:\\no\\such\\directory";
      EXPECT_FALSE(ChildProcess::spawn(o));
    }
    auto c = ChildProcess::spawn(child({"lines", "3", "10"}));
    ASSERT_TRUE(c);
    ASSERT_TRUE(c->output());
  };
  // The first round also creates what exists once per process (the exit watcher's port and
  // thread, the thread pool's wait thread).
  round();
  const DWORD first = handle_count();
  ASSERT_GT(first, 0u);
  std::vector<DWORD> counts;
  for (int r = 1; r < kRounds; ++r) {
    round();
    counts.push_back(handle_count());
  }
  const DWORD lowest_late = *std::min_element(counts.end() - 3, counts.end());
  std::string all;
  for (DWORD n : counts) all += " " + std::to_string(n);
  EXPECT_LE(lowest_late, first + kDrift) << "after the first round: " << first << ", then:" << all;
}

TEST(Win32Spawn, ExitCodesArriveWhole) {
  // All 32 bits of GetExitCodeProcess, under Wine too; NTSTATUS-style codes such as 0xC0000005
  // (an access violation) read as negative ints.
  const int codes[] = {0, 3, 255, 256, 2147483647, static_cast<int>(0xC0000005u)};
  for (int code : codes) {
    SpawnOptions o = child({"exit", std::to_string(code)});
    o.stdout_mode = Stdio::Null;
    auto c = ChildProcess::spawn(o);
    ASSERT_TRUE(c) << c.error().message();
    auto status = c->wait();
    ASSERT_TRUE(status);
    EXPECT_EQ(*status, ExitStatus::exited(code)) << status->to_string();
  }
}

// A directory is said to be one, with the code POSIX's execve gives it (access denied), rather
// than "file not found".
TEST(Win32Spawn, ProgramThatIsADirectoryIsSaidToBeOne) {
  wchar_t dir[MAX_PATH];
  ASSERT_GT(GetTempPathW(MAX_PATH, dir), 0u);
  char path[MAX_PATH * 4];
  std::snprintf(path, sizeof path, "%ls", dir);
  SpawnOptions o = child({});
  o.program = path;
  auto c = ChildProcess::spawn(o);
  ASSERT_FALSE(c);
  EXPECT_EQ(c.error().code(), std::error_code(ERROR_ACCESS_DENIED, std::system_category()));
  EXPECT_EQ(c.error().message().rfind(std::string("failed to spawn process: ") + path + ": ", 0), 0u)
      << c.error().message();
  EXPECT_NE(c.error().message().find("(it is a directory)"), std::string::npos)
      << c.error().message();
}

// The parent's stdin end is a plain synchronous handle: WriteFile without an OVERLAPPED works.
TEST(Win32Spawn, StdinPipe) {
  SpawnOptions o = child({"cat"});
  o.stdin_mode = Stdio::Pipe;
  auto c = ChildProcess::spawn(o);
  ASSERT_TRUE(c) << c.error().message();
  Pipe in = c->take_stdin();
  ASSERT_TRUE(in.valid());
  EXPECT_FALSE(c->take_stdin().valid());  // handed over once
  DWORD written = 0;
  ASSERT_TRUE(WriteFile(reinterpret_cast<HANDLE>(in.native()), "hello\n", 6, &written, nullptr));
  EXPECT_EQ(written, 6u);
  in.close();
  auto out = c->output();
  ASSERT_TRUE(out);
  EXPECT_EQ(out->stdout_data, "hello\n");
  EXPECT_TRUE(out->status.success());
}

// More children at once than WaitForMultipleObjects could watch: every exit still arrives (the exit
// watcher's thread-pool waits post to one completion port; the waits here are in place).
TEST(Win32Spawn, MoreThan64ChildrenAtOnce) {
  constexpr int kChildren = 70;
  std::vector<ChildProcess> children;
  for (int i = 0; i < kChildren; ++i) {
    SpawnOptions o = child({"exit", std::to_string(i % 50)});
    o.stdout_mode = Stdio::Null;
    auto c = ChildProcess::spawn(o);
    ASSERT_TRUE(c) << "child " << i << ": " << c.error().message();
    children.push_back(std::move(*c));
  }
  for (int i = 0; i < kChildren; ++i) {
    auto s = children[static_cast<std::size_t>(i)].wait_for(60s);
    ASSERT_TRUE(s);
    ASSERT_TRUE(s->has_value()) << "child " << i << " never reported its exit";
    EXPECT_EQ(**s, ExitStatus::exited(i % 50));
  }
}

// The handle list at work: while one thread keeps starting long-lived children, another runs
// short ones with piped stdout to EOF. Had a long-lived child inherited a short one's pipe, that
// pipe's EOF would wait for the long-lived child, and output() would hang until the end.
TEST(Win32Spawn, ConcurrentSpawnsInheritOnlyTheirOwnHandles) {
  std::mutex mutex;
  std::condition_variable cv;
  bool done = false;
  std::vector<ChildProcess> sleepers;
  std::thread starter([&] {
    // Starts up to 40 sleepers while the main thread works; after 60 s without the main thread
    // finishing (a leaked handle would hang it), kills them, so the test fails instead of hanging.
    const auto give_up = std::chrono::steady_clock::now() + 60s;
    std::unique_lock<std::mutex> lock(mutex);
    while (!done && sleepers.size() < 40) {
      lock.unlock();
      SpawnOptions o = child({"sleep", "1000"});
      o.stdout_mode = Stdio::Null;
      auto c = ChildProcess::spawn(o);
      lock.lock();
      if (!c) break;
      sleepers.push_back(std::move(*c));
    }
    if (!cv.wait_until(lock, give_up, [&] { return done; })) sleepers.clear();
  });
  auto slowest = std::chrono::steady_clock::duration::zero();
  // No ASSERT in this loop: returning early would destroy the joinable starter thread, which ends
  // the whole test program instead of failing this test.
  for (int i = 0; i < 20; ++i) {
    auto t0 = std::chrono::steady_clock::now();
    auto c = ChildProcess::spawn(child({"lines", "2", "10"}));
    EXPECT_TRUE(c) << c.error().message();
    if (!c) break;
    auto out = c->output();
    EXPECT_TRUE(out) << out.error().message();
    if (!out) break;
    EXPECT_EQ(out->stdout_data.size(), 22u);
    slowest = std::max(slowest, std::chrono::steady_clock::now() - t0);
  }
  {
    std::lock_guard<std::mutex> lock(mutex);
    done = true;
  }
  cv.notify_all();
  starter.join();
  EXPECT_GT(sleepers.size(), 0u);
  EXPECT_LT(slowest, 20s) << "a pipe's EOF waited for another child";
  sleepers.clear();  // their destructors terminate their jobs
}

std::string read_first_line(Pipe& pipe) {
  std::string line;
  HANDLE h = reinterpret_cast<HANDLE>(pipe.native());
  OVERLAPPED ov{};
  ov.hEvent = CreateEventW(nullptr, TRUE, FALSE, nullptr);
  char c;
  for (;;) {
    DWORD got = 0;
    ResetEvent(ov.hEvent);
    if (!ReadFile(h, &c, 1, &got, &ov)) {
      if (GetLastError() != ERROR_IO_PENDING || !GetOverlappedResult(h, &ov, &got, TRUE)) break;
    }
    if (got != 1 || c == '\n') break;
    line.push_back(c);
  }
  CloseHandle(ov.hEvent);
  return line;
}

TEST(Win32Stop, KillEndsTheWholeTree) {
  auto c = ChildProcess::spawn(child({"grandchild"}));
  ASSERT_TRUE(c) << c.error().message();
  Pipe out = c->take_stdout();
  const DWORD grandchild = static_cast<DWORD>(std::stoul(read_first_line(out)));
  HANDLE g = OpenProcess(SYNCHRONIZE, FALSE, grandchild);
  ASSERT_NE(g, nullptr);
  EXPECT_EQ(WaitForSingleObject(g, 0), static_cast<DWORD>(WAIT_TIMEOUT));
  ASSERT_TRUE(c->kill());
  auto s = c->wait_for(30s);
  ASSERT_TRUE(s);
  EXPECT_TRUE(s->has_value());
  EXPECT_EQ(WaitForSingleObject(g, 30000), static_cast<DWORD>(WAIT_OBJECT_0));
  CloseHandle(g);
}

TEST(Win32Stop, DestructorEndsTheWholeTree) {
  HANDLE g = nullptr;
  {
    auto c = ChildProcess::spawn(child({"grandchild"}));
    ASSERT_TRUE(c) << c.error().message();
    Pipe out = c->take_stdout();
    g = OpenProcess(SYNCHRONIZE, FALSE, static_cast<DWORD>(std::stoul(read_first_line(out))));
    ASSERT_NE(g, nullptr);
  }
  EXPECT_EQ(WaitForSingleObject(g, 30000), static_cast<DWORD>(WAIT_OBJECT_0));
  CloseHandle(g);
}

// stop() of a child that already exited by itself still ends what it left in its job: the job
// handle is still held, so no process id can have been reused.
TEST(Win32Stop, StopAfterTheChildExitedEndsWhatItLeft) {
  auto c = ChildProcess::spawn(child({"grandchild", "exit"}));
  ASSERT_TRUE(c) << c.error().message();
  Pipe out = c->take_stdout();
  HANDLE g = OpenProcess(SYNCHRONIZE, FALSE, static_cast<DWORD>(std::stoul(read_first_line(out))));
  ASSERT_NE(g, nullptr);
  auto exited = c->wait();
  ASSERT_TRUE(exited);
  EXPECT_EQ(*exited, ExitStatus::exited(0));
  EXPECT_EQ(WaitForSingleObject(g, 0), static_cast<DWORD>(WAIT_TIMEOUT));
  auto r = c->stop(10s);
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_TRUE(r->already_exited);
  EXPECT_EQ(WaitForSingleObject(g, 30000), static_cast<DWORD>(WAIT_OBJECT_0))
      << "the grandchild outlived stop()";
  CloseHandle(g);
}

// A console child in the host's own console process group (new_process_group off) cannot be sent
// CTRL_BREAK without the host getting it too: terminate() says so, and stop() does not wait for a
// graceful exit that cannot come. (Children on a console of their own get it through the helper:
// test/process/win32_graceful_test.cpp.)
TEST(Win32Stop, WithoutItsOwnGroupThereIsNoGracefulRequest) {
  SpawnOptions o = child({"ignore-term"});
  o.new_process_group = false;
  auto c = ChildProcess::spawn(o);
  ASSERT_TRUE(c) << c.error().message();
  Pipe out = c->take_stdout();
  ASSERT_EQ(read_first_line(out), "ready");
  auto t = c->terminate();
  ASSERT_FALSE(t);
  EXPECT_EQ(t.error().code(), make_error_code(errc::unsupported));
  auto r = c->stop(10s);
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_FALSE(r->graceful_sent);
  EXPECT_TRUE(r->killed);
  EXPECT_EQ(r->status, ExitStatus::exited(1));
}

TEST(Win32Stop, CtrlBreakIsGraceful) {
  if (running_under_wine()) {
    GTEST_SKIP() << "Wine 8's GenerateConsoleCtrlEvent fails (ERROR_INVALID_HANDLE); the paths "
                    "without a shared console are in win32_graceful_test.cpp";
  }
  if (GetConsoleCP() == 0) GTEST_SKIP() << "this test process has no console to share";
  auto c = ChildProcess::spawn(child({"term-line"}));
  ASSERT_TRUE(c) << c.error().message();
  Pipe out = c->take_stdout();
  ASSERT_EQ(read_first_line(out), "ready");
  auto r = c->stop(20s);
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_TRUE(r->graceful_sent);
  EXPECT_FALSE(r->killed);
  EXPECT_EQ(read_first_line(out), "got SIGTERM");
  EXPECT_EQ(r->status, ExitStatus::exited(0));
}

}  // namespace
}  // namespace modhost::detail::win32

#endif  // _WIN32
