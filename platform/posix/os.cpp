// Small POSIX services for the portable core: random bytes, stderr writes, closing fds, signal
// names, and the out-of-line parts of Pipe.

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#if defined(__linux__)
#include <sys/random.h>
#endif

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <system_error>

#include "fd_util.hpp"
#include "modhost_platform.hpp"

namespace modhost {

const Pipe::native_type Pipe::invalid = -1;

void Pipe::close() noexcept {
  detail::close_native(release());
}

namespace detail {

namespace {

// Reads from /dev/urandom; used where getrandom() does not exist or the kernel lacks it (ENOSYS).
Result<void> urandom_read(unsigned char* out, std::size_t size) noexcept {
  int fd;
  do {
    fd = ::open("/dev/urandom", O_RDONLY | O_CLOEXEC);
  } while (fd < 0 && errno == EINTR);
  if (fd < 0) return Error::from_os(errno, "cannot open /dev/urandom");
  while (size > 0) {
    ssize_t n = ::read(fd, out, size);
    if (n < 0) {
      if (errno == EINTR) continue;
      int err = errno;
      ::close(fd);
      return Error::from_os(err, "cannot read /dev/urandom");
    }
    if (n == 0) {
      ::close(fd);
      return Error(errc::internal, "cannot read /dev/urandom: unexpected end of file");
    }
    out += n;
    size -= static_cast<std::size_t>(n);
  }
  ::close(fd);
  return ok_result();
}

}  // namespace

Result<void> os_random(void* buf, std::size_t size) noexcept {
  auto* out = static_cast<unsigned char*>(buf);
#if defined(__linux__)
  while (size > 0) {
    ssize_t n = ::getrandom(out, size, 0);
    if (n < 0) {
      if (errno == EINTR) continue;
      // Old kernels (or seccomp sandboxes) lack the system call; the device file still works.
      if (errno == ENOSYS || errno == EPERM) return urandom_read(out, size);
      return Error::from_os(errno, "getrandom failed");
    }
    out += n;
    size -= static_cast<std::size_t>(n);
  }
  return ok_result();
#else
  return urandom_read(out, size);
#endif
}

void write_stderr(std::string_view text) noexcept {
  // A write to a pipe whose reader is gone must not end the host for a log line (see
  // SigpipeGuard).
  SigpipeGuard guard;
  // Nothing sensible can be done about a broken stderr; the contract says ignore it.
  if (write_fully(STDERR_FILENO, text.data(), text.size()) == EPIPE) guard.broken();
}

bool is_directory(const std::string& path) noexcept {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

void close_native(Pipe::native_type native) noexcept {
  if (native < 0) return;
  // On Linux the fd is released even when close() reports EINTR, so retrying could close an fd
  // another thread has just been given; call it exactly once.
  ::close(static_cast<int>(native));
}

void at_fork(void (*prepare)(), void (*parent)(), void (*child)()) noexcept {
  // pthread_atfork fails only with ENOMEM; the handlers then do not run, which leaves a forked
  // child as it would be without modhost's care, not worse.
  (void)::pthread_atfork(prepare, parent, child);
}

std::string os_error_text(int code) {
  // The standard library's text is strerror's, which is what POSIX users expect to read.
  return std::system_category().message(code);
}

}  // namespace detail

// The public modhost::signal_name (child_process.hpp), here because the names are the OS's.
std::string_view signal_name(int sig) noexcept {
  switch (sig) {
    case SIGHUP: return "SIGHUP";
    case SIGINT: return "SIGINT";
    case SIGQUIT: return "SIGQUIT";
    case SIGILL: return "SIGILL";
    case SIGTRAP: return "SIGTRAP";
    case SIGABRT: return "SIGABRT";
    case SIGBUS: return "SIGBUS";
    case SIGFPE: return "SIGFPE";
    case SIGKILL: return "SIGKILL";
    case SIGUSR1: return "SIGUSR1";
    case SIGSEGV: return "SIGSEGV";
    case SIGUSR2: return "SIGUSR2";
    case SIGPIPE: return "SIGPIPE";
    case SIGALRM: return "SIGALRM";
    case SIGTERM: return "SIGTERM";
    case SIGCHLD: return "SIGCHLD";
    case SIGCONT: return "SIGCONT";
    case SIGSTOP: return "SIGSTOP";
    case SIGTSTP: return "SIGTSTP";
    case SIGTTIN: return "SIGTTIN";
    case SIGTTOU: return "SIGTTOU";
    case SIGXCPU: return "SIGXCPU";
    case SIGXFSZ: return "SIGXFSZ";
    case SIGSYS: return "SIGSYS";
    default: return {};
  }
}

}  // namespace modhost
