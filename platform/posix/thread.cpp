// Thread (src/modhost_platform.hpp) on POSIX: pthread_create, so that a refusal is an errno value, and
// every signal blocked in the new thread.

#include <errno.h>
#include <pthread.h>
#include <signal.h>

#include <functional>
#include <memory>
#include <string>
#include <utility>

#include "modhost_platform.hpp"

namespace modhost::detail {

struct Thread::Native {
  pthread_t thread;
};

namespace {

extern "C" void* thread_trampoline(void* arg) {
  std::unique_ptr<std::function<void()>> body(static_cast<std::function<void()>*>(arg));
  (*body)();
  return nullptr;
}

}  // namespace

void Thread::NativeDeleter::operator()(Native* native) const noexcept { delete native; }

Result<Thread> Thread::start(std::function<void()> body, std::string_view what) {
  int err = 0;
  std::unique_ptr<Native, NativeDeleter> native(new Native);
  auto* payload = new std::function<void()>(std::move(body));
  if (take_injected_thread_failure()) {
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
