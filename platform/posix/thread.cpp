// Thread (src/platform.hpp) on POSIX: pthread_create, so that a refusal is an errno value, and
// every signal blocked in the new thread.

#include <errno.h>
#include <pthread.h>
#include <signal.h>

#include <atomic>
#include <functional>
#include <memory>
#include <new>
#include <string>
#include <utility>

#include "platform.hpp"

namespace modhost::detail {

struct Thread::Native {
  pthread_t thread;
};

namespace {

std::atomic<int> g_failures_to_inject{0};

// Consumes one injected failure, if any are left.
bool inject_failure() noexcept {
  int left = g_failures_to_inject.load(std::memory_order_relaxed);
  while (left > 0) {
    if (g_failures_to_inject.compare_exchange_weak(left, left - 1, std::memory_order_relaxed)) {
      return true;
    }
  }
  return false;
}

extern "C" void* thread_trampoline(void* arg) {
  std::unique_ptr<std::function<void()>> body(static_cast<std::function<void()>*>(arg));
  (*body)();
  return nullptr;
}

}  // namespace

void fail_thread_starts_for_testing(int count) noexcept {
  g_failures_to_inject.store(count < 0 ? 0 : count, std::memory_order_relaxed);
}

void Thread::NativeDeleter::operator()(Native* native) const noexcept { delete native; }

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

Result<Thread> Thread::start(std::function<void()> body, std::string_view what) {
  int err = 0;
  std::unique_ptr<Native, NativeDeleter> native(new Native);
  auto* payload = new std::function<void()>(std::move(body));
  if (inject_failure()) {
    err = EAGAIN;
  } else {
    // The new thread inherits the creator's mask: block everything around the creation, so it
    // starts with every signal blocked, then give the creator its own mask back.
    sigset_t all, old;
    sigfillset(&all);
    ::pthread_sigmask(SIG_SETMASK, &all, &old);
    err = ::pthread_create(&native->thread, nullptr, thread_trampoline, payload);
    ::pthread_sigmask(SIG_SETMASK, &old, nullptr);
  }
  if (err != 0) {
    delete payload;
    return Error::from_os(err, "cannot start " + std::string(what));
  }
  Thread thread;
  thread.native_ = std::move(native);
  return thread;
}

bool Thread::joinable() const noexcept { return native_ != nullptr; }

void Thread::join() noexcept {
  if (!native_) return;
  ::pthread_join(native_->thread, nullptr);
  native_.reset();
}

void Thread::detach() noexcept {
  if (!native_) return;
  ::pthread_detach(native_->thread);
  native_.reset();
}

}  // namespace modhost::detail
