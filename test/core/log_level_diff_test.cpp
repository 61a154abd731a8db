// detect_log_level against the fuzzer's reference detector (test/fuzz/log_level_reference.cpp),
// which follows the rules of log.hpp with plain scanners and none of the fast paths. The lines
// are built from the pieces the fast paths look at (a first logfmt pair of any key, a time value
// of every length, quoted or with a blank or a marker in it, one or more blanks or a tab, a level
// pair with a name, another word or a quote, brackets and more pairs after it, and cuts at any
// length), so that each way a fast path can take or refuse a line is met many times; the fuzzer
// explores the rest. Every line is detected from a heap buffer of exactly its size, so a
// sanitizer build sees any read past its end. Seeded, so a failure repeats.

#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <memory>
#include <random>
#include <string>

#include "../fuzz/log_level_reference.hpp"
#include "modhost/log.hpp"

namespace modhost {
namespace {

// A uniform pick in [0, n) from the generator's raw output: mt19937's sequence is the same on
// every platform, unlike the standard distributions'.
std::size_t pick(std::mt19937& rng, std::size_t n) { return rng() % n; }

template <std::size_t N>
const char* one_of(std::mt19937& rng, const char* const (&choices)[N]) {
  return choices[pick(rng, N)];
}

std::string time_value(std::mt19937& rng) {
  std::string t = "2026-11-26T18:00:00";
  if (pick(rng, 4) != 0) t += "." + std::string(pick(rng, 13), '1');
  static const char* const kZones[] = {"Z", "+01:00", "", "Z"};
  t += one_of(rng, kZones);
  switch (pick(rng, 8)) {
    case 0: return "\"" + t + "\"";
    case 1: return "\"2026-11-26 18:00:00\"";  // a blank inside the value
    case 2: t[pick(rng, t.size())] = "=[ \t"[pick(rng, 4)]; return t;  // a stop inside it
    case 3: return std::string(pick(rng, 50), '9');
    default: return t;
  }
}

std::string level_value(std::mt19937& rng) {
  static const char* const kNames[] = {"info", "INFO", "Info", "warn", "WARNING", "error", "err",
                                       "debug", "trace", "fatal", "panic", "critical", "notice",
                                       "inf", "infos", "info_x", "", "errors", "\xff"};
  std::string v = one_of(rng, kNames);
  switch (pick(rng, 6)) {
    case 0: return "\"" + v + "\"";
    case 1: return "\"" + v;  // unterminated
    default: return v;
  }
}

std::string logfmt_line(std::mt19937& rng) {
  static const char* const kFirstKeys[] = {"ts=", "time=", "timestamp=", "t=", "level=",
                                           "lvl=", "x\tlevel=", "sublevel=", "msg=", "=",
                                           "[warn] ts=", "ts\t=", "TS="};
  static const char* const kGaps[] = {" ", " ", " ", "  ", "\t", "", " x "};
  static const char* const kKeys[] = {"level=", "level=", "lvl=", "LEVEL=", "Level=", "levels=",
                                      "level =", "[", "msg=", "lv=", "level"};
  static const char* const kEnds[] = {" ", " ", "", "\t", "=", "\"", "]", "x"};
  static const char* const kTails[] = {"", " msg=x", " [error]", " level=warn", " lvl=\"debug\"",
                                       " seq=000000001 msg=", " [WARN", "\x1b[0m"};
  std::string line = one_of(rng, kFirstKeys);
  const std::string key = line;
  if (key == "level=" || key == "lvl=" || key == "x\tlevel=") {
    line += level_value(rng);
  } else {
    line += time_value(rng);
  }
  line += one_of(rng, kGaps);
  line += one_of(rng, kKeys);
  line += level_value(rng);
  line += one_of(rng, kEnds);
  line += one_of(rng, kTails);
  line += std::string(pick(rng, 40), 'x');
  if (pick(rng, 3) == 0) line.resize(pick(rng, line.size() + 1));  // a cut anywhere
  return line;
}

std::string other_line(std::mt19937& rng) {
  static const char kBytes[] = "=[]\" \t{}:,.-TZ0123456789aEeRrOoIiNnFfWwlv\x1b\xff";
  switch (pick(rng, 4)) {
    case 0:
      return "2026-11-26T18:00:00." + std::string(pick(rng, 20), '1') + "Z" +
             std::string(pick(rng, 4), ' ') + level_value(rng) + " w: msg";
    case 1:
      return "{\"level\":\"" + level_value(rng) + "\",\"msg\":\"x\"}";
    case 2:
      return std::string(pick(rng, 12), '0') + " " + std::string(pick(rng, 80), 'x') +
             (pick(rng, 2) == 0 ? " level=warn" : "");
    default: {
      std::string s;
      for (std::size_t i = pick(rng, 70); i != 0; --i) s += kBytes[pick(rng, sizeof kBytes - 1)];
      return s;
    }
  }
}

LogLevel detect_exact(const std::string& line) {
  std::unique_ptr<char[]> copy(new char[line.empty() ? 1 : line.size()]);
  std::memcpy(copy.get(), line.data(), line.size());
  return detect_log_level(std::string_view(copy.get(), line.size()));
}

TEST(DetectLogLevelDiff, AgreesWithTheReferenceOnTextLines) {
  for (std::uint32_t seed = 1; seed <= 8; ++seed) {
    std::mt19937 rng(seed);
    for (int i = 0; i < 25000; ++i) {
      const std::string line = pick(rng, 4) == 0 ? other_line(rng) : logfmt_line(rng);
      const LogLevel want = reference::detect_log_level(line);
      ASSERT_EQ(detect_exact(line), want) << "seed " << seed << ", line " << i << ": " << line;
    }
  }
}

}  // namespace
}  // namespace modhost
