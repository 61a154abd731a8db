#pragma once
/// @file result.hpp
/// `Result<T>`: a value or an `Error`. No accessor throws; calling `value()` on an error (or
/// `error()` on a value) is a precondition violation that is caught by an assertion in debug
/// builds, like dereferencing an empty `std::optional`.

#include <cassert>
#include <optional>
#include <type_traits>
#include <utility>
#include <variant>

#include "modhost/error.hpp"

namespace modhost {

/// A value of type `T` or an `Error`. Works with `-fno-exceptions`. A plain value: no member
/// blocks or calls the OS, and none fails (the accessors' preconditions aside; moving or copying
/// `T` does what `T`'s own operations do). Like `std::optional`, one object may be read from
/// several threads at once, but changed by one thread at a time.
template <class T>
class [[nodiscard]] Result {
 public:
  /// A successful result holding `value`. Never fails.
  Result(T value) : v_(std::in_place_index<0>, std::move(value)) {}  // NOLINT(implicit)
  /// A failed result holding `error`. Never fails.
  Result(Error error) : v_(std::in_place_index<1>, std::move(error)) {}  // NOLINT(implicit)

  /// True when a value is held.
  bool ok() const noexcept { return v_.index() == 0; }
  /// True when a value is held.
  explicit operator bool() const noexcept { return ok(); }

  /// The value. Precondition: `ok()`.
  T& value() & noexcept { assert(ok()); return *std::get_if<0>(&v_); }
  /// The value. Precondition: `ok()`.
  const T& value() const& noexcept { assert(ok()); return *std::get_if<0>(&v_); }
  /// The value, moved out. Precondition: `ok()`.
  T&& value() && noexcept { assert(ok()); return std::move(*std::get_if<0>(&v_)); }
  /// The value. Precondition: `ok()`.
  T& operator*() & noexcept { return value(); }
  /// The value. Precondition: `ok()`.
  const T& operator*() const& noexcept { return value(); }
  /// The value, moved out. Precondition: `ok()`.
  T&& operator*() && noexcept { return std::move(*this).value(); }
  /// Member access to the value. Precondition: `ok()`.
  T* operator->() noexcept { return &value(); }
  /// Member access to the value. Precondition: `ok()`.
  const T* operator->() const noexcept { return &value(); }

  /// The value (a copy), or `fallback` when this holds an error. Never fails.
  T value_or(T fallback) const& { return ok() ? value() : std::move(fallback); }

  /// The error. Precondition: `!ok()`.
  const Error& error() const noexcept { assert(!ok()); return *std::get_if<1>(&v_); }

 private:
  std::variant<T, Error> v_;
};

/// Success without a value, or an `Error`. Like `Result<T>`: no member blocks or fails.
template <>
class [[nodiscard]] Result<void> {
 public:
  /// A successful result.
  Result() noexcept = default;
  /// A failed result holding `error`. Never fails.
  Result(Error error) : e_(std::move(error)) {}  // NOLINT(implicit)

  /// True on success.
  bool ok() const noexcept { return !e_.has_value(); }
  /// True on success.
  explicit operator bool() const noexcept { return ok(); }
  /// The error. Precondition: `!ok()`.
  const Error& error() const noexcept { assert(!ok()); return *e_; }

 private:
  std::optional<Error> e_;
};

/// The successful `Result<void>`, for symmetry in `return ok_result();`. Never fails.
inline Result<void> ok_result() noexcept { return Result<void>(); }

}  // namespace modhost
