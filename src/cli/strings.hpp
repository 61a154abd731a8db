#pragma once
// Small string helpers shared by the tool's parsers. Header-only: each is a few lines.

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace modhost::cli {

/// True for ASCII space, tab, CR, LF, vertical tab and form feed.
inline bool is_ascii_space(char c) noexcept {
  return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f';
}

/// True for ASCII letters and digits (never locale-dependent, unlike std::isalnum).
inline bool is_ascii_alnum(char c) noexcept {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

/// `text` without leading and trailing ASCII whitespace.
inline std::string_view trim(std::string_view text) noexcept {
  while (!text.empty() && is_ascii_space(text.front())) text.remove_prefix(1);
  while (!text.empty() && is_ascii_space(text.back())) text.remove_suffix(1);
  return text;
}

/// Calls `f(line)` for each line of `text`, without its `\n` or `\r\n`; a last line without a
/// newline counts, an empty text has no lines. Stops early when `f` returns false.
template <class F>
void for_each_line(std::string_view text, F&& f) {
  while (!text.empty()) {
    std::size_t nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text = nl == std::string_view::npos ? std::string_view() : text.substr(nl + 1);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (!f(line)) return;
  }
}

/// Splits `text` at every `sep`; "a,,b" gives {"a", "", "b"} and "" gives {""}.
inline std::vector<std::string_view> split(std::string_view text, char sep) {
  std::vector<std::string_view> parts;
  for (;;) {
    std::size_t at = text.find(sep);
    parts.push_back(text.substr(0, at));
    if (at == std::string_view::npos) return parts;
    text.remove_prefix(at + 1);
  }
}

/// Parses a non-negative decimal integer that fits in `int`; false on anything else.
inline bool parse_non_negative_int(std::string_view text, int& out) noexcept {
  if (text.empty() || text.size() > 9) return false;
  int value = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return false;
    value = value * 10 + (c - '0');
  }
  out = value;
  return true;
}

}  // namespace modhost::cli
