#pragma once
/// @file log.hpp
/// Log records, sinks and level detection: how a line a child writes reaches the host.

#include <chrono>
#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "modhost/uuid.hpp"

namespace modhost {

/// Severity of a record, from least to most severe.
enum class LogLevel {
  Trace,  ///< Finer than debugging detail.
  Debug,  ///< Debugging detail.
  Info,   ///< Normal operation; also a line whose level nothing in its text names.
  Warn,   ///< Something unexpected that did not stop the work.
  Error,  ///< A failure.
};

/// Which pipe of the child a line came from.
enum class StreamKind {
  Stdout,  ///< The child's standard output (also its stderr when merged into stdout).
  Stderr,  ///< The child's standard error.
};

/// The upper-case name of a level: "TRACE", "DEBUG", "INFO", "WARN", "ERROR" ("INFO" for a value
/// outside the enum). A static string; never fails, never blocks.
std::string_view to_string(LogLevel level) noexcept;

/// The name of a stream: "stderr" for `Stderr`, "stdout" for any other value. A static string;
/// never fails, never blocks.
std::string_view to_string(StreamKind stream) noexcept;

/// What a supervisor record is about, so that a sink can act on the backend's events without
/// reading their text (which is for people and may change). Child output is `None`.
enum class SupervisorEvent {
  None,             ///< Not a supervisor record: a line of child output.
  Spawned,          ///< An instance started: `spawned <binary> (pid N)`.
  Exited,           ///< An instance ended before any stop of it began: `exited: <status>`.
  Stopped,          ///< An instance ended after a stop began: `stopped: <status>[ (killed)]`.
  StopRequested,    ///< A stop sent an instance its graceful request (SIGTERM, CTRL_BREAK).
  Killed,           ///< An instance was killed: its grace ran out, the graceful request could not
                    ///< be sent, or `kill_all` was called.
  ShutdownStarted,  ///< A shutdown began: `shutting down N instance(s), grace G ms`.
  UnknownInstance,  ///< A stop named an instance the backend does not know (not an error).
  Warning,          ///< Something did not go as asked and the backend went on (a missing
                    ///< working directory, an exit status that could not be read).
  Error,            ///< Something failed (an instance's output could not be forwarded).
};

/// The name of an event: "none", "spawned", "exited", "stopped", "stop-requested", "killed",
/// "shutdown-started", "unknown-instance", "warning", "error" ("unknown" for a value outside the
/// enum). A static string; never fails, never blocks.
std::string_view to_string(SupervisorEvent event) noexcept;

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
  /// For the supervisor's own records, what happened; `None` for child output.
  SupervisorEvent event = SupervisorEvent::None;

  /// True for the supervisor's own events.
  bool is_supervisor() const noexcept { return !stream.has_value(); }
};

/// Where records go. Called from one thread at a time (see the owner's documentation for which:
/// for `LocalProcessBackend`, its poll thread, as `LocalBackendOptions` says). A sink that blocks
/// slows the children through their full pipes; it never loses lines.
using LogSink = std::function<void(const LogRecord&)>;

/// Where records go several at a time: `count` (at least 1) records at `records`, in order. The
/// records and the views in them are valid only during the call. Called from one thread at a time
/// (see the owner's documentation for which records it gets and from which thread: for
/// `LocalProcessBackend`, the lines of child output, on its poll thread).
using LogBatchSink = std::function<void(const LogRecord* records, std::size_t count)>;

/// Formats a record as one line, ending in '\n':
/// `2026-11-26T18:00:00.123Z  INFO api 0195... stdout: the line` (supervisor records say
/// `supervisor` in place of the stream). The timestamp is UTC with milliseconds; the level is
/// right-aligned to 5 characters; an empty module and a nil instance id are left out. The line's
/// bytes are copied unchanged. Pure computation (no OS call, never blocks); thread-safe; never
/// fails.
std::string format_record(const LogRecord& record);

/// The default sink: writes `format_record(record)` to the process's stderr, with one write call
/// per record (another only for what the OS did not take), so records from several threads do
/// not interleave as long as the OS takes each write whole (on a pipe, POSIX promises that only up
/// to `PIPE_BUF` bytes: 4096 on Linux). There is no lock: thread-safe, and calls from several
/// threads run at once. Blocks until the record is written: a stderr that does not drain (a pipe
/// whose reader is slow or stuck) stalls the calling thread; on POSIX a non-blocking stderr is
/// waited on with `poll`. Write errors are ignored (nothing is reported; on POSIX a write to a pipe
/// without a reader delivers no SIGPIPE). Making the sink never fails.
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
/// nothing matches. Linear time, no allocation, never reads past `line`'s end. Pure computation:
/// never fails, never blocks; thread-safe.
LogLevel detect_log_level(std::string_view line) noexcept;

}  // namespace modhost
