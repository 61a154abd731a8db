#pragma once
/// @file pipe.hpp
/// `Pipe`: an owned OS pipe end, without any OS header in sight.

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "modhost/result.hpp"

namespace modhost {

/// A move-only owner of one end of a pipe. The native value is an `int` file descriptor on POSIX
/// and a `HANDLE` on Windows, carried as `std::intptr_t` so no OS header is needed here. Pipes made
/// by modhost are close-on-exec (not inheritable) and, for the parent's ends, non-blocking on
/// POSIX (overlapped on Windows).
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
  Pipe(const Pipe&) = delete;
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

 private:
  native_type native_;
};

}  // namespace modhost
