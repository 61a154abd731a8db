#pragma once
/// @file error.hpp
/// The one error convention of modhost: an `Error` (a `std::error_code` plus a message with
/// context) carried in a `Result<T>`. Nothing in the library throws an exception of its own.
///
/// Running out of memory is the one failure outside this convention: an allocation that fails does
/// what `operator new` does (`std::bad_alloc`, which ends the program under `-fno-exceptions` or
/// in a `noexcept` function). "Never fails" in modhost's headers means: for no other reason.

#include <string>
#include <system_error>

namespace modhost {

/// The library's own error conditions. OS errors are never translated into these: they are passed
/// through unchanged in `std::system_category()` (errno on POSIX, `GetLastError()` on Windows).
/// The values are fixed (a host may store or compare them); 3 and 6 belonged to conditions no
/// public function returned and are not reused. Each value says which public functions return it; the functions'
/// own "Errors:" sentences are the full lists.
enum class errc {
  /// The caller passed something unusable: `ChildProcess::spawn` (empty program, NUL in a string,
  /// `=` in an environment key, invalid UTF-8 on Windows), `Pipe::read` / `Pipe::write` on an
  /// invalid pipe, `LocalProcessBackend::spawn_instance` without a binary.
  invalid_argument = 1,
  /// The operation needs a child and there is none: every `ChildProcess` operation on an inert
  /// object; `ChildProcess::send_signal` and `LocalProcessBackend::signal_instance` once the
  /// child was reaped (or the instance is unknown).
  not_running = 2,
  /// The backend is shut down: `LocalProcessBackend::spawn_instance` once `shutdown()` (or the
  /// token's cancel) has begun. A wait cut short by a `CancellationToken` is not an error: it
  /// returns nullopt.
  cancelled = 4,
  /// The request cannot be honoured on this platform or backend kind: `spawn_instance` for a
  /// kind other than `LocalProcess`; on Windows a graceful request nothing can deliver
  /// (`ChildProcess::terminate`), a signal number other than SIGINT, SIGTERM and 9
  /// (`send_signal`), a `Pipe::write` to a full non-blocking (`PIPE_NOWAIT`) pipe.
  unsupported = 5,
  /// Text could not be parsed: `Uuid::parse` (and the modhost tool's Procfile and .env files).
  parse_error = 7,
  /// POSIX only: the host broke a documented contract (README, Gotchas) and a child's exit status
  /// is lost. It reaped the child itself or had the kernel reap it, where the status cannot be
  /// read back; or, on the SIGCHLD path, it set SIGCHLD to `SIG_IGN` or `SA_NOCLDWAIT` or
  /// replaced modhost's handler after modhost installed it (`ChildProcess::spawn` refuses then);
  /// or the `ChildProcess` was inherited through `fork()`. The `ChildProcess` class comment has
  /// the details.
  host_contract = 8,
  /// An invariant of the library itself was broken (a bug: please report).
  internal = 9,
};

/// The `std::error_category` of `modhost::errc`; its name is "modhost". One object for the whole
/// process, made on first use (thread-safe). Never fails; never blocks.
const std::error_category& modhost_category() noexcept;

/// Makes a `std::error_code` of the modhost category (found by ADL for
/// `std::error_code ec = errc::x`). Never fails; never blocks.
std::error_code make_error_code(errc e) noexcept;

/// A failure: what failed, on what, and why. `code()` is machine-readable; `message()` is the
/// whole human sentence, e.g. `failed to spawn process: /no/such/prog: No such file or directory`.
/// A plain value: no member fails or blocks; like `std::string`, one object may be read from
/// several threads at once, but changed (assigned) by one thread at a time.
class Error {
 public:
  /// An error with a code and a complete message (used as given). Never fails.
  Error(std::error_code code, std::string message) : code_(code), message_(std::move(message)) {}

  /// An error of the library's own category; the message is used as given. Never fails.
  Error(errc e, std::string message) : Error(make_error_code(e), std::move(message)) {}

  /// An OS error: `context` followed by `": "` and the OS's text for `os_error` (the text alone
  /// when `context` is empty), the code `os_error` in `std::system_category()`. `os_error` is
  /// an errno value on POSIX (text: `strerror`'s) and a `GetLastError()` value on Windows (text:
  /// `FormatMessageW`'s in UTF-8, without its final period; `Windows error N` when the system has
  /// none). Never fails; never blocks.
  static Error from_os(int os_error, std::string context);

  /// The code: `std::system_category()` for OS errors, `modhost_category()` for the library's own.
  const std::error_code& code() const noexcept { return code_; }

  /// The whole human-readable message, with its context.
  const std::string& message() const noexcept { return message_; }

  /// Returns a copy whose message is `context + ": " + message()`, the code unchanged; used to add
  /// the outer layer of context as an error travels up. Never fails.
  Error with_context(const std::string& context) const {
    return Error(code_, context + ": " + message_);
  }

 private:
  std::error_code code_;
  std::string message_;
};

}  // namespace modhost

namespace std {
/// Lets `modhost::errc` convert implicitly to `std::error_code`.
template <>
struct is_error_code_enum<modhost::errc> : true_type {};
}  // namespace std
