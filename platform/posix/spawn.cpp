// spawn_process() for POSIX: checks what only the OS can tell, resolves the program on the child's
// PATH, builds argv/envp and the pipes, picks a spawn path, and hands the child to the watcher.

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <mutex>
#include <string>
#include <system_error>
#include <vector>

#include "fd_util.hpp"
#include "pidfd.hpp"
#include "posix_process.hpp"
#include "modhost_spawn_support.hpp"
#include "syscall_probe.hpp"

extern char** environ;

namespace modhost::detail {

namespace {

std::atomic<bool> g_force_fork{false};
std::atomic<bool> g_force_sigchld{false};
std::atomic<void (*)(pid_t)> g_spawned_hook{nullptr};

// The test switches' environment variables, read once at the first spawn (or first switch).
void read_test_switches_once() {
  static std::once_flag once;
  std::call_once(once, [] {
    const char* fork = ::getenv("MODHOST_FORCE_FORK");
    if (fork != nullptr && fork[0] == '1') g_force_fork.store(true);
    const char* sigchld = ::getenv("MODHOST_FORCE_SIGCHLD");
    if (sigchld != nullptr && sigchld[0] == '1') g_force_sigchld.store(true);
  });
}

// Kills and reaps a child that was started but cannot be watched, so a failed spawn leaves
// nothing behind. It was never handed to the watcher, which therefore never looks at its pid.
void discard_child(pid_t pid, bool has_group) noexcept {
  ::kill(has_group ? -pid : pid, SIGKILL);
  ::kill(pid, SIGKILL);
  int status;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
}

// "[<stage>: ]<OS reason>[ (<note>)]", the code unchanged. ChildProcess::spawn puts the one
// "failed to spawn process: <program>: " in front of every spawn error.
Error spawn_error(int err, const std::string& stage = {}, const std::string& note = {}) {
  std::string message;
  if (!stage.empty()) message += stage + ": ";
  message += std::system_category().message(err);
  if (!note.empty()) message += " (" + note + ")";
  return Error(std::error_code(err, std::system_category()), message);
}

bool is_executable_file(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode) && ::access(path.c_str(), X_OK) == 0;
}

// execvp's lookup, done in the parent on the PATH the child will get (execvp would use the
// parent's, and could not run before fork without allocating). An unset PATH means the system's
// default. Returns ENOENT, or EACCES when only non-executable candidates were found.
Result<std::string> resolve_program(const std::string& program, const char* path_var) {
  if (program.find('/') != std::string::npos) return program;
  std::string path = path_var != nullptr ? path_var : "/bin:/usr/bin";
  bool saw_denied = false;
  std::size_t start = 0;
  for (;;) {
    std::size_t end = path.find(':', start);
    std::string dir = path.substr(start, end == std::string::npos ? std::string::npos : end - start);
    std::string candidate = (dir.empty() ? std::string(".") : dir) + "/" + program;
    if (is_executable_file(candidate)) return candidate;
    if (::access(candidate.c_str(), F_OK) == 0) saw_denied = true;
    if (end == std::string::npos) break;
    start = end + 1;
  }
  return spawn_error(saw_denied ? EACCES : ENOENT);
}

// Makes a pipe for one child stream. The child's end is blocking; the parent's is non-blocking;
// both are close-on-exec from creation (pipe2) and >= 3 (see above_stdio in fd_util.hpp).
Result<void> make_pipe(bool child_reads, int& child_end, Pipe& parent_end) {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) return Error::from_os(errno, "cannot create a pipe");
  fds[0] = above_stdio(fds[0]);
  int err = errno;
  fds[1] = above_stdio(fds[1]);
  if (fds[0] < 0 || fds[1] < 0) {
    if (fds[1] < 0) err = errno;
    close_fd(fds[0]);
    close_fd(fds[1]);
    return Error::from_os(err, "cannot create a pipe");
  }
  int parent = child_reads ? fds[1] : fds[0];
  child_end = child_reads ? fds[0] : fds[1];
  ::fcntl(parent, F_SETFL, ::fcntl(parent, F_GETFL) | O_NONBLOCK);
  parent_end = Pipe(parent);
  return ok_result();
}

