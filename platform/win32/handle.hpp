#pragma once
// UniqueHandle: the RAII owner of a Win32 HANDLE used throughout platform/win32.

#ifndef WIN32_LEAN_AND_MEAN
#define WIN32_LEAN_AND_MEAN
#endif
#include <windows.h>

#include <cstdint>
#include <string>

#include "error_text.hpp"
#include "modhost_platform.hpp"

namespace modhost::detail::win32 {

// Owns one HANDLE. Both NULL and INVALID_HANDLE_VALUE mean "none", because Win32 functions use
// one or the other for failure depending on the function.
class UniqueHandle {
 public:
  UniqueHandle() noexcept = default;
  explicit UniqueHandle(HANDLE h) noexcept : h_(h) {}
  ~UniqueHandle() { reset(); }
  UniqueHandle(UniqueHandle&& other) noexcept : h_(other.release()) {}
  UniqueHandle& operator=(UniqueHandle&& other) noexcept {
    if (this != &other) reset(other.release());
    return *this;
  }
  UniqueHandle(const UniqueHandle&) = delete;
  UniqueHandle& operator=(const UniqueHandle&) = delete;

  bool valid() const noexcept { return h_ != nullptr && h_ != INVALID_HANDLE_VALUE; }
  HANDLE get() const noexcept { return h_; }
  HANDLE release() noexcept {
    HANDLE h = h_;
    h_ = nullptr;
    return h;
  }
  void reset(HANDLE h = nullptr) noexcept {
    if (valid()) CloseHandle(h_);
    h_ = h;
  }

 private:
  HANDLE h_ = nullptr;
};

// The HANDLE a Pipe carries, and back.
inline HANDLE to_handle(Pipe::native_type native) noexcept {
  return reinterpret_cast<HANDLE>(native);
}
inline Pipe::native_type to_native(HANDLE h) noexcept {
  return reinterpret_cast<Pipe::native_type>(h);
}

// Writes all `size` bytes of `data` to the synchronous handle `h` (WriteFile may write less than
// asked on a pipe). Returns 0, or the Windows error of the write that failed; a write that reports
// success with nothing written gives ERROR_WRITE_FAULT rather than a loop that never ends. The one
// write loop of platform/win32/ for synchronous handles: the default sink's stderr and the tool's
// stdout (Pipe::write waits on overlapped ends and has its own).
DWORD write_fully(HANDLE h, const char* data, std::size_t size) noexcept;

// os_error() for the calling thread's GetLastError(), with `context` in front.
inline Error last_error(std::string context) { return os_error(GetLastError(), std::move(context)); }

}  // namespace modhost::detail::win32
