// Integration tests of the tool's signal mask, read from Linux's /proc: every thread of a running
// tool blocks the signals its watcher takes (a thread that did not could be handed a
// process-directed signal and end the tool with it, since no handler is installed), and the
// processes it starts get an empty mask and no ignored signal all the same.

#include <gtest/gtest.h>

#if defined(__linux__)

#include <dirent.h>
#include <pthread.h>
#include <signal.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "tool_runner.hpp"

namespace modhost::cli::test {
namespace {

// The signals the watcher takes, by number (SIGHUP, SIGINT, SIGPIPE, SIGTERM, SIGUSR1, SIGUSR2).
constexpr int kTaken[] = {1, 2, 13, 15, 10, 12};

// The name the watcher gives its thread.
constexpr const char* kWatcherName = "modhost-signals";

bool taken(int sig) {
  for (int t : kTaken) {
    if (t == sig) return true;
  }
  return false;
}

// What the threads of `pid` look like: how many were read, how many are the watcher's, and a line
// for each thread whose mask is wrong.
struct ThreadMasks {
  std::size_t threads = 0;
  std::size_t watchers = 0;
  std::vector<std::string> wrong;
};

// Every thread but the watcher's must block every signal of kTaken. The watcher's thread blocks
// every signal, but while it waits in sigwaitinfo() the kernel shows the ones it waits for as
// unblocked (they are then taken by the wait, never handled): so it must block every other
// signal (9 and 19, SIGKILL and SIGSTOP, cannot be blocked).
ThreadMasks thread_masks(ProcessId pid) {
  ThreadMasks result;
  std::string dir = "/proc/" + std::to_string(pid) + "/task";
  DIR* tasks = ::opendir(dir.c_str());
  EXPECT_NE(tasks, nullptr) << dir;
  if (tasks == nullptr) return result;
  while (const dirent* entry = ::readdir(tasks)) {
    std::string tid = entry->d_name;
    if (tid == "." || tid == "..") continue;
    // A thread that ended since the listing has no status any more; it is simply not counted.
    std::ifstream status(dir + "/" + tid + "/status");
    std::string line, name, blocked;
    while (std::getline(status, line)) {
      if (line.rfind("Name:\t", 0) == 0) name = line.substr(6);
      if (line.rfind("SigBlk:\t", 0) == 0) blocked = line.substr(8);
    }
    if (blocked.empty()) continue;
    ++result.threads;
    bool watcher = name == kWatcherName;
    if (watcher) ++result.watchers;
    unsigned long long mask = std::stoull(blocked, nullptr, 16);
    for (int sig = 1; sig <= 31; ++sig) {
      bool must_block = watcher ? !taken(sig) && sig != 9 && sig != 19 : taken(sig);
      if (must_block && (mask & (1ULL << (sig - 1))) == 0) {
        result.wrong.push_back("thread " + tid + " (" + name + ") SigBlk " + blocked +
                               " lacks signal " + std::to_string(sig));
        break;
      }
    }
  }
  ::closedir(tasks);
  return result;
}

// Whether /proc shows a thread's signal mask as the thread set it: a thread here blocks every
// signal and reads its own SigBlk. Under qemu-user it does not: /proc shows the emulator's host
// mask, which keeps the signals qemu needs for itself (SIGBUS, SIGSEGV...) unblocked whatever the
// guest asked for, so the masks the tests below read would prove nothing either way.
bool proc_shows_thread_masks(std::string& why) {
  std::string blocked;
  std::thread probe([&blocked] {
    sigset_t all;
    sigfillset(&all);
    ::pthread_sigmask(SIG_SETMASK, &all, nullptr);
    std::ifstream status("/proc/self/task/" + std::to_string(::syscall(SYS_gettid)) + "/status");
    std::string line;
    while (std::getline(status, line)) {
      if (line.rfind("SigBlk:\t", 0) == 0) blocked = line.substr(8);
    }
  });
  probe.join();
  if (blocked.empty()) {
    why = "/proc/self/task/TID/status has no SigBlk line here";
    return false;
  }
  const unsigned long long mask = std::stoull(blocked, nullptr, 16);
  for (int sig = 1; sig <= 31; ++sig) {
    if (sig != 9 && sig != 19 && (mask & (1ULL << (sig - 1))) == 0) {
      why = "/proc does not show the signal mask a thread set (signal " + std::to_string(sig) +
            " shows as unblocked in a thread that blocked all; an emulator such as qemu-user " +
            "shows its own host mask)";
      return false;
    }
  }
  return true;
}

#define MODHOST_SKIP_UNLESS_PROC_SHOWS_MASKS()                    \
  do {                                                            \
    std::string why_;                                             \
    if (!proc_shows_thread_masks(why_)) GTEST_SKIP() << why_;     \
  } while (0)

std::string join(const std::vector<std::string>& lines) {
  std::string all;
  for (const auto& l : lines) all += l + "\n";
  return all;
}

TEST(ToolSignals, EveryThreadOfStartBlocksTheWatchedSignals) {
  MODHOST_SKIP_UNLESS_PROC_SHOWS_MASKS();
  // A 600 s grace, so that the stop (and the thread that runs it) lasts until the second SIGINT.
  ToolRun run({"start", "-f", fixture("stubborn/Procfile"), "--no-color", "-t", "600"});
  ASSERT_TRUE(run.wait_stdout("stubborn ready")) << run.stdout_text();
  ThreadMasks running = thread_masks(run.pid());
  // The main thread, the watcher's and the library's (exit watcher, pipe reader, backend).
  EXPECT_GE(running.threads, 3u);
  EXPECT_EQ(running.watchers, 1u);
  EXPECT_TRUE(running.wrong.empty()) << join(running.wrong);

  run.send(Signal::Interrupt);
  ASSERT_TRUE(run.wait_stdout("stubborn.1 | ignoring TERM")) << run.stdout_text();
  ThreadMasks stopping = thread_masks(run.pid());
  EXPECT_EQ(stopping.watchers, 1u);
  EXPECT_TRUE(stopping.wrong.empty()) << join(stopping.wrong);

  run.send(Signal::Interrupt);
  auto st = run.finish();
  ASSERT_TRUE(st) << run.stdout_text();
  EXPECT_EQ(*st, ExitStatus::exited(130)) << run.stdout_text();
}

TEST(ToolSignals, EveryThreadOfRunBlocksTheWatchedSignals) {
  MODHOST_SKIP_UNLESS_PROC_SHOWS_MASKS();
  // The forwarded SIGTERM ends sleep (or the shell, if it comes before the exec): nothing is left.
  ToolRun run({"run", "-e", "", "sh", "-c", "echo ready; exec sleep 600"});
  ASSERT_TRUE(run.wait_stdout_line("ready")) << run.stderr_text();
  ThreadMasks masks = thread_masks(run.pid());
  EXPECT_GE(masks.threads, 2u);  // the main thread and the watcher's, at least
  EXPECT_EQ(masks.watchers, 1u);
  EXPECT_TRUE(masks.wrong.empty()) << join(masks.wrong);
  run.send(Signal::Terminate);
  auto st = run.finish();
  ASSERT_TRUE(st);
  EXPECT_EQ(*st, ExitStatus::exited(143)) << run.stdout_text() << run.stderr_text();
}

const std::vector<std::string> kCleanMask = {"SigBlk:\t0000000000000000",
                                              "SigIgn:\t0000000000000000"};

// The shell the tool starts prints its own mask with builtins only (a child reading it could catch
// the shell in the middle of a fork, with everything blocked), then waits for the stop signal
// rather than end at once, which would race the tool's own spawn for no purpose.
const std::string kPrintMask =
    "while read -r l; do case $l in SigBlk:*|SigIgn:*) echo \"$l\";; esac; done "
    "< /proc/self/status; exec sleep 600";

TEST(ToolSignals, RunStartsTheCommandWithAnEmptyMaskAndNothingIgnored) {
  ToolRun run({"run", "-e", "", "sh", "-c", kPrintMask});
  EXPECT_TRUE(run.wait_stdout_line(kCleanMask[0])) << run.stdout_text() << run.stderr_text();
  EXPECT_TRUE(run.wait_stdout_line(kCleanMask[1])) << run.stdout_text() << run.stderr_text();
  run.send(Signal::Terminate);  // forwarded to sleep, which dies of it
  auto st = run.finish();
  ASSERT_TRUE(st) << run.stdout_text() << run.stderr_text();
  EXPECT_EQ(*st, ExitStatus::exited(143)) << run.stderr_text();
  EXPECT_EQ(run.stdout_lines(), kCleanMask);
}

TEST(ToolSignals, StartStartsProcessesWithAnEmptyMaskAndNothingIgnored) {
  ToolRun run({"start", "-f", fixture("sigmask/Procfile"), "--no-timestamp"});
  EXPECT_TRUE(run.wait_stdout_line("sigs.1 | " + kCleanMask[0])) << run.stdout_text();
  EXPECT_TRUE(run.wait_stdout_line("sigs.1 | " + kCleanMask[1])) << run.stdout_text();
  run.send(Signal::Interrupt);
  auto st = run.finish();
  ASSERT_TRUE(st) << run.stdout_text() << run.stderr_text();
  EXPECT_EQ(*st, ExitStatus::exited(130)) << run.stdout_text();
}

}  // namespace
}  // namespace modhost::cli::test

#endif  // __linux__
