#pragma once
// Internal to platform/posix/: small file-descriptor helpers shared by the spawn paths, the exit
// watcher, the waits and the pipe reader.

#include <signal.h>

#include <cstddef>

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

// Blocks until `fd` is ready for `events` (or has an error or hang-up to report, which the next
// read or write then returns). False with errno set when poll itself fails. Used on descriptors
// that may be O_NONBLOCK when the caller wants blocking behaviour without changing the flag, which
// is shared by everyone holding the same open file description.
bool wait_ready(int fd, short events) noexcept;

// Writes all `size` bytes of `data` to `fd`, retrying after EINTR and waiting for room (poll) on
// EAGAIN, so a non-blocking descriptor (a terminal shared with a process that set O_NONBLOCK)
// behaves as a blocking one: the bytes are owed and never dropped. Returns 0, or the errno of
// the write that failed (EPIPE included: callers that can meet a closed reader hold a
// SigpipeGuard). The one write loop of platform/posix/: the default sink's stderr, Pipe::write
// and the tool's stdout all go through it.
int write_fully(int fd, const char* data, std::size_t size) noexcept;

// Makes a wake-up pipe, the way a thread that sleeps in poll/epoll is woken: fds[0] the read end,
// fds[1] the write end, both close-on-exec, non-blocking and numbered 3 or above. False (errno
// set, nothing left open) when the OS refuses.
bool open_wake_pipe(int fds[2]) noexcept;

// Writes one byte to the wake-up pipe's write end `fd`, retrying on EINTR. A full pipe (EAGAIN)
// already holds a wake-up, so the byte is then dropped: unlike write_fully this never waits, since
// its callers (a signal handler, threads holding a reader's mutex) must not block. Async-signal-
// safe (only write(2)); errno may change.
void write_wake_byte(int fd) noexcept;

// Reads the wake-up pipe's (non-blocking) read end `fd` until it is empty.
void drain_wake_pipe(int fd) noexcept;

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
