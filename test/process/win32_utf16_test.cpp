// Win32 only: UTF-8 <-> UTF-16 conversion of the platform layer (platform/win32/utf16.hpp).
#ifdef _WIN32

#include <gtest/gtest.h>

#include <string>

#include "../../platform/win32/error_text.hpp"
#include "../../platform/win32/utf16.hpp"

namespace modhost::detail::win32 {
namespace {

TEST(Win32Utf16, RoundTripsEveryPlane) {
  const std::string utf8 = "a\xc3\xbc\xe2\x82\xac\xf0\x9f\x98\x80z";  // a ü € 😀 z
  auto wide = to_wide(utf8, "test");
  ASSERT_TRUE(wide) << wide.error().message();
  EXPECT_EQ(*wide, std::wstring(L"a\u00fc\u20ac\U0001F600z"));
  EXPECT_EQ(wide->size(), 6u);  // the emoji is a surrogate pair
  EXPECT_EQ(to_utf8(*wide), utf8);
}

TEST(Win32Utf16, EmptyIsFine) {
  auto wide = to_wide("", "test");
  ASSERT_TRUE(wide);
  EXPECT_TRUE(wide->empty());
  EXPECT_EQ(to_utf8(L""), "");
}

TEST(Win32Utf16, InvalidUtf8IsAClearError) {
  struct Case {
    std::string bytes;
    std::size_t offset;
  };
  const Case cases[] = {
      {"ab\xff", 2},             // never valid
      {"\xc0\xaf", 0},           // overlong '/'
      {"\xe0\x80\xaf", 0},       // overlong, 3 bytes
      {"\xed\xa0\x80", 0},       // a UTF-16 surrogate
      {"\xf4\x90\x80\x80", 0},   // past U+10FFFF
      {"x\xe2\x82", 1},          // truncated at the end
      {"\xe2(\xa1", 1},          // a continuation byte missing
      {"\x80", 0},               // a lone continuation byte
  };
  for (const auto& c : cases) {
    auto wide = to_wide(c.bytes, "argument 3");
    ASSERT_FALSE(wide) << "accepted bytes at offset " << c.offset;
    EXPECT_EQ(wide.error().code(), make_error_code(errc::invalid_argument));
    const std::string& m = wide.error().message();
    EXPECT_NE(m.find("argument 3 is not valid UTF-8"), std::string::npos) << m;
    EXPECT_NE(m.find("at offset " + std::to_string(c.offset)), std::string::npos) << m;
  }
}

TEST(Win32Utf16, NulIsRefused) {
  auto wide = to_wide(std::string("a\0b", 3), "working directory");
  ASSERT_FALSE(wide);
  EXPECT_NE(wide.error().message().find("working directory contains a NUL byte"),
            std::string::npos);
}

TEST(Win32Utf16, UnpairedSurrogatesBecomeReplacementCharacters) {
  std::wstring bad;
  bad.push_back(static_cast<wchar_t>(0xD800));
  bad.push_back(L'x');
  bad.push_back(static_cast<wchar_t>(0xDC00));
  EXPECT_EQ(to_utf8(bad), "\xef\xbf\xbdx\xef\xbf\xbd");
}

TEST(Win32ErrorText, SystemTextOrTheNumber) {
  const std::string found = error_text(2);  // ERROR_FILE_NOT_FOUND
  EXPECT_FALSE(found.empty());
  EXPECT_NE(found.back(), '.');
  EXPECT_NE(found.back(), '\n');
  EXPECT_EQ(error_text(0x2FFFFFFF), "Windows error " + std::to_string(0x2FFFFFFF));
  Error e = os_error(5, "opening x");
  EXPECT_EQ(e.code(), std::error_code(5, std::system_category()));
  EXPECT_EQ(e.message(), "opening x: " + error_text(5));
}

}  // namespace
}  // namespace modhost::detail::win32

#endif  // _WIN32
