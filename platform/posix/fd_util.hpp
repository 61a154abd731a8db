#pragma once
// Internal to platform/posix/: small file-descriptor helpers shared by the spawn paths, the exit
// watcher, the waits and the pipe reader.

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

}  // namespace modhost::detail
