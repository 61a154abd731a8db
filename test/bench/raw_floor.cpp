// The raw-system-call floors run by the floor server (see floor_server.hpp for what each times).

#include "raw_floor.hpp"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <time.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cstring>
#include <string>
#include <vector>

#include "start_gate.hpp"

extern char** environ;

namespace bench::raw {
namespace {

char kTrue[] = "/bin/true";
char kEcho[] = "/bin/echo";
char kHello[] = "hello";
char kSleep[] = "/bin/sleep";
char kThousand[] = "1000";

std::int64_t clock_ns(clockid_t clock) {
  timespec ts{};
  ::clock_gettime(clock, &ts);
  return static_cast<std::int64_t>(ts.tv_sec) * 1000000000 + ts.tv_nsec;
}

// Wall time on the monotonic clock and CPU time of the whole server process (all its threads),
// from construction until reply().
class Stopwatch {
 public:
  Stopwatch() : wall0_(clock_ns(CLOCK_MONOTONIC)), cpu0_(clock_ns(CLOCK_PROCESS_CPUTIME_ID)) {}
  FloorReply reply() const {
    FloorReply r;
    r.wall_ns = clock_ns(CLOCK_MONOTONIC) - wall0_;
    r.cpu_ns = clock_ns(CLOCK_PROCESS_CPUTIME_ID) - cpu0_;
    return r;
  }

 private:
  std::int64_t wall0_;
  std::int64_t cpu0_;
};

FloorReply failed(int error) {
  FloorReply r;
  r.error = error != 0 ? error : -1;
  return r;
}

// posix_spawn with stdio on /dev/null; -1 with errno set on failure.
pid_t spawn_null(char* const argv[]) {
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
  posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
  pid_t pid = -1;
  int err = ::posix_spawn(&pid, argv[0], &fa, nullptr, argv, environ);
  posix_spawn_file_actions_destroy(&fa);
  if (err != 0) {
    errno = err;
    return -1;
  }
  return pid;
}

// posix_spawn with stdin on /dev/null and stdout/stderr on fresh pipes whose read ends (close-on-
// exec) are returned; -1 with errno set on failure, leaving no descriptor behind.
pid_t spawn_piped(char* const argv[], int* out_fd, int* err_fd) {
  int o[2], e[2];
  if (::pipe2(o, O_CLOEXEC) != 0) return -1;
  if (::pipe2(e, O_CLOEXEC) != 0) {
    int saved = errno;
    ::close(o[0]);
    ::close(o[1]);
    errno = saved;
    return -1;
  }
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&fa, o[1], 1);
  posix_spawn_file_actions_adddup2(&fa, e[1], 2);
  pid_t pid = -1;
  int err = ::posix_spawn(&pid, argv[0], &fa, nullptr, argv, environ);
  posix_spawn_file_actions_destroy(&fa);
  ::close(o[1]);
  ::close(e[1]);
  if (err != 0) {
    ::close(o[0]);
    ::close(e[0]);
    errno = err;
    return -1;
  }
  *out_fd = o[0];
  *err_fd = e[0];
  return pid;
}

// waitpid on this one pid (never -1: the server reaps only what it spawned in this request).
bool reap(pid_t pid) {
  int status;
  pid_t r;
  do {
    r = ::waitpid(pid, &status, 0);
  } while (r < 0 && errno == EINTR);
  return r == pid;
}

// Spawns `n` idle sleepers into `pids`; on failure kills and reaps those it started and returns
// the errno value.
int spawn_sleepers(std::int64_t n, std::vector<pid_t>& pids) {
  char* argv[] = {kSleep, kThousand, nullptr};
  pids.reserve(static_cast<std::size_t>(n));
  for (std::int64_t i = 0; i < n; ++i) {
    pid_t pid = spawn_null(argv);
    if (pid < 0) {
      int err = errno;
      for (pid_t p : pids) ::kill(p, SIGKILL);
      for (pid_t p : pids) reap(p);
      pids.clear();
      return err;
    }
    pids.push_back(pid);
  }
  return 0;
}

// Reads both pipes to EOF with poll() + read(), counting bytes and '\n' into `r`.
void drain(int out_fd, int err_fd, FloorReply& r, std::string* out) {
  static char buf[64 * 1024];
  pollfd p[2] = {{out_fd, POLLIN, 0}, {err_fd, POLLIN, 0}};
  int open = 2;
  while (open > 0) {
    if (::poll(p, 2, -1) < 0) continue;
    for (auto& q : p) {
      if (q.fd < 0 || q.revents == 0) continue;
      ssize_t n = ::read(q.fd, buf, sizeof buf);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) {
        ::close(q.fd);
        q.fd = -1;
        --open;
        continue;
      }
      r.bytes += n;
      if (out != nullptr && q.fd == out_fd) out->append(buf, static_cast<std::size_t>(n));
      for (const char* c = buf; (c = static_cast<const char*>(std::memchr(c, '\n', static_cast<std::size_t>(buf + n - c)))) != nullptr; ++c) {
        ++r.lines;
      }
    }
  }
}

}  // namespace

FloorReply spawn_true() {
  char* argv[] = {kTrue, nullptr};
  Stopwatch watch;
  pid_t pid = spawn_null(argv);
  if (pid < 0) return failed(errno);
  if (!reap(pid)) return failed(errno);
  return watch.reply();
}

