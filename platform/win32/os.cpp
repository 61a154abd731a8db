// Small OS services of src/modhost_platform.hpp for Win32, and the native half of modhost::Pipe.

#ifndef WIN32_LEAN_AND_MEAN
#define WIN32_LEAN_AND_MEAN
#endif
#include <windows.h>
// bcrypt.h needs the NTSTATUS type from windows.h, so it comes second.
#include <bcrypt.h>

#include <algorithm>
#include <climits>
#include <cstdint>

#include "handle.hpp"
#include "modhost_platform.hpp"
#include "utf16.hpp"

namespace modhost {

const Pipe::native_type Pipe::invalid = reinterpret_cast<Pipe::native_type>(INVALID_HANDLE_VALUE);

void Pipe::close() noexcept {
  detail::close_native(native_);
  native_ = invalid;
}

namespace detail {

Result<void> os_random(void* buf, std::size_t size) noexcept {
  auto* out = static_cast<unsigned char*>(buf);
  // BCryptGenRandom takes a ULONG count, so a larger request is served in pieces.
  while (size > 0) {
    const ULONG chunk = static_cast<ULONG>(std::min<std::size_t>(size, ULONG_MAX));
    const NTSTATUS status =
        BCryptGenRandom(nullptr, out, chunk, BCRYPT_USE_SYSTEM_PREFERRED_RNG);
    if (status < 0) {
      // An NTSTATUS is not a Win32 error code; RtlNtStatusToDosError would need ntdll, and the
      // caller only needs to know that the OS source failed.
      return Error(make_error_code(errc::internal),
                   "BCryptGenRandom failed with NTSTATUS " + std::to_string(status));
    }
    out += chunk;
    size -= chunk;
  }
  return ok_result();
}

namespace win32 {

DWORD write_fully(HANDLE h, const char* data, std::size_t size) noexcept {
  while (size > 0) {
    DWORD written = 0;
    const DWORD chunk = static_cast<DWORD>(std::min<std::size_t>(size, 1u << 30));
    if (!WriteFile(h, data, chunk, &written, nullptr)) return GetLastError();
    if (written == 0) return ERROR_WRITE_FAULT;
    data += written;
    size -= written;
  }
  return 0;
}

}  // namespace win32

void write_stderr(std::string_view text) noexcept {
  HANDLE h = GetStdHandle(STD_ERROR_HANDLE);
  if (h == nullptr || h == INVALID_HANDLE_VALUE) return;
  // Nothing sensible can be done about a broken stderr; the contract says ignore it.
  (void)win32::write_fully(h, text.data(), text.size());
}

void close_native(Pipe::native_type native) noexcept {
  // NULL is never a handle modhost hands out, but a zero-initialised value must not reach
  // CloseHandle either.
  if (native == Pipe::invalid || native == 0) return;
  CloseHandle(reinterpret_cast<HANDLE>(native));
}

void at_fork(void (*)(), void (*)(), void (*)()) noexcept {
  // Windows has no fork(): a new process never inherits another's memory, so there is nothing to
  // repair.
}

bool is_directory(const std::string& path) noexcept {
  // Through the UTF-16 path: the narrow (ANSI) file functions would read UTF-8 bytes in the
  // system's code page and miss every directory with a non-ASCII name.
  Result<std::wstring> wide = win32::to_wide(path, "path");
  if (!wide) return false;
  const DWORD attrs = GetFileAttributesW(wide->c_str());
  return attrs != INVALID_FILE_ATTRIBUTES && (attrs & FILE_ATTRIBUTE_DIRECTORY) != 0;
}

bool owns_child(ProcessId) noexcept {
  // Nothing to protect: a Windows process is not reaped by its parent, so no host call can take
  // a child's exit status from modhost.
  return false;
}

}  // namespace detail

// The public modhost::signal_name (child_process.hpp), here because the names are the OS's.
std::string_view signal_name(int) noexcept {
  // Windows has no signals; children end with exit codes only.
  return {};
}

}  // namespace modhost
