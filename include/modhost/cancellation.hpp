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
struct CancelState;        ///< Internal: the state the copies of a token share.
struct CancelStateAccess;  ///< Internal: the library's access to that state.
}  // namespace detail

/// An RAII registration returned by `CancellationToken::on_cancel`. Destroying (or `reset()`ing)
/// it deregisters the callback. If the callback is running on another thread at that moment, the
/// destructor waits for it to finish, so whatever the callback uses may be destroyed right after;
/// if the callback itself destroys its own registration, that does not deadlock. No member fails.
/// One registration object is used by one thread at a time (its token is thread-safe).
class CancellationRegistration {
 public:
  /// An empty registration (nothing registered).
  CancellationRegistration() noexcept = default;
  /// Deregisters, as `reset()` does: blocks while the callback runs on another thread.
  ~CancellationRegistration();
  /// Moves the registration; the moved-from object becomes empty. Never blocks.
  CancellationRegistration(CancellationRegistration&& other) noexcept;
  /// Deregisters what this held (blocking as `reset()` does), then takes over `other`'s
  /// registration.
  CancellationRegistration& operator=(CancellationRegistration&& other) noexcept;
  /// Not copyable: one registration, one owner.
  CancellationRegistration(const CancellationRegistration&) = delete;
  /// Not copyable.
  CancellationRegistration& operator=(const CancellationRegistration&) = delete;

  /// Deregisters now; afterwards the callback will not start. Idempotent. Blocks only while the
  /// callback is running on another thread (until it returns and its captures are destroyed);
  /// otherwise holds the token's mutex briefly. Never fails.
  void reset() noexcept;
  /// True while a callback is registered and has not started (false once `cancel()` took it to
  /// run it). Holds the token's mutex briefly; never fails.
  bool active() const noexcept;

 private:
  friend class CancellationToken;
  CancellationRegistration(std::shared_ptr<detail::CancelState> state, std::uint64_t id) noexcept
      : state_(std::move(state)), id_(id) {}
  std::shared_ptr<detail::CancelState> state_;
  std::uint64_t id_ = 0;
};

/// A copyable handle to shared cancellation state. All copies see the same state; every member
/// function is thread-safe. A default-constructed token is a fresh, uncancelled root token. No
/// member fails; only `cancel()` (while callbacks run), `wait_for()` and, briefly, `child()` block.
/// Callbacks run on the thread that calls `cancel()` (see `on_cancel`).
class CancellationToken {
 public:
  /// A new root token, not cancelled. Never fails.
  CancellationToken();
  /// Another handle to the same state. There is no move constructor on purpose: a token is never
  /// left empty, so every member function is valid on every token.
  CancellationToken(const CancellationToken&) noexcept = default;
  /// Makes this a handle to `other`'s state.
  CancellationToken& operator=(const CancellationToken&) noexcept = default;

  /// Cancels this token and, transitively, its children; runs every registered callback exactly
  /// once, on the calling thread, before returning (in registration order; a child token's
  /// callbacks run when the child's own registration on this token comes up); wakes every
  /// `wait_for`. Blocks for as long as the callbacks run. Idempotent: a call that finds the token
  /// already cancelled does nothing and returns at once, even while the first call's callbacks
  /// still run on its thread. Callbacks must not throw. Never fails.
  void cancel() const noexcept;

  /// True once `cancel()` was called on this token or on an ancestor (at once, before any callback
  /// ran). Lock-free (atomic loads up the chain of ancestors); never blocks, never fails.
  bool is_cancelled() const noexcept;

  /// A new token that is cancelled when this one is, and that can also be cancelled on its own
  /// (cancelling the child does not cancel the parent). A child of a cancelled token is born
  /// cancelled. Never fails. Blocks only briefly, when this token is being cancelled on another
  /// thread at that moment (it waits for that thread to have cancelled the new child).
  CancellationToken child() const;

  /// Registers `callback` to run once when the token is cancelled. If it already is, the callback
  /// runs at once, on this thread, before `on_cancel` returns (and the returned registration is
  /// empty). Otherwise the callback runs on the thread that calls `cancel()` on this token or on
  /// an ancestor; keep it short and non-blocking. An empty `callback` registers nothing (the
  /// registration is empty) and is never called. Never fails;
  /// blocks only for a callback it runs at once.
  [[nodiscard]] CancellationRegistration on_cancel(std::function<void()> callback) const;

  /// Blocks until the token is cancelled or `timeout` elapses; returns true if cancelled. Woken at
  /// once by `cancel()` (a condition variable, no polling). Uses the monotonic clock. Returns at
  /// once for a token already cancelled, or a `timeout` of zero or less; a `timeout` of 100 years
  /// or more waits for the cancel alone. Never fails.
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
