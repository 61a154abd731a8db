// UTF-8 <-> UTF-16 conversion for the Win32 platform (see utf16.hpp).

#include "utf16.hpp"

#include <cstdint>
#include <cstdio>

namespace modhost::detail::win32 {
namespace {

Error bad_utf8(std::string_view what, std::string_view utf8, std::size_t at) {
  char byte[8];
  std::snprintf(byte, sizeof byte, "0x%02x",
                static_cast<unsigned>(static_cast<unsigned char>(utf8[at])));
  return Error(errc::invalid_argument, std::string(what) + " is not valid UTF-8 (byte " + byte +
                                           " at offset " + std::to_string(at) + ")");
}

}  // namespace

Result<std::wstring> to_wide(std::string_view utf8, std::string_view what) {
  static_assert(sizeof(wchar_t) == 2, "Win32 wide strings are UTF-16");
  std::wstring out;
  out.reserve(utf8.size());
  std::size_t i = 0;
  const std::size_t n = utf8.size();
  while (i < n) {
    const auto b0 = static_cast<unsigned char>(utf8[i]);
    if (b0 == 0) {
      return Error(errc::invalid_argument, std::string(what) + " contains a NUL byte (at offset " +
                                               std::to_string(i) + ")");
    }
    if (b0 < 0x80) {
      out.push_back(static_cast<wchar_t>(b0));
      ++i;
      continue;
    }
    // The lead byte gives the length and the smallest code point that length may encode (so
    // overlong forms are refused, as RFC 3629 requires).
    std::size_t len;
    std::uint32_t cp;
    std::uint32_t min;
    if (b0 >= 0xC2 && b0 <= 0xDF) {
      len = 2, cp = b0 & 0x1Fu, min = 0x80;
    } else if (b0 >= 0xE0 && b0 <= 0xEF) {
      len = 3, cp = b0 & 0x0Fu, min = 0x800;
    } else if (b0 >= 0xF0 && b0 <= 0xF4) {
      len = 4, cp = b0 & 0x07u, min = 0x10000;
    } else {
      return bad_utf8(what, utf8, i);
    }
    for (std::size_t k = 1; k < len; ++k) {
      // A sequence cut short by the end of the text: the lead byte is the one to blame.
      if (i + k >= n) return bad_utf8(what, utf8, i);
      const auto b = static_cast<unsigned char>(utf8[i + k]);
      if ((b & 0xC0u) != 0x80u) return bad_utf8(what, utf8, i + k);
      cp = (cp << 6) | (b & 0x3Fu);
    }
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
      return bad_utf8(what, utf8, i);
    }
    if (cp >= 0x10000) {
      cp -= 0x10000;
      out.push_back(static_cast<wchar_t>(0xD800 + (cp >> 10)));
      out.push_back(static_cast<wchar_t>(0xDC00 + (cp & 0x3FFu)));
    } else {
      out.push_back(static_cast<wchar_t>(cp));
    }
    i += len;
  }
  return out;
}

std::string to_utf8(std::wstring_view wide) {
  std::string out;
  out.reserve(wide.size());
  for (std::size_t i = 0; i < wide.size(); ++i) {
    std::uint32_t cp = static_cast<std::uint16_t>(wide[i]);
    if (cp >= 0xD800 && cp <= 0xDBFF && i + 1 < wide.size()) {
      const std::uint32_t lo = static_cast<std::uint16_t>(wide[i + 1]);
      if (lo >= 0xDC00 && lo <= 0xDFFF) {
        cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
        ++i;
      }
    }
    if (cp >= 0xD800 && cp <= 0xDFFF) cp = 0xFFFD;  // an unpaired surrogate
    if (cp < 0x80) {
      out.push_back(static_cast<char>(cp));
    } else if (cp < 0x800) {
      out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
      out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    } else if (cp < 0x10000) {
      out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
      out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
      out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    } else {
      out.push_back(static_cast<char>(0xF0 | (cp >> 18)));
      out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
      out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
      out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    }
  }
  return out;
}

}  // namespace modhost::detail::win32
