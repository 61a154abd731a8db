// The general JSON scanner of detect_log_level: a top-level "level" member found by walking the
// object's members, for the JSON lines the fast path of log_level.cpp (the level as the first
// member) does not decide.

#include <cstddef>
#include <cstring>

#include "modhost_level_words.hpp"

namespace modhost::detail::levels {

namespace {

// Moves `p` just past the closing quote of the string whose opening quote was already consumed;
// false when the string is not terminated. Backslash escapes are skipped as a pair of bytes.
bool skip_json_string(It& p, It end) noexcept {
  It from = p;
  while (from != end) {
    auto* quote = static_cast<It>(std::memchr(from, '"', static_cast<std::size_t>(end - from)));
    if (quote == nullptr) return false;
    // The quote is escaped when an odd number of backslashes precede it. The count stops at the
    // previous quote or the string's start, so every byte is looked at a bounded number of times.
    It b = quote;
    while (b != p && b[-1] == '\\') --b;
    from = quote + 1;
    if ((quote - b) % 2 == 0) {
      p = from;
      return true;
    }
  }
  return false;
}

It skip_json_ws(It p, It end) noexcept {
  while (p != end && (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n')) ++p;
  return p;
}

}  // namespace

JsonOutcome scan_json(It p, It end, LogLevel& out) noexcept {
  std::size_t depth = 1;  // Wide enough for any line in memory.
  bool expect_key = true;
  while (p != end) {
    char c = *p++;
    if (depth == 1 && expect_key && c != '"' && c != '}' && c != ' ' && c != '\t' && c != '\r' &&
        c != '\n') {
      // Where a member name must start, anything but a string means this is not JSON (the
      // values themselves are skipped without being validated).
      return JsonOutcome::Malformed;
    }
    if (c == '"') {
      It start = p;
      if (!skip_json_string(p, end)) return JsonOutcome::Malformed;
      if (depth != 1 || !expect_key) continue;
      expect_key = false;
      std::size_t key_len = static_cast<std::size_t>(p - start) - 1;
      p = skip_json_ws(p, end);
      if (p == end || *p != ':') return JsonOutcome::Malformed;
      p = skip_json_ws(p + 1, end);
      if (key_len == 5 && ieq<5>(start, "level") && p != end && *p == '"') {
        It value = ++p;
        if (!skip_json_string(p, end)) return JsonOutcome::Malformed;
        // An escaped name ("err\u006fr") is not worth decoding; it is simply not recognised.
        if (match_level(value, static_cast<std::size_t>(p - value) - 1, out)) return JsonOutcome::Found;
        return JsonOutcome::NoLevel;
      }
    } else if (c == '{' || c == '[') {
      ++depth;
    } else if (c == '}' || c == ']') {
      if (--depth == 0) return JsonOutcome::NoLevel;
    } else if (c == ',' && depth == 1) {
      expect_key = true;
    }
  }
  return JsonOutcome::Malformed;
}

}  // namespace modhost::detail::levels
