// CancellationToken: shared state, callbacks, child tokens and waits.

#include "modhost/cancellation.hpp"

#include "modhost_cancellation.hpp"

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <mutex>
#include <thread>
#include <utility>

namespace modhost {
namespace detail {

struct CancelState {
  // Written once, under mu_, by the first cancel(); read without the lock by is_cancelled().
  std::atomic<bool> cancelled{false};

  std::mutex mu;
  // Notified when the token is cancelled and whenever a callback finishes, so that both wait_for()
  // and a deregistration waiting for a running callback wake up.
  std::condition_variable cv;
  std::uint64_t next_id = 1;
  // Callbacks not yet run, in registration order (ids increase).
  std::map<std::uint64_t, std::function<void()>> callbacks;
  // The callback being run by cancel() right now (0: none), and the thread running it.
  std::uint64_t running_id = 0;
  std::thread::id running_thread;

  // The parent, for is_cancelled() during the short window in which the parent is cancelled but
  // has not reached this child's callback yet. Children hold their parent; a parent only holds a
  // weak reference to each child (inside the callback registered on it), so there is no cycle.
  std::shared_ptr<CancelState> parent;
  // This child's callback on the parent; destroying the state deregisters it, so a long-lived
  // parent does not accumulate entries for children that are gone.
  CancellationRegistration parent_registration;

  bool cancelled_here_or_above() const noexcept {
    for (const CancelState* s = this; s != nullptr; s = s->parent.get()) {
      if (s->cancelled.load(std::memory_order_acquire)) return true;
    }
    return false;
  }

  void cancel() noexcept {
    std::unique_lock<std::mutex> lock(mu);
    if (cancelled.load(std::memory_order_relaxed)) return;
    cancelled.store(true, std::memory_order_release);
    cv.notify_all();
    // Callbacks run without the lock, so that they may register, deregister or cancel other
    // tokens. Each one is taken out of the map before it runs, which is what makes it run once.
    while (!callbacks.empty()) {
      auto it = callbacks.begin();
      running_id = it->first;
      running_thread = std::this_thread::get_id();
      std::function<void()> fn = std::move(it->second);
      callbacks.erase(it);
      lock.unlock();
      fn();
      // The callback's captures are destroyed before a waiting deregistration is released, since
      // they may refer to what that deregistration's owner is about to destroy.
      fn = nullptr;
      lock.lock();
      running_id = 0;
      cv.notify_all();
    }
    // A cancelled child no longer needs to hear from its parent. The registration is taken out
    // under the lock because child() may be storing it concurrently, and reset outside it because
    // deregistering may wait for the parent's callback, which may be cancelling this very state.
    CancellationRegistration from_parent = std::move(parent_registration);
    lock.unlock();
    from_parent.reset();
  }

  // Returns 0 when the token is already cancelled (the caller then runs the callback itself).
  std::uint64_t add(std::function<void()>& fn) {
    std::lock_guard<std::mutex> lock(mu);
    if (cancelled.load(std::memory_order_relaxed)) return 0;
    std::uint64_t id = next_id++;
    callbacks.emplace(id, std::move(fn));
    return id;
  }

  void remove(std::uint64_t id) noexcept {
    std::function<void()> dropped;
    {
      std::unique_lock<std::mutex> lock(mu);
      auto it = callbacks.find(id);
      if (it != callbacks.end()) {
        dropped = std::move(it->second);
        callbacks.erase(it);
      } else if (running_id == id && running_thread != std::this_thread::get_id()) {
        // The callback is running on another thread: wait, so that the caller may destroy what
        // it uses as soon as we return. When the callback itself deregisters (same thread), there
        // is nothing to wait for and waiting would deadlock.
        cv.wait(lock, [&] { return running_id != id; });
      }
    }
    // `dropped` is destroyed here, outside the lock, because its captures may own tokens whose
    // destruction takes this same lock (a child registration on this state).
  }

