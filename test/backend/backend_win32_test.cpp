// Win32 only: LocalProcessBackend on the Windows platform: an instance's exit reaches on_exit
// without job messages, a working directory with a non-ASCII name is used (not misread through the
// ANSI code page), and a poll thread the OS refuses is an Error.
#ifdef _WIN32

#include <gtest/gtest.h>
#include <windows.h>

#include <chrono>
#include <cstdint>
#include <string>

#include "backend_test_util.hpp"
#include "modhost_platform.hpp"

namespace modhost::test {
namespace {

using namespace std::chrono_literals;

std::string utf8(const std::wstring& w) {
  int n = WideCharToMultiByte(CP_UTF8, 0, w.data(), static_cast<int>(w.size()), nullptr, 0,
                              nullptr, nullptr);
  std::string out(static_cast<std::size_t>(n > 0 ? n : 0), '\0');
  if (n > 0) {
    WideCharToMultiByte(CP_UTF8, 0, w.data(), static_cast<int>(w.size()), out.data(), n, nullptr,
                        nullptr);
  }
  return out;
}

// The backend keeps its children to itself; their job handles are among this process's handles.
// Finds the job that holds process `pid` by asking every open handle (the values are multiples of
// four; 64K covers a test process) whether it is a job with the process in it. Null if none.
HANDLE find_job_of(DWORD pid) {
  // PROCESS_QUERY_INFORMATION: Wine 8 refuses IsProcessInJob with the limited right alone.
  HANDLE process = OpenProcess(PROCESS_QUERY_INFORMATION, FALSE, pid);
  if (process == nullptr) return nullptr;
  HANDLE found = nullptr;
  for (std::uintptr_t v = 4; v < 65536 && found == nullptr; v += 4) {
    HANDLE h = reinterpret_cast<HANDLE>(v);
    DWORD flags = 0;
    if (h == process || !GetHandleInformation(h, &flags)) continue;
    BOOL in_job = FALSE;
    if (IsProcessInJob(process, h, &in_job) && in_job) found = h;
  }
  CloseHandle(process);
  return found;
}

// An instance that exits by itself while its job's messages go to a port nobody reads: the
// backend still reports the exit (its poll thread hears of it through the exit watcher, which
// waits on the process handle). The association also shows that the job had no port before.
TEST(Win32Backend, ExitIsReportedWithoutJobMessages) {
  HANDLE port = CreateIoCompletionPort(INVALID_HANDLE_VALUE, nullptr, 0, 1);
  ASSERT_NE(port, nullptr);
  Recorder rec;
  auto backend = make_backend(CancellationToken(), rec.options());
  auto h = backend->spawn_instance(child_config("m", {"sleep", "3"}));
  ASSERT_TRUE(h.ok()) << h.error().message();
  ASSERT_TRUE(h->pid.has_value());
  HANDLE job = find_job_of(static_cast<DWORD>(*h->pid));
  ASSERT_NE(job, nullptr) << "the instance's job was not found among this process's handles";
  JOBOBJECT_ASSOCIATE_COMPLETION_PORT assoc{};
  assoc.CompletionKey = reinterpret_cast<PVOID>(static_cast<ULONG_PTR>(77));
  assoc.CompletionPort = port;
  ASSERT_TRUE(SetInformationJobObject(job, JobObjectAssociateCompletionPortInformation, &assoc,
                                      sizeof assoc))
      << "the job already reports to a completion port (error " << GetLastError() << ")";
  ASSERT_TRUE(rec.wait_exits(1, 30s)) << "no on_exit within 30 s";
  auto exits = rec.exits();
  EXPECT_EQ(exits.at(0).exit_status, ExitStatus::exited(0));
  EXPECT_TRUE(exits.at(0).exited_by_itself);
  backend.reset();
  CloseHandle(port);
}

// The backend checks the working directory itself (a missing one is a warning and the current
// directory is used). A UTF-8 name outside ASCII must be found as the directory it is.
TEST(Win32Backend, NonAsciiWorkingDirectoryIsUsed) {
  wchar_t temp[MAX_PATH];
  const DWORD n = GetTempPathW(MAX_PATH, temp);
  ASSERT_GT(n, 0u);
  const std::wstring name =
      L"modhost-cwd-\u00fc\u20ac\u4e2d-" + std::to_wstring(GetCurrentProcessId());
  const std::wstring dir = std::wstring(temp, n) + name;
  ASSERT_TRUE(CreateDirectoryW(dir.c_str(), nullptr) || GetLastError() == ERROR_ALREADY_EXISTS);
  ASSERT_TRUE(detail::is_directory(utf8(dir)));

  Recorder rec;
  auto backend = make_backend(CancellationToken(), rec.options());
  auto cfg = child_config("m", {"cwd"});
  cfg.working_directory = utf8(dir);
  auto h = backend->spawn_instance(cfg);
  ASSERT_TRUE(h.ok()) << h.error().message();
  ASSERT_TRUE(rec.wait_exits(1));
  auto lines = rec.lines_of(h->instance_id);
  ASSERT_EQ(lines.size(), 1u);
  const std::string want_tail = "\\" + utf8(name);
  const std::string& got = lines[0].line;
  EXPECT_TRUE(got.size() >= want_tail.size() &&
              got.compare(got.size() - want_tail.size(), want_tail.size(), want_tail) == 0)
      << "the child ran in " << got << ", not in " << utf8(dir);
  for (const auto& r : rec.records()) {
    EXPECT_FALSE(!r.stream && r.level == LogLevel::Warn) << r.line;
  }
  backend.reset();
  RemoveDirectoryW(dir.c_str());
}

// The poll thread is a detail::Thread: when the OS refuses it, create() returns the Error, and the
// next create() works.
TEST(Win32Backend, RefusedPollThreadIsAnError) {
  Recorder rec;
  detail::fail_thread_starts_for_testing(1);
  auto refused = LocalProcessBackend::create(CancellationToken(), rec.options());
  detail::fail_thread_starts_for_testing(0);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code(),
            std::error_code(ERROR_NOT_ENOUGH_MEMORY, std::system_category()));
  EXPECT_NE(refused.error().message().find("cannot start the backend's poll thread"),
            std::string::npos)
      << refused.error().message();
  auto backend = LocalProcessBackend::create(CancellationToken(), rec.options());
  ASSERT_TRUE(backend) << backend.error().message();
  auto h = (*backend)->spawn_instance(child_config("m", {"exit", "2"}));
  ASSERT_TRUE(h.ok()) << h.error().message();
  ASSERT_TRUE(rec.wait_exits(1));
  EXPECT_EQ(rec.exits().at(0).exit_status, ExitStatus::exited(2));
}

// Five console instances on consoles of their own, stopped together with a 1 s grace, with a
// CTRL_BREAK helper that takes a second per request (the test child's stand-in): the requests go
// out in parallel, off the poll thread, so the shutdown ends at about the grace. Sent one after
// another on the poll thread, the last request alone would go out after five seconds.
TEST(Win32Backend, ShutdownSendsTheGracefulRequestsInParallel) {
  if (GetConsoleCP() != 0) {
    GTEST_SKIP() << "this test process has a console, which its children share: CTRL_BREAK is "
                    "sent directly, without the helper";
  }
  // Unset again on every way out of the test, so no later test runs the stand-in.
  struct StandInHelper {
    StandInHelper() { SetEnvironmentVariableA("MODHOST_CTRL_BREAK_HELPER", MODHOST_TEST_CHILD); }
    ~StandInHelper() { SetEnvironmentVariableA("MODHOST_CTRL_BREAK_HELPER", nullptr); }
  } stand_in;
  Recorder rec;
  LocalBackendOptions opts = rec.options();
  opts.shutdown_grace = 1s;
  auto backend = make_backend(CancellationToken(), opts);
  for (int i = 0; i < 5; ++i) {
    auto h = backend->spawn_instance(child_config("m" + std::to_string(i), {"ignore-term"}));
    ASSERT_TRUE(h.ok()) << h.error().message();
  }
  ASSERT_TRUE(rec.wait([&] { return rec.count_line_locked("ready") == 5; }, 60s));
  const auto t0 = std::chrono::steady_clock::now();
  backend->shutdown();
  const double took = seconds_since(t0);
  ASSERT_EQ(rec.exits().size(), 5u);
  for (const InstanceStatus& s : rec.exits()) {
    ASSERT_TRUE(s.stop_result.has_value());
    EXPECT_TRUE(s.stop_result->graceful_sent);
    EXPECT_TRUE(s.stop_result->killed);
  }
  // One after another, the five stand-in helpers alone take five seconds (measured: 6.0 s).
  EXPECT_LT(took, 4.5) << "the graceful requests were sent one after another";
}

}  // namespace
}  // namespace modhost::test

#endif  // _WIN32
