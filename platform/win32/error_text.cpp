// Windows error texts (see error_text.hpp).

#include "error_text.hpp"

#ifndef WIN32_LEAN_AND_MEAN
#define WIN32_LEAN_AND_MEAN
#endif
#include <windows.h>

#include "modhost_platform.hpp"
#include "utf16.hpp"

namespace modhost::detail::win32 {

std::string error_text(unsigned long code) {
  wchar_t* buf = nullptr;
  const DWORD len = FormatMessageW(
      FORMAT_MESSAGE_ALLOCATE_BUFFER | FORMAT_MESSAGE_FROM_SYSTEM | FORMAT_MESSAGE_IGNORE_INSERTS,
      nullptr, code, 0, reinterpret_cast<LPWSTR>(&buf), 0, nullptr);
  std::string text;
  if (len > 0 && buf != nullptr) text = to_utf8(std::wstring_view(buf, len));
  if (buf != nullptr) LocalFree(buf);
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r' || text.back() == ' ' ||
                           text.back() == '.')) {
    text.pop_back();
  }
  if (text.empty()) text = "Windows error " + std::to_string(code);
  return text;
}

Error os_error(unsigned long code, std::string context) {
  return Error::from_os(static_cast<int>(code), std::move(context));
}

}  // namespace modhost::detail::win32

namespace modhost::detail {

std::string os_error_text(int code) { return win32::error_text(static_cast<unsigned long>(code)); }

}  // namespace modhost::detail
