// Tests of the tool's console services (src/cli/terminal.hpp) that need no console.

#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <string>

#include "cli/terminal.hpp"

namespace modhost::cli {
namespace {

// 2040-01-01T00:34:56Z, past the end of a 32-bit time_t (2038-01-19). A 32-bit time_t would wrap
// it to 1903, 2^32 s earlier: 28 min 16 s off within the hour, which the check below sees.
constexpr std::int64_t kPast2038 = 2208990896;

TEST(Terminal, LocalTimePast2038KeepsMinutesAndSeconds) {
  const std::chrono::system_clock::time_point t{std::chrono::seconds(kPast2038)};
  const std::string hms = local_hms(t);
  ASSERT_EQ(hms.size(), 8u) << hms;
  ASSERT_NE(hms, "??:??:??");
  // The hour depends on the machine's time zone; minutes and seconds do not, except in zones a
  // half or three quarters of an hour off UTC, whose minutes are listed too.
  const std::string mm_ss = hms.substr(3);
  EXPECT_TRUE(mm_ss == "34:56" || mm_ss == "04:56" || mm_ss == "49:56" || mm_ss == "19:56")
      << hms;
  EXPECT_EQ(local_hms(t + std::chrono::seconds(1)).substr(6), "57");
}

}  // namespace
}  // namespace modhost::cli
