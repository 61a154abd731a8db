#include <gtest/gtest.h>

#include <cerrno>
#include <string>
#include <system_error>

#include "modhost/error.hpp"
#include "modhost/result.hpp"

namespace modhost {
namespace {

TEST(Error, CategoryNameAndMessages) {
  EXPECT_STREQ(modhost_category().name(), "modhost");
  EXPECT_EQ(make_error_code(errc::invalid_argument).message(), "invalid argument");
  EXPECT_EQ(make_error_code(errc::not_running).message(), "no running child process");
  EXPECT_EQ(make_error_code(errc::cancelled).message(), "cancelled");
  EXPECT_EQ(make_error_code(errc::unsupported).message(), "not supported");
  EXPECT_EQ(make_error_code(errc::parse_error).message(), "parse error");
  EXPECT_EQ(make_error_code(errc::host_contract).message(), "host broke a documented contract");
  EXPECT_EQ(make_error_code(errc::internal).message(), "internal error (a modhost bug)");
  EXPECT_EQ(modhost_category().message(999), "unknown modhost error 999");
  EXPECT_EQ(modhost_category().message(3), "unknown modhost error 3");  // retired values
  EXPECT_EQ(modhost_category().message(6), "unknown modhost error 6");
}

TEST(Error, ErrcConvertsToErrorCode) {
  std::error_code ec = errc::cancelled;
  EXPECT_EQ(&ec.category(), &modhost_category());
  EXPECT_EQ(ec.value(), 4);  // the values are fixed
  EXPECT_TRUE(ec == errc::cancelled);
  EXPECT_FALSE(ec == errc::unsupported);
}

TEST(Error, FromOsKeepsTheCodeAndAddsTheReason) {
  Error e = Error::from_os(ENOENT, "failed to spawn process: /no/such/prog");
  EXPECT_EQ(&e.code().category(), &std::system_category());
  EXPECT_EQ(e.code().value(), ENOENT);
  std::string reason = std::system_category().message(ENOENT);
  EXPECT_EQ(e.message(), "failed to spawn process: /no/such/prog: " + reason);
}

TEST(Error, WithContextPrefixes) {
  Error e(errc::parse_error, "bad line 3");
  Error outer = e.with_context("Procfile");
  EXPECT_EQ(outer.message(), "Procfile: bad line 3");
  EXPECT_EQ(outer.code(), e.code());
}

TEST(Result, ValueAndError) {
  Result<int> ok = 42;
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(*ok, 42);
  EXPECT_EQ(ok.value_or(7), 42);
  Result<int> bad = Error(errc::invalid_argument, "nope");
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code(), errc::invalid_argument);
  EXPECT_EQ(bad.value_or(7), 7);
  Result<void> v = ok_result();
  EXPECT_TRUE(v.ok());
  Result<void> verr = Error(errc::cancelled, "stop");
  EXPECT_EQ(verr.error().message(), "stop");
}

}  // namespace
}  // namespace modhost
