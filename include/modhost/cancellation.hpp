#pragma once
/// @file cancellation.hpp
/// `CancellationToken`: a cheap, copyable handle to shared cancellation state, the way every wait
/// in modhost is cut short.

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>

namespace modhost {

namespace detail {
struct CancelState;
struct CancelStateAccess;
}  // namespace detail

/// An RAII registration returned by `CancellationToken::on_cancel`. Destroying (or `reset()`ing)
/// it deregisters the callback. If the callback is running on another thread at that moment, the
/// destructor waits for it to finish, so whatever the callback uses may be destroyed right after;
/// if the callback itself destroys its own registration, that does not deadlock.
class CancellationRegistration {
 public:
  /// An empty registration (nothing registered).
  CancellationRegistration() noexcept = default;
  /// Deregisters (see the class comment).
  ~CancellationRegistration();
  /// Moves the registration; the moved-from object becomes empty.
  CancellationRegistration(CancellationRegistration&& other) noexcept;
  /// Deregisters what this held, then takes over `other`'s registration.
  CancellationRegistration& operator=(CancellationRegistration&& other) noexcept;
  CancellationRegistration(const CancellationRegistration&) = delete;
  CancellationRegistration& operator=(const CancellationRegistration&) = delete;

  /// Deregisters now; afterwards the callback will not start. Idempotent.
  void reset() noexcept;
  /// True while a callback is registered and has not run.
  bool active() const noexcept;

 private:
  friend class CancellationToken;
  CancellationRegistration(std::shared_ptr<detail::CancelState> state, std::uint64_t id) noexcept
      : state_(std::move(state)), id_(id) {}
  std::shared_ptr<detail::CancelState> state_;
  std::uint64_t id_ = 0;
};

/// A copyable handle to shared cancellation state. All copies see the same state; every member
/// function is thread-safe. A default-constructed token is a fresh, uncancelled root token.
class CancellationToken {
 public:
  /// A new root token, not cancelled.
  CancellationToken();
  /// Another handle to the same state. There is no move constructor on purpose: a token is never
  /// left empty, so every member function is valid on every token.
  CancellationToken(const CancellationToken&) noexcept = default;
  /// Makes this a handle to `other`'s state.
  CancellationToken& operator=(const CancellationToken&) noexcept = default;

  /// Cancels this token and, transitively, its children; runs every registered callback exactly
  /// once, on the calling thread, before returning; wakes every `wait_for`. Idempotent: a second
  /// call does nothing. Callbacks must not throw.
  void cancel() const noexcept;

  /// True once `cancel()` was called on this token or on an ancestor.
  bool is_cancelled() const noexcept;

  /// A new token that is cancelled when this one is, and that can also be cancelled on its own
  /// (cancelling the child does not cancel the parent). A child of a cancelled token is born
  /// cancelled.
  CancellationToken child() const;

  /// Registers `callback` to run once when the token is cancelled. If it already is, the callback
  /// runs at once, on this thread, before `on_cancel` returns (and the returned registration is
  /// empty). The callback runs on the thread that calls `cancel()`; keep it short and non-blocking.
  [[nodiscard]] CancellationRegistration on_cancel(std::function<void()> callback) const;

  /// Blocks until the token is cancelled or `timeout` elapses; returns true if cancelled. Woken at
  /// once by `cancel()` (a condition variable, no polling). Uses the monotonic clock.
  bool wait_for(std::chrono::nanoseconds timeout) const;

  /// True when both handles refer to the same state.
  friend bool operator==(const CancellationToken& a, const CancellationToken& b) noexcept {
    return a.state_ == b.state_;
  }
  /// True when the handles refer to different states.
  friend bool operator!=(const CancellationToken& a, const CancellationToken& b) noexcept {
    return !(a == b);
  }

 private:
  friend struct detail::CancelStateAccess;
  explicit CancellationToken(std::shared_ptr<detail::CancelState> state) noexcept
      : state_(std::move(state)) {}
  std::shared_ptr<detail::CancelState> state_;
};

}  // namespace modhost
