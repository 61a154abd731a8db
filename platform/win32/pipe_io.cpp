// Pipe::read and Pipe::write on Win32: blocking on any pipe handle. modhost's stdout/stderr read
// ends are overlapped (the pipe reader's completion port needs that), where ReadFile without an
// OVERLAPPED is not allowed, while its stdin write end is synchronous. Every call therefore passes
// an OVERLAPPED with an event of its own and waits on that event when the operation is pending;
// on a synchronous handle the call simply completes before it returns, which the OVERLAPPED does
// not change.

#include <cstdint>

#include "handle.hpp"

namespace modhost {

namespace {

using detail::win32::UniqueHandle;

Error invalid_pipe(const char* what) {
  return Error(errc::invalid_argument, std::string("cannot ") + what + " an invalid pipe");
}

// One ReadFile or WriteFile to its end, waited for. Returns the bytes moved, or false with the
// Windows error in `err`.
template <class Op>
bool transfer(HANDLE h, Op op, DWORD& moved, DWORD& err) {
  UniqueHandle event(CreateEventW(nullptr, TRUE, FALSE, nullptr));
  if (!event.valid()) {
    err = GetLastError();
    return false;
  }
  OVERLAPPED ov{};
  // The low bit set keeps the completion from being queued to a completion port the handle may be
  // associated with (documented for GetQueuedCompletionStatus); the event is still set.
  ov.hEvent = reinterpret_cast<HANDLE>(reinterpret_cast<std::uintptr_t>(event.get()) | 1);
  moved = 0;
  if (op(h, &moved, &ov)) return true;
  err = GetLastError();
  if (err != ERROR_IO_PENDING) return false;
  if (WaitForSingleObject(event.get(), INFINITE) != WAIT_OBJECT_0) {
    err = GetLastError();
    CancelIoEx(h, &ov);
    GetOverlappedResult(h, &ov, &moved, TRUE);
    return false;
  }
  if (GetOverlappedResult(h, &ov, &moved, FALSE)) return true;
  err = GetLastError();
  return false;
}

}  // namespace

Result<std::size_t> Pipe::read(void* buffer, std::size_t size) {
  if (!valid()) return invalid_pipe("read from");
  if (size == 0) return std::size_t{0};
  HANDLE h = detail::win32::to_handle(native_);
  const DWORD chunk = static_cast<DWORD>(size < (1u << 30) ? size : (1u << 30));
  for (;;) {
    DWORD got = 0, err = 0;
    const bool done = transfer(
        h, [&](HANDLE handle, DWORD* n, OVERLAPPED* ov) { return ReadFile(handle, buffer, chunk, n, ov); },
        got, err);
    if (done) {
      // A writer's zero-length WriteFile completes a read with no bytes; that is not the end
      // (which is ERROR_BROKEN_PIPE), so read again.
      if (got == 0) continue;
      return static_cast<std::size_t>(got);
    }
    if (err == ERROR_BROKEN_PIPE || err == ERROR_HANDLE_EOF) return std::size_t{0};
    return detail::win32::os_error(err, "cannot read from the pipe");
  }
}

Result<void> Pipe::write(std::string_view data) {
  if (!valid()) return invalid_pipe("write to");
  HANDLE h = detail::win32::to_handle(native_);
  while (!data.empty()) {
    const DWORD chunk = static_cast<DWORD>(data.size() < (1u << 30) ? data.size() : (1u << 30));
    DWORD written = 0, err = 0;
    const bool done = transfer(
        h,
        [&](HANDLE handle, DWORD* n, OVERLAPPED* ov) {
          return WriteFile(handle, data.data(), chunk, n, ov);
        },
        written, err);
    if (!done) return detail::win32::os_error(err, "cannot write to the pipe");
    if (written == 0) {
      // Only a pipe in PIPE_NOWAIT mode completes a write with nothing written (it is full);
      // retrying would spin, so it is refused (modhost's pipes are never in that mode).
      return Error(errc::unsupported,
                   "cannot write to the pipe: it accepted no bytes (a non-blocking PIPE_NOWAIT "
                   "pipe that is full)");
    }
    data.remove_prefix(written);
  }
  return ok_result();
}

}  // namespace modhost
