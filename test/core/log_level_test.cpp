#include <gtest/gtest.h>

#include <string>
#include <string_view>

#include "guarded_buffer.hpp"
#include "modhost/log.hpp"

namespace modhost {
namespace {

LogLevel detect(std::string_view s) { return detect_log_level(s); }

TEST(DetectLogLevel, PlainTracingFormat) {
  EXPECT_EQ(detect("2026-11-26T18:00:00.123456Z ERROR api: boom"), LogLevel::Error);
  EXPECT_EQ(detect("2026-11-26T18:00:00.123456Z  WARN api: careful"), LogLevel::Warn);
  EXPECT_EQ(detect("2026-11-26T18:00:00.123456Z  INFO api: hello"), LogLevel::Info);
  EXPECT_EQ(detect("2026-11-26T18:00:00.123456Z DEBUG api: detail"), LogLevel::Debug);
  EXPECT_EQ(detect("2026-11-26T18:00:00.123456Z TRACE api: noise"), LogLevel::Trace);
  EXPECT_EQ(detect("2026-11-26T18:00:00.123456Z error api: lower case"), LogLevel::Error);
  EXPECT_EQ(detect("2026-11-26T18:00:00Z\tWarning tab separated"), LogLevel::Warn);
  EXPECT_EQ(detect("2026-11-26T18:00:00.123456Z ERROR"), LogLevel::Error);  // Ends after level.
}

TEST(DetectLogLevel, PlainFormatWithAnsiColours) {
  EXPECT_EQ(detect("\x1b[2m2026-11-26T18:00:00.123456Z\x1b[0m \x1b[31mERROR\x1b[0m \x1b[2mapi\x1b[0m: x"),
            LogLevel::Error);
  EXPECT_EQ(detect("2026-11-26T18:00:00.123456Z \x1b[33m WARN\x1b[0m api: x"), LogLevel::Warn);
}

TEST(DetectLogLevel, PlainFormatNeedsATimestampAndALevelToken) {
  EXPECT_EQ(detect("12345 ERROR no separator in the first token"), LogLevel::Info);
  EXPECT_EQ(detect("2026-11-26T18:00:00Z ERRORS are not a level"), LogLevel::Info);
  EXPECT_EQ(detect("2026-11-26T18:00:00Z api: ERROR later in the line"), LogLevel::Info);
  EXPECT_EQ(detect("2026-11-26x18 ERROR"), LogLevel::Info);
}

TEST(DetectLogLevel, PlainFormatLevelTokenBoundaries) {
  EXPECT_EQ(detect("2026-11-26T18:00:00Z ERR x y"), LogLevel::Error);
  EXPECT_EQ(detect("2026-11-26T18:00:00Z ERR"), LogLevel::Error);
  EXPECT_EQ(detect("2026-11-26T18:00:00Z ERRORx"), LogLevel::Info);
  EXPECT_EQ(detect("2026-11-26T18:00:00Z WARNINGS"), LogLevel::Info);
  EXPECT_EQ(detect("2026-11-26T18:00:00Z warn"), LogLevel::Warn);
  EXPECT_EQ(detect("2026-11-26T18:00:00Z ERROR\x1b[0m api"), LogLevel::Error);
  EXPECT_EQ(detect("2026-11-26T18:00:00Z er"), LogLevel::Info);
  EXPECT_EQ(detect("2026-11-26T18:00:00Z"), LogLevel::Info);
  EXPECT_EQ(detect("2026-11-26T18:00:00Zjunk ERROR"), LogLevel::Info);
  EXPECT_EQ(detect("18:00:00.123 DEBUG short time"), LogLevel::Debug);
}

TEST(DetectLogLevel, Synonyms) {
  EXPECT_EQ(detect("2026-11-26T18:00:00Z WARNING x"), LogLevel::Warn);
  EXPECT_EQ(detect("2026-11-26T18:00:00Z ERR x"), LogLevel::Error);
  EXPECT_EQ(detect("2026-11-26T18:00:00Z FATAL x"), LogLevel::Error);
  EXPECT_EQ(detect("2026-11-26T18:00:00Z critical x"), LogLevel::Error);
  EXPECT_EQ(detect("2026-11-26T18:00:00Z Panic x"), LogLevel::Error);
}

TEST(DetectLogLevel, JsonTopLevelLevel) {
  EXPECT_EQ(detect(R"({"level":"error","msg":"x"})"), LogLevel::Error);
  EXPECT_EQ(detect(R"({"timestamp":"t","level":"WARN","fields":{"message":"x"}})"), LogLevel::Warn);
  EXPECT_EQ(detect(R"(  { "level" : "Debug" })"), LogLevel::Debug);
  EXPECT_EQ(detect(R"({"Level":"trace"})"), LogLevel::Trace);
  EXPECT_EQ(detect(R"({"level":"fatal"})"), LogLevel::Error);
  EXPECT_EQ(detect(R"({"level":"warning"})"), LogLevel::Warn);
  EXPECT_EQ(detect(R"({"msg":"x"})"), LogLevel::Info);
  EXPECT_EQ(detect(R"({})"), LogLevel::Info);
}

TEST(DetectLogLevel, JsonNestedOrQuotedLevelDoesNotCount) {
  EXPECT_EQ(detect(R"({"msg":"level","x":{"level":"error"}})"), LogLevel::Info);
  EXPECT_EQ(detect(R"({"msg":"\"level\":\"error\""})"), LogLevel::Info);
  EXPECT_EQ(detect(R"({"arr":[{"level":"error"}],"level":"warn"})"), LogLevel::Warn);
  EXPECT_EQ(detect(R"({"a":{"b":{"level":"error"}},"msg":"}{"})"), LogLevel::Info);
  EXPECT_EQ(detect(R"({"span":{"level":"error"},"level":"debug"})"), LogLevel::Debug);
  // A key "level" whose value is not a string does not count.
  EXPECT_EQ(detect(R"({"level":50,"msg":"x"})"), LogLevel::Info);
  EXPECT_EQ(detect(R"({"level":{"name":"error"}})"), LogLevel::Info);
}

TEST(DetectLogLevel, JsonEscapes) {
  EXPECT_EQ(detect(R"({"msg":"a \\","level":"error"})"), LogLevel::Error);
  EXPECT_EQ(detect(R"({"msg":"a \", \"level\": \"error","x":1})"), LogLevel::Info);
  EXPECT_EQ(detect(R"({"msg":"\\\"","level":"warn"})"), LogLevel::Warn);
  EXPECT_EQ(detect(R"({"le\u0076el":"error"})"), LogLevel::Info);
}

TEST(DetectLogLevel, MalformedJsonFallsBackToTextFormats) {
  EXPECT_EQ(detect(R"({"level":"error")"), LogLevel::Error);  // Level found before the end.
  EXPECT_EQ(detect(R"({"msg":"unterminated)"), LogLevel::Info);
  EXPECT_EQ(detect("{not json} level=warn"), LogLevel::Warn);
  EXPECT_EQ(detect("{"), LogLevel::Info);
  EXPECT_EQ(detect(R"({"msg":"x\)"), LogLevel::Info);  // Escape at the very end.
}

TEST(DetectLogLevel, Logfmt) {
  EXPECT_EQ(detect("time=2026-11-26T18:00:00Z level=warn msg=x"), LogLevel::Warn);
  EXPECT_EQ(detect("level=ERROR msg=x"), LogLevel::Error);
  EXPECT_EQ(detect("t=1 lvl=debug"), LogLevel::Debug);
  EXPECT_EQ(detect("t=1 level=\"error\" msg=\"x\""), LogLevel::Error);
  EXPECT_EQ(detect("t=1 sublevel=error"), LogLevel::Info);
  EXPECT_EQ(detect("t=1 level=notice level=error"), LogLevel::Error);
  EXPECT_EQ(detect("level="), LogLevel::Info);
  EXPECT_EQ(detect("level=\"error"), LogLevel::Info);
}

// Lines of 48 bytes and more, in the shape loggers print (a time pair, then the level pair), are
// decided from their first stops; the same rules must come out as for shorter lines.
TEST(DetectLogLevel, LogfmtAsLoggersPrintIt) {
  EXPECT_EQ(detect("ts=2026-11-26T18:00:00.000Z level=warn seq=000000001 msg=xxxxxxxx"),
            LogLevel::Warn);
  EXPECT_EQ(detect("ts=2026-11-26T18:00:00.000Z level=info seq=000000001 msg=xxxxxxxx"),
            LogLevel::Info);
  // The blank after the time past the first 32 bytes.
  EXPECT_EQ(detect("time=2026-11-26T18:00:00.000000000+01:00 level=ERROR msg=xxxxxxxx"),
            LogLevel::Error);
  EXPECT_EQ(detect("timestamp=2026-11-26T18:00:00.000000000Z lvl=debug"), LogLevel::Debug);
  EXPECT_EQ(detect("timestamp=2026-11-26T18:00:00.000000000Z level=INFO"), LogLevel::Info);
  EXPECT_EQ(detect("ts=2026-11-26T18:00:00.000Z level=\"warn\" msg=\"xxxxxxxxxxxxxxxx\""),
            LogLevel::Warn);
  // The level pair first, after a tab, and with a value that is no level name.
  EXPECT_EQ(detect("level=warn ts=2026-11-26T18:00:00.000Z msg=xxxxxxxxxxxxxxxxxxxx"),
            LogLevel::Warn);
  EXPECT_EQ(detect("x\tlevel=warn ts=2026-11-26T18:00:00.000Z msg=xxxxxxxxxxxxxxxxxxx"),
            LogLevel::Warn);
  EXPECT_EQ(detect("level=notice ts=2026-11-26T18:00:00.000Z [error] msg=xxxxxxxxxxxx"),
            LogLevel::Error);
  // A second pair whose value is no level name leaves the later markers to decide.
  EXPECT_EQ(detect("ts=2026-11-26T18:00:00.000Z level=notice level=error msg=xxxxxxxxxxx"),
            LogLevel::Error);
  EXPECT_EQ(detect("ts=2026-11-26T18:00:00.000Z level=info_x [warn] msg=xxxxxxxxxxxxxxx"),
            LogLevel::Warn);
  EXPECT_EQ(detect("ts=2026-11-26T18:00:00.000Z level=infos msg=xxxxxxxxxxxxxxxxxxxxxxx"),
            LogLevel::Info);
  // An earlier marker, a tab or a quoted blank: the general scan, with the same rules.
  EXPECT_EQ(detect("ts=2026-11-26T18:00:00.000Z [warn] level=error msg=xxxxxxxxxxxxxxx"),
            LogLevel::Warn);
  EXPECT_EQ(detect("ts=2026[warn]-26T18:00:00.000Z level=error msg=xxxxxxxxxxxxxxxxxxxxx"),
            LogLevel::Warn);
  EXPECT_EQ(detect("ts=2026-11-26T18:00:00.000Z\tlevel=error msg=xxxxxxxxxxxxxxxxxxxxxx"),
            LogLevel::Error);
  EXPECT_EQ(detect("time=\"2026-11-26 18:00:00\" level=warn msg=xxxxxxxxxxxxxxxxxxxxxxx"),
            LogLevel::Warn);
  EXPECT_EQ(detect("ts=2026-11-26T18:00:00.000Z sublevel=error msg=xxxxxxxxxxxxxxxxxxxx"),
            LogLevel::Info);
  EXPECT_EQ(detect("ts=2026-11-26T18:00:00.000Z msg=xxxxxxxxxxxxxxxxxxxx level=error"),
            LogLevel::Error);
}

TEST(DetectLogLevel, Bracketed) {
  EXPECT_EQ(detect("[ERROR] something broke"), LogLevel::Error);
  EXPECT_EQ(detect("worker 3 [warning] slow"), LogLevel::Warn);
  EXPECT_EQ(detect("[2026-11-26 18:00:00] [debug] x"), LogLevel::Debug);
  EXPECT_EQ(detect("[main] [Info] x"), LogLevel::Info);
  EXPECT_EQ(detect("[ERROR"), LogLevel::Info);
  EXPECT_EQ(detect("["), LogLevel::Info);
  EXPECT_EQ(detect("[errors] x"), LogLevel::Info);
  // The earliest of the text markers wins.
  EXPECT_EQ(detect("[warn] level=error"), LogLevel::Warn);
  EXPECT_EQ(detect("level=error [warn]"), LogLevel::Error);
  // A timestamp without a level token falls through to the text markers.
  EXPECT_EQ(detect("2026-11-26 18:00:00 [ERROR] x"), LogLevel::Error);
}

TEST(DetectLogLevel, InfoWhenNothingMatches) {
  EXPECT_EQ(detect(""), LogLevel::Info);
  EXPECT_EQ(detect("   "), LogLevel::Info);
  EXPECT_EQ(detect("hello world"), LogLevel::Info);
  EXPECT_EQ(detect("ERROR at the start is not a documented format"), LogLevel::Info);
  EXPECT_EQ(detect(std::string_view("\0\0\0", 3)), LogLevel::Info);
}

// Each prefix of each input is placed right before a page the process may not read, so a read
// past the end of the view faults and fails the test, with or without a sanitizer.
TEST(DetectLogLevel, NeverReadsPastTheEnd) {
  test::GuardedBuffer buffer;
  ASSERT_TRUE(buffer.ok());
  const char* inputs[] = {
      "2026-11-26T18:00:00Z ERRO", "{\"level\":\"err", "{\"level\"", "{\"level\":", "level=err",
      "lvl=\"warn",                "[warnin",        "\x1b[",        "\x1b",        "2026-11-26T18:00:00Z \x1b[3",
      "{\"a\":\"\\",               "{\"a\":[",
      // First tokens long enough for the sixteen-byte timestamp scans, ending at every length.
      "0000000000 xxxxxxxxxxxxxxxxxxxx level=warn", "12:00:00.000000000000000 WARN x",
      "2026-11-26T18:00:00.123456789012345Z  INFO x", "2026-11-26T18:00:00.1234567890123456789",
      // Logfmt lines long enough for the first-stops path, ending at every length.
      "ts=2026-11-26T18:00:00.000Z level=info seq=000000001 msg=xxxx",
      "timestamp=2026-11-26T18:00:00.000000000Z level=warn", "level=\"warn\" ts=2026-11-26T18:00:00Z xx",
  };
  for (const char* in : inputs) {
    std::string_view full(in);
    for (std::size_t n = 0; n <= full.size(); ++n) {
      std::string_view placed = buffer.place(full.substr(0, n));
      ASSERT_EQ(placed, full.substr(0, n));
      (void)detect_log_level(placed);
    }
  }
  // Markers that end at the last byte before the guard page are still recognised.
  EXPECT_EQ(detect_log_level(buffer.place("2026-11-26T18:00:00Z ERROR")), LogLevel::Error);
  EXPECT_EQ(detect_log_level(buffer.place("level=ERROR")), LogLevel::Error);
  EXPECT_EQ(detect_log_level(buffer.place("[ERROR]")), LogLevel::Error);
  EXPECT_EQ(detect_log_level(buffer.place("2026-11-26T18:00:00.123456789012345Z WARN")),
            LogLevel::Warn);
  EXPECT_EQ(detect_log_level(buffer.place("12:00:00.000000000000000 ERROR")), LogLevel::Error);
  EXPECT_EQ(detect_log_level(buffer.place("timestamp=2026-11-26T18:00:00.000000000Z lvl=WARN")),
            LogLevel::Warn);
  EXPECT_EQ(detect_log_level(buffer.place("timestamp=2026-11-26T18:00:00.000000000Z lvl=INFO")),
            LogLevel::Info);
}

}  // namespace
}  // namespace modhost
