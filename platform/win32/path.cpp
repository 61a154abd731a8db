// Path services for the tool's configuration on Win32: GetFullPathNameW gives the absolute,
// normalised path (it resolves "." and ".." and the per-drive current directories the way the OS
// does), and attribute checks go through UTF-16 so non-ASCII names are read correctly.

#ifndef WIN32_LEAN_AND_MEAN
#define WIN32_LEAN_AND_MEAN
#endif
#include <windows.h>

#include <string>

#include "modhost_platform.hpp"
#include "utf16.hpp"

namespace modhost::detail {

Result<std::string> absolute_path(const std::string& path) {
  Result<std::wstring> wide = win32::to_wide(path.empty() ? std::string(".") : path, "path");
  if (!wide) return wide.error();
  // The first call reports the size needed (with the terminator); the directory can change between
  // the calls, so a second result larger than the buffer is retried.
  std::wstring buf(MAX_PATH, L'\0');
  for (int attempt = 0; attempt < 4; ++attempt) {
    const DWORD n = GetFullPathNameW(wide->c_str(), static_cast<DWORD>(buf.size()), &buf[0], nullptr);
    if (n == 0) {
      return Error::from_os(static_cast<int>(GetLastError()), "cannot make " + path + " absolute");
    }
    if (n < buf.size()) {
      buf.resize(n);
      // "dir\" keeps its separator; drop it, as POSIX does, except after a drive ("C:\"),
      // where it is what makes the path the drive's root.
      while (buf.size() > 1 && (buf.back() == L'\\' || buf.back() == L'/') &&
             buf[buf.size() - 2] != L':') {
        buf.pop_back();
      }
      return win32::to_utf8(buf);
    }
    buf.assign(n, L'\0');
  }
  return Error(make_error_code(errc::internal), "cannot make " + path + " absolute: it keeps growing");
}

bool is_regular_file(const std::string& path) noexcept {
  Result<std::wstring> wide = win32::to_wide(path, "path");
  if (!wide) return false;
  const DWORD attrs = GetFileAttributesW(wide->c_str());
  return attrs != INVALID_FILE_ATTRIBUTES &&
         (attrs & (FILE_ATTRIBUTE_DIRECTORY | FILE_ATTRIBUTE_DEVICE)) == 0;
}

}  // namespace modhost::detail
