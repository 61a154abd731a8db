#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <string>
#include <thread>
#include <unordered_set>
#include <vector>

#include "modhost/uuid.hpp"

namespace modhost {
namespace {

std::uint64_t timestamp_ms(const Uuid& u) {
  std::uint64_t ms = 0;
  for (int i = 0; i < 6; ++i) ms = (ms << 8) | u.bytes[static_cast<std::size_t>(i)];
  return ms;
}

TEST(Uuid, DefaultIsNil) {
  Uuid u;
  EXPECT_TRUE(u.is_nil());
  EXPECT_EQ(u.version(), 0);
  EXPECT_EQ(u.to_string(), "00000000-0000-0000-0000-000000000000");
}

TEST(Uuid, V7HasVersionVariantAndCurrentTime) {
  auto before = std::chrono::duration_cast<std::chrono::milliseconds>(
                    std::chrono::system_clock::now().time_since_epoch()).count();
  Uuid u = Uuid::new_v7();
  auto after = std::chrono::duration_cast<std::chrono::milliseconds>(
                   std::chrono::system_clock::now().time_since_epoch()).count();
  EXPECT_FALSE(u.is_nil());
  EXPECT_EQ(u.version(), 7);
  EXPECT_EQ(u.bytes[8] & 0xC0, 0x80);
  // The counter may run a millisecond or so ahead of the clock, never behind it.
  EXPECT_GE(timestamp_ms(u), static_cast<std::uint64_t>(before));
  EXPECT_LE(timestamp_ms(u), static_cast<std::uint64_t>(after) + 1000);
}

TEST(Uuid, StrictlyIncreasingInOneThread) {
  Uuid prev = Uuid::new_v7();
  for (int i = 0; i < 100000; ++i) {
    Uuid next = Uuid::new_v7();
    ASSERT_TRUE(prev < next) << prev.to_string() << " !< " << next.to_string();
    prev = next;
  }
}

TEST(Uuid, UniqueAndOrderedAcrossFourThreads) {
  constexpr int kThreads = 4;
  constexpr int kPerThread = 25000;
  std::vector<std::vector<Uuid>> ids(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&ids, t] {
      auto& mine = ids[static_cast<std::size_t>(t)];
      mine.reserve(kPerThread);
      for (int i = 0; i < kPerThread; ++i) mine.push_back(Uuid::new_v7());
    });
  }
  for (auto& th : threads) th.join();

  std::unordered_set<Uuid, UuidHash> all;
  for (const auto& mine : ids) {
    for (std::size_t i = 0; i < mine.size(); ++i) {
      EXPECT_EQ(mine[i].version(), 7);
      EXPECT_EQ(mine[i].bytes[8] & 0xC0, 0x80);
      if (i > 0) {
        ASSERT_TRUE(mine[i - 1] < mine[i]) << "thread sequence not increasing at " << i;
      }
      all.insert(mine[i]);
    }
  }
  EXPECT_EQ(all.size(), static_cast<std::size_t>(kThreads * kPerThread));
}

TEST(Uuid, ToStringAndParseRoundTrip) {
  for (int i = 0; i < 100; ++i) {
    Uuid u = Uuid::new_v7();
    std::string s = u.to_string();
    ASSERT_EQ(s.size(), 36u);
    EXPECT_EQ(s[8], '-');
    EXPECT_EQ(s[13], '-');
    EXPECT_EQ(s[14], '7');
    EXPECT_EQ(s[18], '-');
    EXPECT_EQ(s[23], '-');
    EXPECT_EQ(s.find_first_not_of("0123456789abcdef-"), std::string::npos);
    auto parsed = Uuid::parse(s);
    ASSERT_TRUE(parsed.ok()) << parsed.error().message();
    EXPECT_EQ(*parsed, u);
  }
}

TEST(Uuid, ParseAcceptsUpperCaseAndKnownValue) {
  auto parsed = Uuid::parse("0195F3A1-B2C3-7D4E-8F90-A1B2C3D4E5F6");
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(parsed->bytes[0], 0x01);
  EXPECT_EQ(parsed->bytes[1], 0x95);
  EXPECT_EQ(parsed->bytes[6], 0x7d);
  EXPECT_EQ(parsed->bytes[15], 0xf6);
  EXPECT_EQ(parsed->version(), 7);
  EXPECT_EQ(parsed->to_string(), "0195f3a1-b2c3-7d4e-8f90-a1b2c3d4e5f6");
}

TEST(Uuid, ParseErrorsSayWhatAndWhere) {
  auto too_short = Uuid::parse("0195f3a1-b2c3");
  ASSERT_FALSE(too_short.ok());
  EXPECT_EQ(too_short.error().code(), errc::parse_error);
  EXPECT_NE(too_short.error().message().find("expected 36 characters"), std::string::npos);
  EXPECT_NE(too_short.error().message().find("got 13"), std::string::npos);

  auto bad_char = Uuid::parse("0195f3a1-b2c3-7d4e-8f90-a1b2c3d4e5g6");
  ASSERT_FALSE(bad_char.ok());
  EXPECT_NE(bad_char.error().message().find("invalid character 'g' at position 34"),
            std::string::npos)
      << bad_char.error().message();

  auto no_dash = Uuid::parse("0195f3a1xb2c3-7d4e-8f90-a1b2c3d4e5f6");
  ASSERT_FALSE(no_dash.ok());
  EXPECT_NE(no_dash.error().message().find("expected '-' at position 8, found 'x'"),
            std::string::npos)
      << no_dash.error().message();

  auto nul = Uuid::parse(std::string("0195f3a1-b2c3-7d4e-8f90-a1b2c3d4e5\0" "6", 36));
  ASSERT_FALSE(nul.ok());
  EXPECT_NE(nul.error().message().find("byte 0x00 at position 34"), std::string::npos)
      << nul.error().message();

  auto empty = Uuid::parse("");
  ASSERT_FALSE(empty.ok());
  EXPECT_NE(empty.error().message().find("got 0"), std::string::npos);
}

TEST(Uuid, HashSpreadsIds) {
  UuidHash h;
  std::unordered_set<std::size_t> hashes;
  for (int i = 0; i < 1000; ++i) hashes.insert(h(Uuid::new_v7()));
  EXPECT_EQ(hashes.size(), 1000u);
  EXPECT_EQ(h(Uuid()), h(Uuid()));
}

}  // namespace
}  // namespace modhost
