#include "output.hpp"

#include <algorithm>
#include <ctime>

namespace modhost::cli {

namespace {
// Red and yellow are left out of the process palette: they mean errors and warnings.
constexpr std::string_view kPalette[] = {"36", "32", "35", "34", "96", "92", "95", "94"};
constexpr std::string_view kReset = "\x1b[0m";
}  // namespace

std::size_t label_width(const std::vector<std::string>& labels) noexcept {
  std::size_t width = std::max<std::size_t>(6, kSystemLabel.size());
  for (const auto& l : labels) width = std::max(width, l.size());
  return width;
}

std::string_view color_for(int index) noexcept {
  if (index < 0) return "1";
  return kPalette[static_cast<std::size_t>(index) % (sizeof(kPalette) / sizeof(kPalette[0]))];
}

void append_prefix(std::string& out, const OutputStyle& style, std::string_view hms,
                   std::string_view label, int color_index) {
  if (!style.prefix) return;
  if (style.color) {
    out += "\x1b[";
    out += color_for(color_index);
    out += 'm';
  }
  if (style.timestamps) {
    out += hms;
    out += ' ';
  }
  out += label;
  if (label.size() < style.label_width) out.append(style.label_width - label.size(), ' ');
  out += " |";
  if (style.color) out += kReset;
  out += ' ';
}

void append_text(std::string& out, const OutputStyle& style, LogLevel level,
                 std::string_view text) {
  const bool tint = style.color && (level == LogLevel::Error || level == LogLevel::Warn);
  if (tint) out += level == LogLevel::Error ? "\x1b[31m" : "\x1b[33m";
  out += text;
  if (tint) out += kReset;
  out += '\n';
}

void append_line(std::string& out, const OutputStyle& style, std::string_view hms,
                 std::string_view label, int color_index, LogLevel level, std::string_view text) {
  append_prefix(out, style, hms, label, color_index);
  append_text(out, style, level, text);
}

std::string format_line(const OutputStyle& style, std::string_view hms, std::string_view label,
                        int color_index, LogLevel level, std::string_view text) {
  std::string out;
  out.reserve(text.size() + style.label_width + 32);
  append_line(out, style, hms, label, color_index, level, text);
  return out;
}

OutputWriter::OutputWriter(OutputStyle style, std::function<WriteStatus(std::string_view)> write,
                           std::size_t capacity)
    : style_(style), queue_(std::move(write), capacity) {}

void OutputWriter::line(std::chrono::system_clock::time_point time, std::string_view label,
                        int color_index, LogLevel level, std::string_view text, PushWait wait) {
  std::string hms = style_.prefix && style_.timestamps ? local_hms(time) : std::string();
  queue_.push(format_line(style_, hms, label, color_index, level, text), wait);
}

void OutputWriter::lines(const LogRecord* records, std::size_t count, std::string_view label,
                         int color_index, PushWait wait) {
  // About one write's worth: the queue's writer then writes each buffer as it is.
  constexpr std::size_t kBufferBytes = 64 * 1024;
  const bool stamped = style_.prefix && style_.timestamps;
  // Clock, label, bar, colour sequences and newline: an upper bound on what a line adds.
  const std::size_t prefix_bytes = style_.label_width + 48;
  std::string buffer;
  std::uint64_t in_buffer = 0;
  // The clock column changes once a second: local_hms (a localtime_r) and the prefix it is part
  // of are made once per second seen, and each line copies the prefix whole.
  std::time_t hms_second = 0;
  std::string prefix;
  bool have_prefix = false;
  for (std::size_t i = 0; i < count; ++i) {
    const LogRecord& r = records[i];
    if (stamped) {
      std::time_t second = std::chrono::system_clock::to_time_t(r.timestamp);
      if (!have_prefix || second != hms_second) {
        prefix.clear();
        append_prefix(prefix, style_, local_hms(r.timestamp), label, color_index);
        hms_second = second;
        have_prefix = true;
      }
    } else if (!have_prefix) {
      append_prefix(prefix, style_, std::string_view(), label, color_index);
      have_prefix = true;
    }
    if (in_buffer == 0) {
      // A buffer the queue's writer gave back (or a new one), with room for the lines still to
      // come, up to one buffer's worth.
      buffer = queue_.spare();
      std::size_t need = 0;
      for (std::size_t j = i; j < count && need < kBufferBytes; ++j) {
        need += records[j].line.size() + prefix_bytes;
      }
      buffer.reserve(need);
    }
    buffer += prefix;
    append_text(buffer, style_, r.level, r.line);
    ++in_buffer;
    if (buffer.size() >= kBufferBytes) {
      queue_.push(std::move(buffer), wait, in_buffer);
      in_buffer = 0;
    }
  }
  if (in_buffer != 0) queue_.push(std::move(buffer), wait, in_buffer);
}

void OutputWriter::system(std::string_view text, LogLevel level) {
  line(std::chrono::system_clock::now(), kSystemLabel, kSystemColor, level, text, PushWait::Never);
}

}  // namespace modhost::cli

namespace modhost::cli {

bool decide_color(ColorMode mode, bool stdout_is_tty, const char* no_color,
                  const char* term) noexcept {
  switch (mode) {
    case ColorMode::Always: return true;
    case ColorMode::Never: return false;
    case ColorMode::Auto: break;
  }
  if (!stdout_is_tty) return false;
  if (no_color != nullptr && *no_color != '\0') return false;
  if (term != nullptr && std::string_view(term) == "dumb") return false;
  return true;
}

}  // namespace modhost::cli
