#pragma once
// The tool's output: `HH:MM:SS label | line`, labels padded to one width, a colour per process,
// errors red and warnings yellow; and a writer that puts each line out whole.

#include <chrono>
#include <cstddef>
#include <functional>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "options.hpp"
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

/// Writes formatted lines to stdout, one whole line per write, from any thread. After the first
/// failed write it writes nothing more and reports the failure once through `on_broken`.
class OutputWriter {
 public:
  /// A writer with `style`; `write` does the I/O (the tool passes `write_stdout`; tests capture).
  OutputWriter(OutputStyle style, std::function<WriteStatus(std::string_view)> write);

  /// Sets the callback run (once, on the writing thread, without the writer's lock held) when a
  /// write fails. Call before any line is written.
  void set_on_broken(std::function<void()> on_broken);

  /// Formats and writes one line stamped `time`. Thread-safe.
  void line(std::chrono::system_clock::time_point time, std::string_view label, int color_index,
            LogLevel level, std::string_view text);

  /// A supervisor line, stamped now: `HH:MM:SS system | text`.
  void system(std::string_view text, LogLevel level = LogLevel::Info);

  /// True once a write has failed.
  bool broken() const;

  /// The style in use.
  const OutputStyle& style() const noexcept { return style_; }

 private:
  OutputStyle style_;
  std::function<WriteStatus(std::string_view)> write_;
  std::function<void()> on_broken_;
  mutable std::mutex mutex_;
  bool broken_ = false;
};

}  // namespace modhost::cli

namespace modhost::cli {

/// Whether to colour: `Always` and `Never` decide alone; `Auto` colours when stdout is a terminal,
/// `NO_COLOR` is unset or empty (no-color.org) and `TERM` is not `dumb`. `no_color` and `term`
/// are the variables' values, or nullptr when unset.
bool decide_color(ColorMode mode, bool stdout_is_tty, const char* no_color, const char* term) noexcept;

}  // namespace modhost::cli
