#pragma once
// Windows error codes as UTF-8 text, for the messages of errors that come from Win32 calls.

#include <string>

#include "modhost/error.hpp"

namespace modhost::detail::win32 {

// The system's text for `code` (FormatMessageW, converted to UTF-8, without the trailing period
// and line break), or "Windows error N" when the system has none (Wine lacks many). mingw's
// std::system_category().message() uses the ANSI code page instead, which is not UTF-8 on most
// non-English systems.
std::string error_text(unsigned long code);

// An Error for Win32 error `code`: `context: <text>`, the code in std::system_category(), as
// Error::from_os makes it, but with error_text().
Error os_error(unsigned long code, std::string context);

}  // namespace modhost::detail::win32
