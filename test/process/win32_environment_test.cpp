// Win32 only: the child's environment (platform/win32/environment_block.hpp): the sorted UTF-16
// block, keys compared as Windows compares them (beyond ASCII too), inherited values passed
// through as UTF-16 without a trip through UTF-8, and overrides that are not valid UTF-8.
#ifdef _WIN32

#include <gtest/gtest.h>
#include <windows.h>

#include <string>
#include <vector>

#include "../../platform/win32/environment_block.hpp"
#include "modhost/child_process.hpp"

namespace modhost::detail::win32 {
namespace {

SpawnOptions child(std::vector<std::string> args) {
  SpawnOptions o;
  o.program = MODHOST_TEST_CHILD;
  o.args = std::move(args);
  o.stdout_mode = Stdio::Pipe;
  return o;
}

// A variable of this test process, removed again at the end of the test.
class ScopedVariable {
 public:
  ScopedVariable(const wchar_t* name, const wchar_t* value) : name_(name) {
    EXPECT_TRUE(SetEnvironmentVariableW(name, value));
  }
  ~ScopedVariable() { SetEnvironmentVariableW(name_, nullptr); }
  ScopedVariable(const ScopedVariable&) = delete;
  ScopedVariable& operator=(const ScopedVariable&) = delete;

 private:
  const wchar_t* name_;
};

// The "KEY=VALUE" entries the helper child printed with its "env" mode.
std::vector<std::string> entries_of(const std::string& env) {
  std::vector<std::string> out;
  for (std::size_t start = 0; start < env.size();) {
    std::size_t end = env.find('\0', start);
    if (end == std::string::npos) end = env.size();
    out.push_back(env.substr(start, end - start));
    start = end + 1;
  }
  return out;
}

TEST(Win32Environment, BlockIsSortedCaseInsensitivelyAndDoubleNulTerminated) {
  const std::wstring block =
      make_environment_block({L"b=2", L"A=1", L"=C:=C:\\x", L"a_z=3", L"C=\u00fc"});
  const std::wstring want = std::wstring(L"=C:=C:\\x") + L'\0' + L"A=1" + L'\0' + L"a_z=3" +
                            L'\0' + L"b=2" + L'\0' + L"C=\u00fc" + L'\0' + L'\0';
  EXPECT_EQ(block, want);
  EXPECT_EQ(make_environment_block({}), std::wstring(2, L'\0'));
}

TEST(Win32Environment, KeysAreCaseInsensitiveAndNonAsciiValuesArrive) {
  SpawnOptions o = child({"env"});
  o.env = {{"Modhost_Case", "1"}, {"MODHOST_CASE", "2"}, {"MODHOST_U", "\xc3\xbc\xe2\x82\xac"}};
  auto c = ChildProcess::spawn(o);
  ASSERT_TRUE(c) << c.error().message();
  auto out = c->output();
  ASSERT_TRUE(out);
  const std::string& env = out->stdout_data;
  EXPECT_NE(env.find(std::string("MODHOST_CASE=2") + '\0'), std::string::npos);
  EXPECT_EQ(env.find("Modhost_Case="), std::string::npos);
  EXPECT_NE(env.find(std::string("MODHOST_U=\xc3\xbc\xe2\x82\xac") + '\0'), std::string::npos);
}

// Windows compares variable names with its upper-case table, not only ASCII's: an override of
// "MH_äö" replaces an inherited "MH_ÄÖ" (one variable, one entry), and removing "mh_äö" removes it.
TEST(Win32Environment, KeysAreCaseInsensitiveBeyondAscii) {
  ScopedVariable inherited(L"MH_\u00c4\u00d6", L"parent");
  const std::string lower = "MH_\xc3\xa4\xc3\xb6", upper = "MH_\xc3\x84\xc3\x96";
  SpawnOptions o = child({"env"});
  o.env = {{lower, "child"}};
  auto c = ChildProcess::spawn(o);
  ASSERT_TRUE(c) << c.error().message();
  auto out = c->output();
  ASSERT_TRUE(out);
  std::vector<std::string> found;
  for (const auto& e : entries_of(out->stdout_data)) {
    if (e.rfind(lower + "=", 0) == 0 || e.rfind(upper + "=", 0) == 0) found.push_back(e);
  }
  ASSERT_EQ(found.size(), 1u) << "one variable became " << found.size() << " entries";
  EXPECT_EQ(found[0], lower + "=child");

  o.env = {{"mh_\xc3\xa4\xc3\xb6", std::nullopt}};
  c = ChildProcess::spawn(o);
  ASSERT_TRUE(c) << c.error().message();
  out = c->output();
  ASSERT_TRUE(out);
  for (const auto& e : entries_of(out->stdout_data)) {
    EXPECT_NE(e.rfind(upper + "=", 0), 0u) << "not removed: " << e;
  }
}

// An inherited value is passed on as the UTF-16 the parent has, also what UTF-8 cannot carry (a
// lone surrogate), even when the caller changes other variables.
TEST(Win32Environment, InheritedValuesPassThroughAsUtf16) {
  const wchar_t value[] = {L'a', static_cast<wchar_t>(0xD800), L'b', L'\0'};
  ScopedVariable inherited(L"MH_LONE_SURROGATE", value);
  SpawnOptions o = child({"env-units", "MH_LONE_SURROGATE"});
  o.env = {{"MH_OTHER", "x"}};
  auto c = ChildProcess::spawn(o);
  ASSERT_TRUE(c) << c.error().message();
  auto out = c->output();
  ASSERT_TRUE(out);
  EXPECT_EQ(out->stdout_data, "0061 d800 0062\n");
}

// An override that is not valid UTF-8 is refused, and the message escapes the bad byte, so the
// message itself is valid UTF-8.
TEST(Win32Environment, InvalidUtf8OverrideIsRefusedWithAnEscapedName) {
  SpawnOptions o = child({"exit", "0"});
  o.env = {{"MH_K\xff", "v"}};
  auto c = ChildProcess::spawn(o);
  ASSERT_FALSE(c);
  EXPECT_EQ(c.error().code(), make_error_code(errc::invalid_argument));
  EXPECT_NE(c.error().message().find("environment variable MH_K\\xff is not valid UTF-8"),
            std::string::npos)
      << c.error().message();
  o.env = {{"MH_K", "\xc3"}};
  c = ChildProcess::spawn(o);
  ASSERT_FALSE(c);
  EXPECT_NE(c.error().message().find("environment variable MH_K is not valid UTF-8"),
            std::string::npos)
      << c.error().message();
}

}  // namespace
}  // namespace modhost::detail::win32

#endif  // _WIN32
