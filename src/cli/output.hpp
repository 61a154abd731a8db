#pragma once
// The tool's output: `HH:MM:SS label | line`, labels padded to one width, a colour per process,
// errors red and warnings yellow; and a writer that puts each line out whole, through a queue.

#include <chrono>
#include <cstddef>
#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "options.hpp"
#include "output_queue.hpp"
#include "terminal.hpp"
#include "modhost/log.hpp"

namespace modhost::cli {

/// How lines look.
struct OutputStyle {
  /// ANSI colours on.
  bool color = false;
  /// The `HH:MM:SS` column.
  bool timestamps = true;
  /// The timestamp and label columns (false: bare lines).
  bool prefix = true;
  /// The width labels are padded to.
  std::size_t label_width = 6;
};

/// The label of the supervisor's own lines.
inline constexpr std::string_view kSystemLabel = "system";

/// The colour index of the supervisor's own lines (processes use their Procfile index).
inline constexpr int kSystemColor = -1;

/// The width of the label column: the longest of `labels` and "system", and at least 6.
std::size_t label_width(const std::vector<std::string>& labels) noexcept;

/// The ANSI SGR parameters of the colour for Procfile entry `index` (or kSystemColor), e.g. "36".
std::string_view color_for(int index) noexcept;

/// Formats one output line, ending in '\n': `HH:MM:SS label | text` with the label padded to
/// `style.label_width`; with colours, the prefix in the process's colour and the text red for
/// `LogLevel::Error`, yellow for `LogLevel::Warn`. `hms` is the already formatted time. Pure.
std::string format_line(const OutputStyle& style, std::string_view hms, std::string_view label,
                        int color_index, LogLevel level, std::string_view text);

/// `format_line` appending to `out` instead of returning a new string.
void append_line(std::string& out, const OutputStyle& style, std::string_view hms,
                 std::string_view label, int color_index, LogLevel level, std::string_view text);

/// The part of `format_line` before the text, appended to `out`: the same for every line of one
/// process within one second, so a batch formats it once.
void append_prefix(std::string& out, const OutputStyle& style, std::string_view hms,
                   std::string_view label, int color_index);

/// The rest of `format_line` after `append_prefix`: the text, tinted by `level` with colours,
/// and the '\n'.
void append_text(std::string& out, const OutputStyle& style, LogLevel level, std::string_view text);

/// The capacity of the tool's output queue: enough to ride out a burst, small enough to bound
/// memory (see `OutputQueue`).
inline constexpr std::size_t kOutputQueueCapacity = 1024 * 1024;

/// Formats lines and hands them to an `OutputQueue`, whose thread writes them to stdout whole, in
/// the order they were given, from any number of threads. After the first failed write nothing
/// more is written and the failure is reported once through `on_broken`.
class OutputWriter {
 public:
  /// A writer with `style`; `write` does the I/O (the tool passes `write_stdout`; tests capture)
  /// on the queue's thread, once `start()` has started it.
  OutputWriter(OutputStyle style, std::function<WriteStatus(std::string_view)> write,
               std::size_t capacity = kOutputQueueCapacity);

  /// Starts the writing thread (see `OutputQueue::start`).
  Result<void> start() { return queue_.start(); }

  /// Sets the callback run (once, on the writing thread, without a lock held) when a write fails.
  /// Call before `start()`.
  void set_on_broken(std::function<void()> on_broken) { queue_.set_on_broken(std::move(on_broken)); }

  /// Formats and queues one line stamped `time`; `wait` says whether it may wait for room (a
  /// process's output does, until `stop_waiting()`). Thread-safe.
  void line(std::chrono::system_clock::time_point time, std::string_view label, int color_index,
            LogLevel level, std::string_view text, PushWait wait = PushWait::ForRoom);

  /// Formats the `count` lines of child output at `records` (one process's, as the backend's
  /// batch sink passes them: `label` and `color_index` are that process's) into one buffer and
  /// queues it, so that they reach stdout in one write; a buffer that reaches 64 KiB is queued
  /// and a new one begun, so a write never splits a line and stays bounded. Each line is stamped
  /// with its record's timestamp. `wait` as for `line`. Thread-safe.
  void lines(const LogRecord* records, std::size_t count, std::string_view label, int color_index,
             PushWait wait = PushWait::ForRoom);

  /// A supervisor line, stamped now: `HH:MM:SS system | text`. Never waits for room.
  void system(std::string_view text, LogLevel level = LogLevel::Info);

  /// See `OutputQueue::stop_waiting`.
  void stop_waiting() { queue_.stop_waiting(); }
  /// See `OutputQueue::close`.
  void close(std::function<void()> on_flushed) { queue_.close(std::move(on_flushed)); }
  /// See `OutputQueue::finish`.
  OutputLoss finish() { return queue_.finish(); }

  /// True once a write has failed.
  bool broken() const { return queue_.broken(); }

  /// The style in use.
  const OutputStyle& style() const noexcept { return style_; }

 private:
  OutputStyle style_;
  OutputQueue queue_;
};

}  // namespace modhost::cli

namespace modhost::cli {

/// Whether to colour: `Always` and `Never` decide alone; `Auto` colours when stdout is a terminal,
/// `NO_COLOR` is unset or empty (no-color.org) and `TERM` is not `dumb`. `no_color` and `term`
/// are the variables' values, or nullptr when unset.
bool decide_color(ColorMode mode, bool stdout_is_tty, const char* no_color, const char* term) noexcept;

}  // namespace modhost::cli
