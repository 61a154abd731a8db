#pragma once
/// @file pipe.hpp
/// `Pipe`: an owned OS pipe end, without any OS header in sight.

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "modhost/result.hpp"

namespace modhost {

/// A move-only owner of one end of a pipe. The native value is an `int` file descriptor on POSIX
/// and a `HANDLE` on Windows, carried as `std::intptr_t` so no OS header is needed here.
///
/// The parent's ends modhost makes (`ChildProcess::take_stdin()`, `take_stdout()`,
/// `take_stderr()`) are close-on-exec (not inheritable), and their modes differ by platform:
/// on POSIX all three are non-blocking (`O_NONBLOCK`); on Windows the stdout/stderr read ends are
/// overlapped named pipes (a `ReadFile` on them needs an `OVERLAPPED`) and the stdin write end is
/// an ordinary synchronous handle. `read()` and `write()` hide these differences: they block, on
/// either kind of end, so code that only reads and writes needs no OS call at all.
class Pipe {
 public:
  /// The native type: `int` fd on POSIX, `HANDLE` on Windows.
  using native_type = std::intptr_t;
  /// The value of an invalid pipe (-1 on POSIX, INVALID_HANDLE_VALUE on Windows).
  static const native_type invalid;

  /// An invalid pipe.
  Pipe() noexcept : native_(invalid) {}
  /// Takes ownership of `native`.
  explicit Pipe(native_type native) noexcept : native_(native) {}
  /// Closes the pipe if valid.
  ~Pipe() { close(); }
  /// Takes over `other`'s end; `other` becomes invalid.
  Pipe(Pipe&& other) noexcept : native_(other.release()) {}
  /// Closes this end, then takes over `other`'s.
  Pipe& operator=(Pipe&& other) noexcept {
    if (this != &other) {
      close();
      native_ = other.release();
    }
    return *this;
  }
  /// Not copyable: one owner per pipe end.
  Pipe(const Pipe&) = delete;
  /// Not copyable.
  Pipe& operator=(const Pipe&) = delete;

  /// True when this owns an end.
  bool valid() const noexcept { return native_ != invalid; }
  /// The native value (still owned by this object).
  native_type native() const noexcept { return native_; }
  /// Gives up ownership and returns the native value; this becomes invalid.
  native_type release() noexcept {
    native_type n = native_;
    native_ = invalid;
    return n;
  }
  /// Closes the end now. Idempotent.
  void close() noexcept;

  /// Reads up to `size` bytes into `buffer`, blocking until at least one byte is there or the
  /// pipe reaches end of file. Returns the number of bytes read, 0 at end of file (every copy of
  /// the write end is closed: the child's and its descendants'); `size` 0 returns 0 at once.
  /// Works on the ends modhost makes and on any other pipe end (blocking or not on POSIX,
  /// overlapped or not on Windows); the end's own mode is left as it is (on POSIX a
  /// non-blocking end is waited on with `poll`). Not cancellable: a read returns when data or
  /// end of file arrives (stopping the child brings the latter). One thread at a time per pipe;
  /// another thread may write to another pipe meanwhile. Errors: `errc::invalid_argument` for an
  /// invalid pipe, else the OS's code (`errno`; `GetLastError()`) with the OS's text.
  Result<std::size_t> read(void* buffer, std::size_t size);

  /// Writes all of `data`, blocking while the pipe is full (the child does not read). Never
  /// raises SIGPIPE on POSIX: a pipe whose read end is closed everywhere is the error `EPIPE`
  /// (Windows: `ERROR_NO_DATA` or `ERROR_BROKEN_PIPE`); bytes written before an error are not
  /// reported. Works on either kind of end, like `read()`. One thread at a time per pipe.
  /// Errors: `errc::invalid_argument` for an invalid pipe; on Windows `errc::unsupported` for a
  /// non-blocking (`PIPE_NOWAIT`) pipe that is full (modhost never makes one); else the OS's code
  /// and text.
  Result<void> write(std::string_view data);

 private:
  native_type native_;
};

}  // namespace modhost
