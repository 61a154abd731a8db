// Integration tests of the tool as a reaper of orphans (src/cli/reaper.hpp): as a child subreaper,
// and as PID 1 of a PID namespace (a container's init), where it must also stop on SIGTERM.

#include <gtest/gtest.h>

#ifndef _WIN32  // Orphans, zombies and PID namespaces are POSIX (and Linux) matters.

#include <dirent.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <thread>

#include "tool_runner.hpp"

namespace modhost::cli::test {
namespace {

using namespace std::chrono_literals;

struct ProcInfo {
  char state = 0;  // 'Z' for a zombie; 0 when the process does not exist
  long ppid = 0;
};

ProcInfo proc_info(long pid) {
  ProcInfo info;
  std::string path = "/proc/" + std::to_string(pid) + "/stat";
  std::FILE* f = std::fopen(path.c_str(), "r");
  if (f == nullptr) return info;
  char buf[1024];
  std::size_t n = std::fread(buf, 1, sizeof buf - 1, f);
  std::fclose(f);
  buf[n] = '\0';
  // "pid (comm) state ppid ...": comm may hold spaces and parentheses; the last ')' ends it.
  const char* close = std::strrchr(buf, ')');
  if (close == nullptr || std::sscanf(close + 1, " %c %ld", &info.state, &info.ppid) != 2) {
    return ProcInfo{};
  }
  return info;
}

// The children of `parent` (zombies included) from /proc; `zombies_only` keeps the zombies.
std::vector<long> children_of(long parent, bool zombies_only) {
  std::vector<long> out;
  DIR* d = ::opendir("/proc");
  if (d == nullptr) return out;
  while (struct dirent* e = ::readdir(d)) {
    if (e->d_name[0] < '0' || e->d_name[0] > '9') continue;
    long pid = std::atol(e->d_name);
    ProcInfo info = proc_info(pid);
    if (info.ppid == parent && (!zombies_only || info.state == 'Z')) out.push_back(pid);
  }
  ::closedir(d);
  return out;
}

// Waits until `done()` holds, looking again every 10 ms, for at most 30 s. Reaping by another
// process raises no event this process could wait for, hence the look.
template <class Pred>
bool eventually(Pred done) {
  auto give_up = std::chrono::steady_clock::now() + kPatience;
  while (!done()) {
    if (std::chrono::steady_clock::now() > give_up) return false;
    std::this_thread::sleep_for(10ms);
  }
  return true;
}

// "orphan 123 reparented to 456" -> {123, 456}.
std::pair<long, long> parse_orphan(const std::string& line) {
  std::size_t at = line.find("orphan ");
  long pid = 0, parent = 0;
  if (at == std::string::npos ||
      std::sscanf(line.c_str() + at, "orphan %ld reparented to %ld", &pid, &parent) != 2) {
    return {0, 0};
  }
  return {pid, parent};
}

// Whether a process may become a child subreaper here, asked of a forked child so this test
// process does not become one itself. An emulator such as qemu-user refuses it (EINVAL); the
// tool then warns and leaves orphans to init, which is all it can do.
bool subreaper_allowed(std::string& why) {
  const pid_t pid = ::fork();
  if (pid < 0) {
    why = std::string("fork: ") + std::strerror(errno);
    return false;
  }
  if (pid == 0) _exit(::prctl(PR_SET_CHILD_SUBREAPER, 1) == 0 ? 0 : errno);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  const int err = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  if (err == 0) return true;
  why = "PR_SET_CHILD_SUBREAPER is refused here (" +
        std::string(err > 0 ? std::strerror(err) : "the probe died") +
        "; an emulator such as qemu-user does not implement it)";
  return false;
}

TEST(ToolReaper, OrphansAreReparentedToTheToolAndReaped) {
  std::string why;
  if (!subreaper_allowed(why)) GTEST_SKIP() << why;
  ToolRun run({"start", "-f", fixture("orphans/Procfile"), "--no-color"});
  ASSERT_TRUE(run.wait_stdout_count("orphans.1 | orphan ", 2)) << run.stdout_text();
  std::vector<std::pair<long, long>> orphans;
  for (const std::string& line : run.stdout_lines()) {
    if (line.find("orphans.1 | orphan ") != std::string::npos) orphans.push_back(parse_orphan(line));
  }
  ASSERT_EQ(orphans.size(), 2u) << run.stdout_text();
  for (const auto& o : orphans) {
    EXPECT_EQ(o.second, run.pid()) << "orphan " << o.first << " went to " << o.second
                                    << ", not to the tool (a subreaper)";
    EXPECT_TRUE(eventually([&] { return proc_info(o.first).state == 0; }))
        << "orphan " << o.first << " is still there (state " << proc_info(o.first).state << ")";
  }
  run.send(Signal::Terminate);
  auto st = run.finish();
  ASSERT_TRUE(st);
  EXPECT_EQ(*st, ExitStatus::exited(143)) << run.stdout_text() << run.stderr_text();
  EXPECT_NE(run.stdout_text().find("orphans.1 terminated by SIGTERM"), std::string::npos)
      << run.stdout_text();
}

// Whether `unshare --pid --fork --mount-proc` can run here (root, or user namespaces allowed).
bool unshare_works(std::string& why) {
  SpawnOptions so;
  so.program = "unshare";
  so.args = {"--pid", "--fork", "--mount-proc", "true"};
  so.stdout_mode = Stdio::Null;
  so.stderr_mode = Stdio::Pipe;
  Result<ChildProcess> c = ChildProcess::spawn(so);
  if (!c) {
    why = c.error().message();
    return false;
  }
  Result<Output> out = c->output();
  if (!out) {
    why = out.error().message();
    return false;
  }
  if (!out->status.success()) {
    why = "unshare --pid --fork --mount-proc true: " + out->status.to_string() + ": " +
          out->stderr_data;
    return false;
  }
  return true;
}

// The tool as PID 1 of a new PID namespace, as in a container: orphans are reparented to it and
// reaped (no zombie left), its instances' exits still reach it, and SIGTERM stops everything
// although PID 1 has no default action for it.
TEST(ToolReaper, AsPid1OfAPidNamespace) {
  std::string why;
  if (!unshare_works(why)) GTEST_SKIP() << "cannot make a PID namespace here: " << why;
  ToolRun run({"--pid", "--fork", "--mount-proc", "--kill-child", MODHOST_TOOL, "start", "-f",
               fixture("orphans/Procfile"), "--no-color"},
              {}, "unshare");
  ASSERT_TRUE(run.wait_stdout("spawned")) << run.stdout_text() << run.stderr_text();
  ASSERT_TRUE(run.wait_stdout_count("orphans.1 | orphan ", 2)) << run.stdout_text();
  for (const std::string& line : run.stdout_lines()) {
    if (line.find("orphans.1 | orphan ") == std::string::npos) continue;
    EXPECT_EQ(parse_orphan(line).second, 1) << line;  // PID 1 in the namespace: the tool
  }
  // The tool, seen from here: the only child of unshare.
  std::vector<long> tool = children_of(run.pid(), false);
  ASSERT_EQ(tool.size(), 1u);
  EXPECT_TRUE(eventually([&] { return children_of(tool[0], true).empty(); }))
      << children_of(tool[0], true).size() << " zombie(s) left under PID 1";
  ASSERT_EQ(::kill(static_cast<pid_t>(tool[0]), SIGTERM), 0);
  auto st = run.finish();
  ASSERT_TRUE(st);
  EXPECT_EQ(*st, ExitStatus::exited(143)) << run.stdout_text() << run.stderr_text();
  EXPECT_NE(run.stdout_text().find("SIGTERM received"), std::string::npos) << run.stdout_text();
  EXPECT_NE(run.stdout_text().find("orphans.1 terminated by SIGTERM"), std::string::npos)
      << run.stdout_text();
}

}  // namespace
}  // namespace modhost::cli::test

#endif  // _WIN32
