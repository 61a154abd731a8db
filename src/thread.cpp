// The portable half of detail::Thread (src/modhost_platform.hpp): ownership, moves, and the test hook that
// makes thread starts fail. The platform folders start, join and detach the native thread.

#include <atomic>
#include <utility>

#include "modhost_platform.hpp"

namespace modhost::detail {

namespace {

std::atomic<int> g_failures_to_inject{0};

}  // namespace

void fail_thread_starts_for_testing(int count) noexcept {
  g_failures_to_inject.store(count < 0 ? 0 : count, std::memory_order_relaxed);
}

bool take_injected_thread_failure() noexcept {
  int left = g_failures_to_inject.load(std::memory_order_relaxed);
  while (left > 0) {
    if (g_failures_to_inject.compare_exchange_weak(left, left - 1, std::memory_order_relaxed)) {
      return true;
    }
  }
  return false;
}

Thread::Thread() noexcept = default;

Thread::~Thread() {
  if (joinable()) join();
}

Thread::Thread(Thread&& other) noexcept : native_(std::move(other.native_)) {}

Thread& Thread::operator=(Thread&& other) noexcept {
  if (this != &other) {
    if (joinable()) join();
    native_ = std::move(other.native_);
  }
  return *this;
}

bool Thread::joinable() const noexcept { return native_ != nullptr; }

}  // namespace modhost::detail
