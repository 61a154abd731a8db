// POSIX half of src/cli/reaper.hpp: the tool as a child subreaper (Linux) and an orphan reaper that
// never takes a status the library is owed.
//
// The rule (README "Gotchas"): never waitpid(-1). A SIGCHLD wakes the reaper's thread through a
// self-pipe; it peeks at one exited child with waitid(P_ALL, WNOWAIT), which reaps nothing, asks
// modhost::is_modhost_child() whether the library owns it (or may: a spawn under way), and reaps
// it by pid only when not. A zombie of the library's hides the others from P_ALL until the
// library reaps it, which it does at once on either of its exit paths; the thread then looks
// again after a short delay, doubling up to kMaxRetryMs, since the library's reap raises no
// signal the tool could wait for.

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#if defined(__linux__)
#include <sys/prctl.h>
#endif

#include <atomic>
#include <mutex>
#include <thread>

#include "cli/reaper.hpp"
#include "modhost/child_process.hpp"

namespace modhost::cli {
namespace {

constexpr int kFirstRetryMs = 1;
constexpr int kMaxRetryMs = 100;

// The self-pipe's write end. Written once before the handler is installed and never closed: the
// handler may run at any moment until the process ends.
std::atomic<int> g_wake_fd{-1};
// The handler that was installed before ours (the default, normally), chained to.
struct sigaction g_previous;

extern "C" void modhost_tool_sigchld(int sig, siginfo_t* info, void* context) {
  const int saved_errno = errno;
  const int fd = g_wake_fd.load(std::memory_order_relaxed);
  if (fd >= 0) {
    char byte = 0;
    // A full pipe already guarantees a wake-up, so the byte may be dropped.
    ssize_t ignored = ::write(fd, &byte, 1);
    (void)ignored;
  }
  if ((g_previous.sa_flags & SA_SIGINFO) != 0) {
    if (g_previous.sa_sigaction != nullptr) g_previous.sa_sigaction(sig, info, context);
  } else if (g_previous.sa_handler != SIG_DFL && g_previous.sa_handler != SIG_IGN &&
             g_previous.sa_handler != nullptr) {
    g_previous.sa_handler(sig);
  }
  errno = saved_errno;
}

// Reaps every exited child that is not the library's. Returns true when a zombie of the
// library's was in the way (look again soon), false when no zombie is left to look at.
bool reap_orphans() noexcept {
  for (;;) {
    siginfo_t info;
    memset(&info, 0, sizeof info);
    int r = ::waitid(P_ALL, 0, &info, WEXITED | WNOHANG | WNOWAIT);
    if (r != 0) {
      if (errno == EINTR) continue;
      return false;  // ECHILD: no child at all.
    }
    if (info.si_pid == 0) return false;
    if (modhost::is_modhost_child(info.si_pid)) return true;
    siginfo_t reaped;
    memset(&reaped, 0, sizeof reaped);
    while (::waitid(P_PID, static_cast<id_t>(info.si_pid), &reaped, WEXITED | WNOHANG) != 0 &&
           errno == EINTR) {
    }
  }
}

[[noreturn]] void reaper_loop(int read_fd) {
  int retry_ms = -1;  // no retry pending: wait for the next SIGCHLD alone
  for (;;) {
    struct pollfd p = {read_fd, POLLIN, 0};
    int n = ::poll(&p, 1, retry_ms);
    if (n < 0 && errno != EINTR) retry_ms = kMaxRetryMs;  // ENOMEM: do not spin
    if (n > 0) {
      char buf[64];
      while (::read(read_fd, buf, sizeof buf) > 0) {
      }
    }
    if (reap_orphans()) {
      retry_ms = retry_ms < kFirstRetryMs ? kFirstRetryMs : retry_ms * 2;
      if (retry_ms > kMaxRetryMs) retry_ms = kMaxRetryMs;
    } else {
      retry_ms = -1;
    }
  }
}

Error os_error(const char* what) { return Error::from_os(errno, what); }

}  // namespace

Result<void> start_orphan_reaper() {
  static std::mutex mutex;
  static bool started = false;
  std::lock_guard<std::mutex> lock(mutex);
  if (started) return ok_result();

#if defined(__linux__)
  // Orphans of the tool's processes come to the tool rather than to init. As PID 1 they come to
  // it anyway, so a refusal (qemu-user refuses it with EINVAL) only matters elsewhere: PID 1
  // goes on and reaps them, or they would stay zombies for the container's life.
  if (::prctl(PR_SET_CHILD_SUBREAPER, 1) != 0 && ::getpid() != 1) {
    return os_error("cannot become a child subreaper");
  }
#endif
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC | O_NONBLOCK) != 0) return os_error("cannot create the reaper's pipe");
  g_wake_fd.store(fds[1]);
  struct sigaction ours;
  memset(&ours, 0, sizeof ours);
  ours.sa_sigaction = modhost_tool_sigchld;
  sigemptyset(&ours.sa_mask);
  ours.sa_flags = SA_SIGINFO | SA_RESTART | SA_NOCLDSTOP;
  if (::sigaction(SIGCHLD, &ours, &g_previous) != 0) {
    return os_error("cannot install the reaper's SIGCHLD handler");
  }
  // The thread blocks every signal: the handler never runs on it, so its poll() only ever ends
  // for the pipe or the retry delay.
  sigset_t all, mine;
  sigfillset(&all);
  ::pthread_sigmask(SIG_SETMASK, &all, &mine);
  const int read_fd = fds[0];
  std::thread thread([read_fd] { reaper_loop(read_fd); });
  ::pthread_sigmask(SIG_SETMASK, &mine, nullptr);
#if defined(__linux__)
  ::pthread_setname_np(thread.native_handle(), "modhost-reaper");
#endif
  // It lives as long as the process (the handler may write to its pipe at any moment).
  thread.detach();
  started = true;
  // Orphans that exited before the handler was installed raised no wake-up.
  char byte = 0;
  ssize_t ignored = ::write(fds[1], &byte, 1);
  (void)ignored;
  return ok_result();
}

}  // namespace modhost::cli
