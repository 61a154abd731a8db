#pragma once
// UTF-8 (the API's encoding) to UTF-16 (the OS's) and back. No OS header: the conversion is done
// here by hand, so errors can say exactly which byte is wrong, and so it can be unit-tested.

#include <string>
#include <string_view>

#include "modhost/result.hpp"

namespace modhost::detail::win32 {

// Converts UTF-8 to UTF-16. Fails with errc::invalid_argument, naming `what` ("argument 2",
// "working directory"...) and the offset of the first bad byte, on invalid UTF-8 (overlong forms,
// surrogates, code points past U+10FFFF, truncated sequences) and on NUL, which no Win32 string
// can carry.
Result<std::wstring> to_wide(std::string_view utf8, std::string_view what);

// Converts UTF-16 to UTF-8. Windows strings may hold unpaired surrogates; each becomes U+FFFD, so
// this never fails.
std::string to_utf8(std::wstring_view wide);

}  // namespace modhost::detail::win32