  bool is_registered(std::uint64_t id) noexcept {
    std::lock_guard<std::mutex> lock(mu);
    return callbacks.count(id) != 0;
  }
};

struct CancelStateAccess {
  static CancelState& state(const CancellationToken& token) noexcept { return *token.state_; }
};

std::size_t pending_callbacks(const CancellationToken& token) noexcept {
  CancelState& s = CancelStateAccess::state(token);
  std::lock_guard<std::mutex> lock(s.mu);
  return s.callbacks.size();
}

}  // namespace detail

// ---- CancellationRegistration -------------------------------------------------------------------

CancellationRegistration::~CancellationRegistration() { reset(); }

CancellationRegistration::CancellationRegistration(CancellationRegistration&& other) noexcept
    : state_(std::move(other.state_)), id_(std::exchange(other.id_, 0)) {}

CancellationRegistration& CancellationRegistration::operator=(
    CancellationRegistration&& other) noexcept {
  if (this != &other) {
    reset();
    state_ = std::move(other.state_);
    id_ = std::exchange(other.id_, 0);
  }
  return *this;
}

void CancellationRegistration::reset() noexcept {
  if (state_) {
    state_->remove(id_);
    state_.reset();
    id_ = 0;
  }
}

bool CancellationRegistration::active() const noexcept {
  return state_ && state_->is_registered(id_);
}

// ---- CancellationToken --------------------------------------------------------------------------

CancellationToken::CancellationToken() : state_(std::make_shared<detail::CancelState>()) {}

void CancellationToken::cancel() const noexcept { state_->cancel(); }

bool CancellationToken::is_cancelled() const noexcept {
  return state_->cancelled_here_or_above();
}

CancellationToken CancellationToken::child() const {
  auto child_state = std::make_shared<detail::CancelState>();
  child_state->parent = state_;
  if (state_->cancelled_here_or_above()) {
    child_state->cancelled.store(true, std::memory_order_release);
    return CancellationToken(std::move(child_state));
  }
  // The parent holds only a weak reference: a child nobody uses any more is not kept alive by
  // its parent, and its destructor removes this callback from the parent.
  std::weak_ptr<detail::CancelState> weak = child_state;
  CancellationRegistration reg = CancellationToken(state_).on_cancel([weak] {
    if (auto s = weak.lock()) s->cancel();
  });
  // The parent may have been cancelled in the meantime (on this thread, inside on_cancel, or on
  // another one); the child is then cancelled too, and its registration is dropped outside the
  // lock, since dropping it may wait for the parent's callback.
  {
    std::lock_guard<std::mutex> lock(child_state->mu);
    if (!child_state->cancelled.load(std::memory_order_relaxed)) {
      child_state->parent_registration = std::move(reg);
    }
  }
  reg.reset();
  return CancellationToken(std::move(child_state));
}

CancellationRegistration CancellationToken::on_cancel(std::function<void()> callback) const {
  // An empty callback is never stored: cancel() is noexcept, and calling an empty std::function
  // there would throw bad_function_call and end the host.
  if (!callback) return CancellationRegistration();
  std::uint64_t id = state_->add(callback);
  if (id == 0) {
    callback();
    return CancellationRegistration();
  }
  return CancellationRegistration(state_, id);
}

bool CancellationToken::wait_for(std::chrono::nanoseconds timeout) const {
  detail::CancelState& s = *state_;
  if (s.cancelled_here_or_above()) return true;
  if (timeout <= std::chrono::nanoseconds::zero()) return false;
  std::unique_lock<std::mutex> lock(s.mu);
  auto pred = [&] { return s.cancelled_here_or_above(); };
  // A deadline past ~100 years would overflow steady_clock's time_point; treat it as "forever".
  constexpr auto kForever = std::chrono::hours(24 * 365 * 100);
  if (timeout >= kForever) {
    s.cv.wait(lock, pred);
    return true;
  }
  // wait_until on steady_clock: the deadline does not move when the wall clock is set.
  auto deadline = std::chrono::steady_clock::now() + timeout;
  return s.cv.wait_until(lock, deadline, pred);
}

}  // namespace modhost
