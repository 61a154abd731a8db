#pragma once
// Internal to platform/posix/: small file-descriptor helpers shared by the spawn paths, the exit
// watcher, the waits and the pipe reader.

#include <signal.h>

namespace modhost::detail {

// Returns `fd` if it is above 2; otherwise a close-on-exec duplicate of it at 3 or above, closing
// the original. -1 (errno kept) when `fd` was already -1 or the duplicate failed (the original is
// closed then too). Every descriptor the library keeps goes through here: a host that closed its
// stdio would otherwise hand us 0, 1 or 2, and the host's own writes to "stdout" (the default
// sink's to stderr) would land in our wake-up pipes, and a child's dup2 onto 0-2 in our fds.
int above_stdio(int fd) noexcept;

// close(2) exactly once: on Linux the descriptor is released even when close() reports EINTR,
// so retrying could close a descriptor another thread has just been given. Tolerates -1.
void close_fd(int fd) noexcept;

// Keeps a write to a pipe whose reader is gone from raising SIGPIPE in the host, whose default
// action would end it: SIGPIPE is blocked in the calling thread for the guard's lifetime, and
// after a write that failed with EPIPE (say so with broken()) the SIGPIPE it raised is taken off
// again, unless one was already pending before (that one is the host's). The thread's mask is
// restored at the end.
class SigpipeGuard {
 public:
  SigpipeGuard() noexcept;
  ~SigpipeGuard();
  SigpipeGuard(const SigpipeGuard&) = delete;
  SigpipeGuard& operator=(const SigpipeGuard&) = delete;
  // A write under this guard failed with EPIPE, so it raised a SIGPIPE.
  void broken() noexcept { broken_ = true; }

 private:
  sigset_t old_mask_;
  bool was_pending_ = false;
  bool broken_ = false;
};

}  // namespace modhost::detail
