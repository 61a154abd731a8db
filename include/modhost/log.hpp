#pragma once
/// @file log.hpp
/// Log records, sinks and level detection: how a line a child writes reaches the host.

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "modhost/uuid.hpp"

namespace modhost {

/// Severity of a record, from least to most severe.
enum class LogLevel { Trace, Debug, Info, Warn, Error };

/// Which pipe of the child a line came from.
enum class StreamKind { Stdout, Stderr };

/// The upper-case name of a level: "TRACE", "DEBUG", "INFO", "WARN", "ERROR".
std::string_view to_string(LogLevel level) noexcept;

/// The name of a stream: "stdout" or "stderr".
std::string_view to_string(StreamKind stream) noexcept;

/// One line (or one piece of an over-long line) from a child, or one event of the supervisor.
/// The views point into buffers owned by the caller of the sink: they are valid only during the
/// sink call; copy what you keep.
struct LogRecord {
  /// Detected from the line's text for child output; chosen by the library for its own events.
  LogLevel level = LogLevel::Info;
  /// The module name (empty for events that concern no module).
  std::string_view module;
  /// The instance the line came from (nil for events that concern no instance).
  Uuid instance_id;
  /// The pipe the line came from; empty for the supervisor's own events ("spawned", "exited"...).
  std::optional<StreamKind> stream;
  /// The line's bytes without the line terminator, exactly as the child wrote them (not
  /// necessarily UTF-8).
  std::string_view line;
  /// True when this record continues the previous record of the same stream: the line was longer
  /// than the maximum line length, or a partial line was flushed before its end arrived.
  bool continuation = false;
  /// When the line was read (or the event happened), on the system clock.
  std::chrono::system_clock::time_point timestamp;

  /// True for the supervisor's own events.
  bool is_supervisor() const noexcept { return !stream.has_value(); }
};

/// Where records go. Called from one thread at a time (see the owner's documentation for which).
/// A sink that blocks slows the children through their full pipes; it never loses lines.
using LogSink = std::function<void(const LogRecord&)>;

/// Formats a record as one line, ending in '\n':
/// `2026-11-26T18:00:00.123Z  INFO api 0195... stdout: the line` (supervisor records say
/// `supervisor` in place of the stream). The timestamp is UTC with milliseconds; the level is
/// right-aligned to 5 characters; an empty module and a nil instance id are left out. The line's
/// bytes are copied unchanged. Pure computation (no OS call); thread-safe.
std::string format_record(const LogRecord& record);

/// The default sink: writes `format_record(record)` to the process's stderr with a single write
/// call, so lines from several threads never interleave. Thread-safe; write errors are ignored.
LogSink stderr_sink();

/// Detects the level of a line a child wrote. Recognised, in this order:
/// - JSON objects whose top-level `"level"` member is a string (any case): nested objects and
///   string contents are skipped, so `{"msg":"level","x":{"level":"error"}}` is Info;
/// - the plain tracing-subscriber format: first token a timestamp (such as
///   `2026-11-26T18:00:00.123456Z`: digits and `-:.,TZ+`, with a `-` or `:`), second token the
///   level; blanks and ANSI colour sequences between them are skipped;
/// - logfmt `level=warn` / `lvl=warn` (value possibly quoted), and bracketed `[ERROR]`,
///   `[warning]` tokens, anywhere in the line; the earliest one wins.
/// A line that starts with `{` but is not a JSON object is tried as text.
/// Names in any case; WARNING means Warn; ERR, FATAL, CRITICAL, PANIC mean Error; Info when
/// nothing matches. Linear time, no allocation, never reads past `line`'s end.
LogLevel detect_log_level(std::string_view line) noexcept;

}  // namespace modhost