std::vector<char*> pointers(std::vector<std::string>& strings) {
  std::vector<char*> out;
  out.reserve(strings.size() + 1);
  for (auto& s : strings) out.push_back(s.data());
  out.push_back(nullptr);
  return out;
}

}  // namespace

bool set_spawn_fallback_for_testing(bool on) noexcept {
  read_test_switches_once();
  g_force_fork.store(on);
  return true;
}

bool set_exit_fallback_for_testing(bool on) noexcept {
  read_test_switches_once();
  g_force_sigchld.store(on);
  return true;
}

void set_spawned_hook_for_testing(void (*hook)(pid_t pid)) noexcept {
  g_spawned_hook.store(hook, std::memory_order_release);
}

Result<std::shared_ptr<ProcessState>> spawn_process(const SpawnOptions& options) {
  read_test_switches_once();
  // The exit mechanism of this child: its pidfd where the kernel has them, else SIGCHLD. Made
  // ready before anything is started, so a failure here leaves nothing behind.
  const bool use_sigchld = g_force_sigchld.load(std::memory_order_relaxed) || !pidfds_supported();
  if (Result<void> w = prepare_exit_watch(use_sigchld); !w) return w.error();

  if (!options.working_directory.empty()) {
    // Checked here so the error says what is wrong; posix_spawn would only report ENOENT.
    struct stat st;
    // The OS's code is kept (ENOENT, EACCES...), so a caller can tell a missing directory from
    // a bad argument; only the text is made plain.
    if (::stat(options.working_directory.c_str(), &st) != 0) {
      const int err = errno;
      if (err != ENOENT) return Error::from_os(err, "working directory " + options.working_directory);
      return Error(std::error_code(err, std::system_category()),
                   "working directory " + options.working_directory + " does not exist");
    }
    if (!S_ISDIR(st.st_mode)) {
      return Error(std::error_code(ENOTDIR, std::system_category()),
                   "working directory " + options.working_directory + " is not a directory");
    }
  }

  // The environment: the parent's own array when nothing changes (no copy on the common path).
  std::vector<std::string> env_strings;
  std::vector<char*> env_pointers;
  char* const* envp = environ;
  const char* path_var = nullptr;
  if (options.clear_env || !options.env.empty()) {
    std::vector<std::string> base;
    if (!options.clear_env) {
      for (char** e = environ; e != nullptr && *e != nullptr; ++e) base.emplace_back(*e);
    }
    env_strings = merge_environment(base, options, false);
    env_pointers = pointers(env_strings);
    envp = env_pointers.data();
    path_var = find_environment(env_strings, "PATH", false);
  } else {
    path_var = ::getenv("PATH");
  }

  Result<std::string> resolved = resolve_program(options.program, path_var);
  if (!resolved) return resolved.error();
  std::string path = std::move(*resolved);
  // The child changes directory before exec, so a relative path must be made absolute first.
  if (path[0] != '/' && !options.working_directory.empty()) {
    char buf[4096];
    if (::getcwd(buf, sizeof buf) == nullptr) {
      return spawn_error(errno, "cannot resolve the relative program path");
    }
    path = std::string(buf) + "/" + path;
  }

  std::vector<std::string> arg_strings;
  arg_strings.reserve(options.args.size() + 1);
  arg_strings.push_back(options.program);
  for (const auto& a : options.args) arg_strings.push_back(a);
  std::vector<char*> argv = pointers(arg_strings);

  SpawnPlan plan;
  plan.path = path.c_str();
  plan.argv = argv.data();
  plan.envp = envp;
  plan.working_directory =
      options.working_directory.empty() ? nullptr : options.working_directory.c_str();
  plan.merge_stderr = options.merge_stderr_into_stdout;
  plan.new_group = options.new_process_group;
  plan.kill_on_parent_death = options.kill_on_parent_death;

  // Child ends are closed when this function returns, whatever happens.
  struct ChildEnds {
    int fds[3] = {-1, -1, -1};
    ~ChildEnds() {
      for (int fd : fds) close_native(fd);
    }
  } child_ends;
  Pipe parent_ends[3];
  const Stdio modes[3] = {options.stdin_mode, options.stdout_mode,
                          options.merge_stderr_into_stdout ? Stdio::Inherit : options.stderr_mode};
  for (int i = 0; i < 3; ++i) {
    if (modes[i] == Stdio::Pipe) {
      Result<void> p = make_pipe(i == 0, child_ends.fds[i], parent_ends[i]);
      if (!p) return p.error();
      plan.stdio[i] = child_ends.fds[i];
    } else {
      plan.stdio[i] = modes[i] == Stdio::Null ? kNull : kInherit;
    }
  }

  // posix_spawn is the fast path; the fork path serves what it cannot express, and a kernel or
  // sandbox under which glibc's posix_spawn cannot work (see syscall_probe.hpp).
  bool use_fork = g_force_fork.load(std::memory_order_relaxed) || needs_fork_path(plan) ||
                  posix_spawn_unusable_here() || !posix_spawn_reports_exec_errors();
  // From before the child exists until its pid is registered, every pid counts as modhost's
  // (owns_child), so a host reaping other children never takes this one's status.
  begin_spawn();
  SpawnOutcome outcome = use_fork ? spawn_with_fork(plan) : spawn_with_posix_spawn(plan);
  // glibc's posix_spawn creates its child with clone3 and falls back to clone only on ENOSYS: a
  // sandbox that refuses clone3 with EPERM makes it fail, where fork() (plain clone) works.
  if (!use_fork && outcome.error == EPERM && clone3_refused()) outcome = spawn_with_fork(plan);
  void (*hook)(pid_t) = g_spawned_hook.load(std::memory_order_acquire);
  if (hook != nullptr && outcome.error == 0) hook(outcome.pid);
  end_spawn(outcome.error == 0 ? outcome.pid : 0);
  if (outcome.error != 0) {
    std::string note;
    if (outcome.error == EACCES && outcome.stage == nullptr) {
      // Only looked at after a failure, so the common path pays no extra stat().
      struct stat st;
      if (::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode)) note = "it is a directory";
    }
    return spawn_error(outcome.error, outcome.stage ? outcome.stage : "", note);
  }

  const pid_t pid = outcome.pid;
  auto native = std::unique_ptr<NativeProcess, NativeProcessDeleter>(new NativeProcess);
  native->has_group = options.new_process_group;
  native->owner = ::getpid();
  bool gone_before_watched = false;
  if (!use_sigchld) {
    // The child cannot have been reaped yet (only modhost reaps it, and not before it is
    // watched), so the pid still names it. Except for a host that ignores SIGCHLD: the kernel
    // may have reaped a child that exited at once, and then there is nothing left to watch.
    native->pidfd = open_pidfd(pid);
    if (native->pidfd < 0) {
      int err = errno;
      if (err != ESRCH) {
        discard_child(pid, options.new_process_group);
        note_reaped(pid);
        return spawn_error(err, "cannot watch the process (pidfd_open)");
      }
      gone_before_watched = true;
      note_reaped(pid);  // the kernel reaped it (a host that ignores SIGCHLD)
    }
  }
  auto state = std::make_shared<ProcessState>(pid, std::move(native));
  state->set_pipes(std::move(parent_ends[0]), std::move(parent_ends[1]), std::move(parent_ends[2]));
  if (gone_before_watched) {
    state->settle([&] {
      state->native()->reaped = true;
      return Probe::lost("it exited before it could be watched, and the host ignores SIGCHLD");
    });
    return state;
  }
  if (Result<void> watched = watch_child(state); !watched) {
    discard_child(pid, options.new_process_group);
    note_reaped(pid);
    state->settle([&] {
      state->native()->reaped = true;
      return Probe::lost("it could not be watched");
    });
    return watched.error();
  }
  return state;
}

}  // namespace modhost::detail
