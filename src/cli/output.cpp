#include "output.hpp"

#include <algorithm>

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

std::string format_line(const OutputStyle& style, std::string_view hms, std::string_view label,
                        int color_index, LogLevel level, std::string_view text) {
  std::string out;
  out.reserve(text.size() + style.label_width + 32);
  if (style.prefix) {
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
  const bool tint = style.color && (level == LogLevel::Error || level == LogLevel::Warn);
  if (tint) out += level == LogLevel::Error ? "\x1b[31m" : "\x1b[33m";
  out += text;
  if (tint) out += kReset;
  out += '\n';
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
