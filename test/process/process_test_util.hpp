#pragma once
// Shared helpers of the process tests: the helper child's path, option builders, pipe reading,
// and counting the test process's open fds and children (through /proc on Linux).

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "modhost/child_process.hpp"
#include "modhost_platform.hpp"

#if defined(_WIN32)
#include <stdlib.h>

// POSIX setenv/unsetenv for the environment tests; _putenv_s updates the Win32 environment block
// too, which is what the child inherits.
inline int setenv(const char* key, const char* value, int) { return _putenv_s(key, value); }
inline int unsetenv(const char* key) { return _putenv_s(key, ""); }
#endif

#if defined(__linux__)
#include <string.h>
#include <sys/prctl.h>

// Makes this process a child subreaper (orphaned grandchildren are reparented to it, so a test can
// wait for them instead of polling), or skips the test saying why: an emulator (qemu-user)
// answers EINVAL.
#define MODHOST_BECOME_SUBREAPER_OR_SKIP()                                                   \
  do {                                                                                        \
    if (::prctl(PR_SET_CHILD_SUBREAPER, 1) != 0) {                                            \
      GTEST_SKIP() << "PR_SET_CHILD_SUBREAPER is refused here (" << ::strerror(errno)         \
                   << "; an emulator such as qemu-user does not implement it)";               \
    }                                                                                         \
  } while (0)
#endif

#if !defined(_WIN32)
#include <dirent.h>
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <unistd.h>
#endif

namespace modhost::test {

inline const char* const kChild = MODHOST_TEST_CHILD;

// Options that run the helper child in `mode` with `args`; stdout piped, stderr inherited.
inline SpawnOptions child(std::vector<std::string> args) {
  SpawnOptions o;
  o.program = kChild;
  o.args = std::move(args);
  o.stdout_mode = Stdio::Pipe;
  return o;
}

// The ways a child can be started and its exit learned: the spawn path (posix_spawn, or the
// fork/execve fallback) and the exit mechanism (the exit handle, a pidfd on Linux, or the SIGCHLD
// self-pipe fallback). Windows has one of each.
struct Paths {
  bool fork = false;
  bool sigchld = false;
};

inline std::vector<Paths> all_paths() {
  std::vector<Paths> out{{false, false}};
#if !defined(_WIN32)
  out.push_back({true, false});
  out.push_back({false, true});
  out.push_back({true, true});
#endif
  return out;
}

// Every test of a suite deriving from this runs once per combination of all_paths().
class SpawnPaths : public ::testing::TestWithParam<Paths> {
 protected:
  void SetUp() override {
    detail::set_spawn_fallback_for_testing(GetParam().fork);
    detail::set_exit_fallback_for_testing(GetParam().sigchld);
  }
  void TearDown() override {
    detail::set_spawn_fallback_for_testing(false);
    detail::set_exit_fallback_for_testing(false);
  }
};

inline std::string path_name(const ::testing::TestParamInfo<Paths>& info) {
  return std::string(info.param.fork ? "fork" : "posix_spawn") +
         (info.param.sigchld ? "_sigchld" : "_handle");
}

#if !defined(_WIN32)
// Blocks (poll, no sleeping) until `pipe` has a whole line or EOF; returns it without '\n'.
inline std::string read_line(Pipe& pipe) {
  std::string line;
  int fd = static_cast<int>(pipe.native());
  for (;;) {
    char c;
    ssize_t n = ::read(fd, &c, 1);
    if (n == 1) {
      if (c == '\n') return line;
      line.push_back(c);
    } else if (n == 0) {
      return line;
    } else if (errno == EAGAIN) {
      struct pollfd p{fd, POLLIN, 0};
      ::poll(&p, 1, 10000);
    } else if (errno != EINTR) {
      return line;
    }
  }
}

// Runs `o` (stdout piped) to its end and returns the child's stdout, requiring exit code `code`.
// On any failure the result starts with "!" and says what happened, so a mismatch shows it.
inline std::string output_of(SpawnOptions o, int code = 0) {
  auto c = ChildProcess::spawn(o);
  if (!c) return "!spawn: " + c.error().message();
  Pipe out = c->take_stdout();
  std::string text;
  for (;;) {
    std::string line = read_line(out);
    if (line.empty()) break;
    text += line + "\n";
  }
  auto st = c->wait();
  if (!st) return "!wait: " + st.error().message();
  if (*st != ExitStatus::exited(code)) return "!status: " + st->to_string();
  return text;
}

// The number of open fds of this process.
inline int count_open_fds() {
  int n = 0;
  DIR* d = ::opendir("/proc/self/fd");
  while (struct dirent* e = ::readdir(d)) {
    if (e->d_name[0] != '.') ++n;
  }
  ::closedir(d);
  return n - 1;  // The directory's own fd.
}

// The processes (zombies included) whose parent is this process, from /proc/<pid>/stat.
inline std::vector<int> list_children() {
  std::vector<int> out;
  int self = ::getpid();
  DIR* d = ::opendir("/proc");
  while (struct dirent* e = ::readdir(d)) {
    if (e->d_name[0] < '0' || e->d_name[0] > '9') continue;
    std::string path = std::string("/proc/") + e->d_name + "/stat";
    FILE* f = ::fopen(path.c_str(), "r");
    if (f == nullptr) continue;
    char buf[1024];
    size_t n = ::fread(buf, 1, sizeof buf - 1, f);
    ::fclose(f);
    buf[n] = '\0';
    // "pid (comm) state ppid ...": comm may contain spaces and parentheses; the last ')' ends it.
    char* close = ::strrchr(buf, ')');
    if (close == nullptr) continue;
    char state = 0;
    int ppid = 0;
    if (::sscanf(close + 1, " %c %d", &state, &ppid) == 2 && ppid == self) {
      out.push_back(::atoi(e->d_name));
    }
  }
  ::closedir(d);
  return out;
}
#endif

}  // namespace modhost::test
