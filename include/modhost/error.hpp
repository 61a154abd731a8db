#pragma once
/// @file error.hpp
/// The one error convention of modhost: an `Error` (a `std::error_code` plus a message with
/// context) carried in a `Result<T>`. Nothing in the library throws.

#include <string>
#include <system_error>

namespace modhost {

/// The library's own error conditions. OS errors are never translated into these: they are passed
/// through unchanged in `std::system_category()` (errno on POSIX, `GetLastError()` on Windows).
/// The values are fixed (a host may store or compare them); 6 belonged to a condition nothing
/// produced and is not reused.
enum class errc {
  invalid_argument = 1,  ///< The caller passed something unusable (empty program, NUL in an arg...).
  not_running = 2,       ///< The operation needs a live child and there is none (inert or reaped).
  timed_out = 3,         ///< A helper the library waits on did not finish in time (Windows:
                         ///< the CTRL_BREAK helper). Waits that end by timeout are not errors.
  cancelled = 4,         ///< A wait was cut short by a `CancellationToken`.
  unsupported = 5,       ///< The request cannot be honoured on this platform or backend kind.
  parse_error = 7,       ///< Text (a UUID, a Procfile...) could not be parsed.
  host_contract = 8,     ///< The host broke a documented contract (e.g. set SIGCHLD to SIG_IGN).
  internal = 9,          ///< An invariant of the library itself was broken (a bug: please report).
};

/// The `std::error_category` of `modhost::errc`; its name is "modhost".
const std::error_category& modhost_category() noexcept;

/// Makes a `std::error_code` of the modhost category (found by ADL for `std::error_code ec = errc::x`).
std::error_code make_error_code(errc e) noexcept;

/// A failure: what failed, on what, and why. `code()` is machine-readable; `message()` is the
/// whole human sentence, e.g. `failed to spawn process: /no/such/prog: No such file or directory`.
class Error {
 public:
  /// An error with a code and a complete message (used as given).
  Error(std::error_code code, std::string message) : code_(code), message_(std::move(message)) {}

  /// An error of the library's own category; the message is used as given.
  Error(errc e, std::string message) : Error(make_error_code(e), std::move(message)) {}

  /// An OS error: `context` followed by `": "` and the OS's text for `os_error`
  /// (errno on POSIX, `GetLastError()` on Windows), the code in `std::system_category()`.
  static Error from_os(int os_error, std::string context);

  /// The code: `std::system_category()` for OS errors, `modhost_category()` for the library's own.
  const std::error_code& code() const noexcept { return code_; }

  /// The whole human-readable message, with its context.
  const std::string& message() const noexcept { return message_; }

  /// Returns a copy whose message is `context + ": " + message()`, the code unchanged; used to add
  /// the outer layer of context as an error travels up.
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
