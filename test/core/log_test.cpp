#include <gtest/gtest.h>

#include <chrono>
#include <string>

#include "modhost/log.hpp"
#include "stderr_capture.hpp"

namespace modhost {
namespace {

using namespace std::chrono_literals;

// 2026-11-26T18:00:00.123Z as a system_clock time point: 20783 days after the epoch.
std::chrono::system_clock::time_point fixed_time() {
  return std::chrono::system_clock::time_point(
      std::chrono::duration_cast<std::chrono::system_clock::duration>(
          std::chrono::hours(24 * 20783) + 18h + 123ms));
}

TEST(Log, LevelAndStreamNames) {
  EXPECT_EQ(to_string(LogLevel::Trace), "TRACE");
  EXPECT_EQ(to_string(LogLevel::Debug), "DEBUG");
  EXPECT_EQ(to_string(LogLevel::Info), "INFO");
  EXPECT_EQ(to_string(LogLevel::Warn), "WARN");
  EXPECT_EQ(to_string(LogLevel::Error), "ERROR");
  EXPECT_EQ(to_string(StreamKind::Stdout), "stdout");
  EXPECT_EQ(to_string(StreamKind::Stderr), "stderr");
}

TEST(Log, FormatRecordExactOutput) {
  LogRecord r;
  r.level = LogLevel::Info;
  r.module = "api";
  r.instance_id = *Uuid::parse("0195f3a1-b2c3-7d4e-8f90-a1b2c3d4e5f6");
  r.stream = StreamKind::Stdout;
  r.line = "the line";
  r.timestamp = fixed_time();
  EXPECT_EQ(format_record(r),
            "2026-11-26T18:00:00.123Z  INFO api 0195f3a1-b2c3-7d4e-8f90-a1b2c3d4e5f6 stdout: the line\n");

  r.level = LogLevel::Error;
  r.stream = StreamKind::Stderr;
  EXPECT_EQ(format_record(r),
            "2026-11-26T18:00:00.123Z ERROR api 0195f3a1-b2c3-7d4e-8f90-a1b2c3d4e5f6 stderr: the line\n");
}

TEST(Log, FormatSupervisorRecords) {
  LogRecord r;
  r.level = LogLevel::Warn;
  r.module = "api";
  r.instance_id = *Uuid::parse("0195f3a1-b2c3-7d4e-8f90-a1b2c3d4e5f6");
  r.line = "exited with code 3";
  r.timestamp = fixed_time();
  EXPECT_TRUE(r.is_supervisor());
  EXPECT_EQ(format_record(r), "2026-11-26T18:00:00.123Z  WARN api 0195f3a1-b2c3-7d4e-8f90-a1b2c3d4e5f6 "
                              "supervisor: exited with code 3\n");
  // No module and no instance: those fields are left out.
  r.module = {};
  r.instance_id = Uuid();
  r.level = LogLevel::Debug;
  r.line = "shutting down";
  EXPECT_EQ(format_record(r), "2026-11-26T18:00:00.123Z DEBUG supervisor: shutting down\n");
}

TEST(Log, FormatTimestampEdges) {
  LogRecord r;
  r.line = "x";
  r.timestamp = std::chrono::system_clock::time_point();
  EXPECT_EQ(format_record(r).substr(0, 24), "1970-01-01T00:00:00.000Z");
  // The last millisecond of a leap day.
  r.timestamp = std::chrono::system_clock::time_point(
      std::chrono::duration_cast<std::chrono::system_clock::duration>(
          std::chrono::hours(24 * 11017) - 1ms));  // 2000-03-01 is day 11017.
  EXPECT_EQ(format_record(r).substr(0, 24), "2000-02-29T23:59:59.999Z");
  // Before the epoch.
  r.timestamp = std::chrono::system_clock::time_point(
      std::chrono::duration_cast<std::chrono::system_clock::duration>(-1ms));
  EXPECT_EQ(format_record(r).substr(0, 24), "1969-12-31T23:59:59.999Z");
}

TEST(Log, LineBytesPassThrough) {
  LogRecord r;
  r.stream = StreamKind::Stdout;
  r.timestamp = fixed_time();
  std::string bytes("a\0b\xff", 4);
  r.line = bytes;
  std::string out = format_record(r);
  EXPECT_EQ(out.substr(out.size() - 5), bytes + "\n");
}

// The default sink writes the formatted record to the process's stderr, the whole line at once.
TEST(Log, StderrSinkWritesTheFormattedLine) {
  LogSink sink = stderr_sink();
  ASSERT_TRUE(static_cast<bool>(sink));
  LogRecord r;
  r.level = LogLevel::Warn;
  r.module = "api";
  r.stream = StreamKind::Stderr;
  r.line = "stderr_sink test record";
  r.timestamp = fixed_time();
  test::StderrCapture capture;
  ASSERT_TRUE(capture.ok());
  sink(r);
  EXPECT_EQ(capture.text(), "2026-11-26T18:00:00.123Z  WARN api stderr: stderr_sink test record\n");
}

}  // namespace
}  // namespace modhost