FloorReply fork_exec_true() {
  char* argv[] = {kTrue, nullptr};
  Stopwatch watch;
  pid_t pid = ::fork();
  if (pid < 0) return failed(errno);
  if (pid == 0) {
    int null_fd = ::open("/dev/null", O_RDWR);
    ::dup2(null_fd, 0);
    ::dup2(null_fd, 1);
    ::dup2(null_fd, 2);
    ::execve(argv[0], argv, environ);
    ::_exit(127);
  }
  if (!reap(pid)) return failed(errno);
  return watch.reply();
}

FloorReply echo_pipes() {
  char* argv[] = {kEcho, kHello, nullptr};
  std::string out;
  Stopwatch watch;
  int out_fd, err_fd;
  pid_t pid = spawn_piped(argv, &out_fd, &err_fd);
  if (pid < 0) return failed(errno);
  FloorReply counted;
  drain(out_fd, err_fd, counted, &out);
  if (!reap(pid)) return failed(errno);
  FloorReply r = watch.reply();
  if (out != "hello\n") return failed(EPROTO);
  return r;
}

FloorReply stop_sleeper() {
  char* argv[] = {kSleep, kThousand, nullptr};
  // posix_spawn returns once the child has exec'd, so the SIGTERM reaches `sleep` itself.
  pid_t pid = spawn_null(argv);
  if (pid < 0) return failed(errno);
  Stopwatch watch;
  ::kill(pid, SIGTERM);
  if (!reap(pid)) return failed(errno);
  return watch.reply();
}

FloorReply read_lines(std::int64_t lines, std::int64_t length, LineShape shape) {
#ifdef MODHOST_LINE_WRITER
  std::string program = MODHOST_LINE_WRITER, count = std::to_string(lines), size = std::to_string(length);
  std::string shape_arg = shape_name(shape);
  char* argv[] = {program.data(), count.data(), size.data(), shape_arg.data(), nullptr};
  Stopwatch watch;
  int out_fd, err_fd;
  pid_t pid = spawn_piped(argv, &out_fd, &err_fd);
  if (pid < 0) return failed(errno);
  FloorReply counted;
  drain(out_fd, err_fd, counted, nullptr);
  if (!reap(pid)) return failed(errno);
  FloorReply r = watch.reply();
  r.lines = counted.lines;
  r.bytes = counted.bytes;
  return r;
#else
  (void)lines;
  (void)length;
  (void)shape;
  return failed(ENOSYS);
#endif
}

FloorReply concurrent_stop(std::int64_t children) {
  std::vector<pid_t> pids;
  if (int err = spawn_sleepers(children, pids); err != 0) return failed(err);
  double cpu0 = static_cast<double>(clock_ns(CLOCK_PROCESS_CPUTIME_ID));
  double seconds = run_released_together(pids.size(), [&](std::size_t i) {
    ::kill(pids[i], SIGTERM);
    return reap(pids[i]);
  });
  double cpu1 = static_cast<double>(clock_ns(CLOCK_PROCESS_CPUTIME_ID));
  if (seconds < 0) return failed(ECHILD);
  FloorReply r;
  r.wall_ns = static_cast<std::int64_t>(seconds * 1e9);
  // This CPU span also holds the threads' creation, which the wall time leaves out.
  r.cpu_ns = static_cast<std::int64_t>(cpu1 - cpu0);
  return r;
}

FloorReply kill_each_idle(std::int64_t children) {
  std::vector<pid_t> pids;
  if (int err = spawn_sleepers(children, pids); err != 0) return failed(err);
  Stopwatch watch;
  bool all = true;
  for (pid_t p : pids) {
    ::kill(p, SIGKILL);
    all = reap(p) && all;
  }
  FloorReply r = watch.reply();
  return all ? r : failed(ECHILD);
}

FloorReply term_all_idle(std::int64_t children) {
  std::vector<pid_t> pids;
  if (int err = spawn_sleepers(children, pids); err != 0) return failed(err);
  Stopwatch watch;
  for (pid_t p : pids) ::kill(p, SIGTERM);
  bool all = true;
  for (pid_t p : pids) all = reap(p) && all;
  FloorReply r = watch.reply();
  return all ? r : failed(ECHILD);
}

FloorReply hold_idle(std::int64_t children, std::vector<pid_t>& held) {
  // One pidfd per held child, as a supervisor built on pidfds holds them (and as modhost does on
  // Linux): many exit handles cost the kernel too (a bigger fd table for every spawn to copy and
  // every exec to close), and that cost belongs to the floor, not to modhost's code.
  static std::vector<int> pidfds;
  for (int fd : pidfds) ::close(fd);
  pidfds.clear();
  for (pid_t p : held) ::kill(p, SIGKILL);
  bool all = true;
  for (pid_t p : held) all = reap(p) && all;
  held.clear();
  if (!all) return failed(ECHILD);
  if (int err = spawn_sleepers(children, held); err != 0) return failed(err);
#if defined(SYS_pidfd_open)
  for (pid_t p : held) {
    long fd = ::syscall(SYS_pidfd_open, p, 0u);
    if (fd >= 0) pidfds.push_back(static_cast<int>(fd));
  }
#endif
  return FloorReply();
}

}  // namespace bench::raw
