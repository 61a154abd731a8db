// Thread (src/modhost_platform.hpp) on Win32: _beginthreadex, so that a refusal is a Windows error code
// rather than the exception std::thread would throw. _beginthreadex rather than CreateThread
// because the thread runs C++ code that uses the C runtime, whose per-thread state the runtime
// then sets up and frees itself.

#ifndef WIN32_LEAN_AND_MEAN
#define WIN32_LEAN_AND_MEAN
#endif
#include <windows.h>
// After windows.h: _beginthreadex's declaration does not need it, but the handle it returns is one.
#include <process.h>

#include <cstdint>
#include <cstdlib>
#include <functional>
#include <memory>
#include <string>
#include <utility>

#include "error_text.hpp"
#include "modhost_platform.hpp"

namespace modhost::detail {

struct Thread::Native {
  HANDLE handle;
};

namespace {

unsigned __stdcall thread_trampoline(void* arg) {
  std::unique_ptr<std::function<void()>> body(static_cast<std::function<void()>*>(arg));
  (*body)();
  return 0;
}

}  // namespace

void Thread::NativeDeleter::operator()(Native* native) const noexcept { delete native; }

Result<Thread> Thread::start(std::function<void()> body, std::string_view what) {
  auto* payload = new std::function<void()>(std::move(body));
  std::uintptr_t handle = 0;
  unsigned long err = 0;
  if (take_injected_thread_failure()) {
    err = ERROR_NOT_ENOUGH_MEMORY;
  } else {
    _doserrno = 0;
    handle = _beginthreadex(nullptr, 0, thread_trampoline, payload, 0, nullptr);
    if (handle == 0) {
      // The runtime keeps the Windows code of a failed CreateThread in _doserrno; an argument it
      // refused itself sets only errno, and then the thread could not be had for want of memory
      // as far as the caller is concerned.
      err = _doserrno != 0 ? _doserrno : ERROR_NOT_ENOUGH_MEMORY;
    }
  }
  if (handle == 0) {
    delete payload;
    return win32::os_error(err, "cannot start " + std::string(what));
  }
  Thread thread;
  thread.native_.reset(new Native{reinterpret_cast<HANDLE>(handle)});
  return thread;
}

void Thread::join() noexcept {
  if (!native_) return;
  WaitForSingleObject(native_->handle, INFINITE);
  CloseHandle(native_->handle);
  native_.reset();
}

void Thread::detach() noexcept {
  if (!native_) return;
  // The thread runs on; closing our handle only lets its object go once it ends.
  CloseHandle(native_->handle);
  native_.reset();
}

}  // namespace modhost::detail
