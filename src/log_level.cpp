// detect_log_level: recognises the level of a line a child wrote, on the hot path of forwarding.
//
// Every scanner below works on [p, end) pointers, checks the bound before each read, allocates
// nothing and moves only forward, so the whole detection is linear in the line's length. The first
// non-blank byte picks the scanner ('{' for JSON, a digit for the plain tracing format), which
// keeps a typical plain line to a few dozen byte comparisons.

#include <cstddef>
#include <cstring>
#include <string_view>

#include "modhost/log.hpp"

namespace modhost {

namespace {

using It = const char*;

bool is_blank(char c) noexcept { return c == ' ' || c == '\t'; }
bool is_digit(char c) noexcept { return c >= '0' && c <= '9'; }

// Case-insensitive comparison of `n` bytes against a lowercase ASCII word. `c | 0x20` equals a
// lowercase letter only for that letter in either case, so no other byte can match.
bool ieq(It p, const char* lower, std::size_t n) noexcept {
  for (std::size_t i = 0; i < n; ++i) {
    if ((static_cast<unsigned char>(p[i]) | 0x20) != static_cast<unsigned char>(lower[i])) {
      return false;
    }
  }
  return true;
}

// Maps a level name (any case) to its level; false for anything else.
bool match_level(It p, std::size_t n, LogLevel& out) noexcept {
  switch (n) {
    case 3:
      if (ieq(p, "err", 3)) return out = LogLevel::Error, true;
      return false;
    case 4:
      if (ieq(p, "info", 4)) return out = LogLevel::Info, true;
      if (ieq(p, "warn", 4)) return out = LogLevel::Warn, true;
      return false;
    case 5:
      if (ieq(p, "error", 5)) return out = LogLevel::Error, true;
      if (ieq(p, "debug", 5)) return out = LogLevel::Debug, true;
      if (ieq(p, "trace", 5)) return out = LogLevel::Trace, true;
      if (ieq(p, "fatal", 5)) return out = LogLevel::Error, true;
      if (ieq(p, "panic", 5)) return out = LogLevel::Error, true;
      return false;
    case 7:
      if (ieq(p, "warning", 7)) return out = LogLevel::Warn, true;
      return false;
    case 8:
      if (ieq(p, "critical", 8)) return out = LogLevel::Error, true;
      return false;
    default:
      return false;
  }
}

// Skips blanks and ANSI CSI sequences (ESC '[' ... final byte), which coloured tracing output
// puts around its fields.
It skip_separators(It p, It end) noexcept {
  while (p != end) {
    if (is_blank(*p)) {
      ++p;
    } else if (*p == '\x1b' && end - p >= 2 && p[1] == '[') {
      p += 2;
      while (p != end && !(static_cast<unsigned char>(*p) >= 0x40 && static_cast<unsigned char>(*p) <= 0x7e)) ++p;
      if (p != end) ++p;
    } else {
      break;
    }
  }
  return p;
}

// ---- JSON ---------------------------------------------------------------------------------------

enum class JsonOutcome { Found, NoLevel, Malformed };

// Moves `p` just past the closing quote of the string whose opening quote was already consumed;
// false when the string is not terminated. Backslash escapes are skipped as a pair of bytes.
bool skip_json_string(It& p, It end) noexcept {
  while (p != end) {
    char c = *p++;
    if (c == '"') return true;
    if (c == '\\') {
      if (p == end) return false;
      ++p;
    }
  }
  return false;
}

It skip_json_ws(It p, It end) noexcept {
  while (p != end && (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n')) ++p;
  return p;
}

// `p` is just past the top-level '{'. Finds a top-level "level" member with a string value;
// values of other members (nested objects and arrays included) are skipped by tracking depth and
// strings, so a "level" inside them never counts.
JsonOutcome scan_json(It p, It end, LogLevel& out) noexcept {
  int depth = 1;
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
      if (key_len == 5 && ieq(start, "level", 5) && p != end && *p == '"') {
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

// ---- Plain tracing-subscriber format ------------------------------------------------------------

// Bytes that make up a timestamp token such as 2026-11-26T18:00:00.123456Z or 18:00:00,123+02:00.
bool is_timestamp_byte(char c) noexcept {
  return is_digit(c) || c == '-' || c == ':' || c == '.' || c == ',' || c == 'T' || c == 'Z' ||
         c == '+';
}

// `p` is at the first byte of the line's first token, a digit.
bool scan_plain(It p, It end, LogLevel& out) noexcept {
  It token = p;
  bool has_separator = false;
  while (p != end && is_timestamp_byte(*p)) {
    has_separator |= (*p == '-' || *p == ':');
    ++p;
  }
  if (p - token < 8 || !has_separator) return false;
  if (p != end && !is_blank(*p) && *p != '\x1b') return false;
  p = skip_separators(p, end);
  It word = p;
  while (p != end && !is_blank(*p) && *p != '\x1b') ++p;
  return match_level(word, static_cast<std::size_t>(p - word), out);
}

// ---- logfmt and bracketed tokens ----------------------------------------------------------------

// The first `level=` / `lvl=` pair (key at the start of the line or after a blank, value possibly
// quoted) whose value is a level name. Returns its key position, or null.
It scan_logfmt(It begin, It end, LogLevel& out) noexcept {
  It p = begin;
  while (p != end) {
    auto* eq = static_cast<It>(std::memchr(p, '=', static_cast<std::size_t>(end - p)));
    if (eq == nullptr) return nullptr;
    p = eq + 1;
    It key = nullptr;
    if (eq - begin >= 5 && ieq(eq - 5, "level", 5)) key = eq - 5;
    else if (eq - begin >= 3 && ieq(eq - 3, "lvl", 3)) key = eq - 3;
    if (key == nullptr || (key != begin && !is_blank(key[-1]))) continue;
    It value = p;
    It value_end;
    if (value != end && *value == '"') {
      ++value;
      value_end = static_cast<It>(std::memchr(value, '"', static_cast<std::size_t>(end - value)));
      if (value_end == nullptr) continue;
    } else {
      value_end = value;
      while (value_end != end && !is_blank(*value_end)) ++value_end;
    }
    if (match_level(value, static_cast<std::size_t>(value_end - value), out)) return key;
  }
  return nullptr;
}

// The first `[name]` token whose name is a level name. Returns the '[' position, or null.
It scan_brackets(It begin, It end, LogLevel& out) noexcept {
  It p = begin;
  while (p != end) {
    auto* open = static_cast<It>(std::memchr(p, '[', static_cast<std::size_t>(end - p)));
    if (open == nullptr) return nullptr;
    p = open + 1;
    // Level names are 3 to 8 bytes long, so only that window is searched for the ']'.
    It limit = end - p > 9 ? p + 9 : end;
    It close = p;
    while (close != limit && *close != ']') ++close;
    if (close != limit && match_level(p, static_cast<std::size_t>(close - p), out)) return open;
  }
  return nullptr;
}

}  // namespace

LogLevel detect_log_level(std::string_view line) noexcept {
  It begin = line.data();
  It end = begin + line.size();
  It first = skip_separators(begin, end);
  if (first == end) return LogLevel::Info;

  LogLevel level = LogLevel::Info;
  if (*first == '{') {
    switch (scan_json(first + 1, end, level)) {
      case JsonOutcome::Found: return level;
      case JsonOutcome::NoLevel: return LogLevel::Info;
      case JsonOutcome::Malformed: break;  // Not JSON after all: try the text formats.
    }
  } else if (is_digit(*first)) {
    if (scan_plain(first, end, level)) return level;
  }

  // The earliest logfmt pair or bracketed token wins.
  LogLevel logfmt_level = LogLevel::Info;
  LogLevel bracket_level = LogLevel::Info;
  It logfmt_at = scan_logfmt(begin, end, logfmt_level);
  It bracket_at = scan_brackets(begin, logfmt_at != nullptr ? logfmt_at : end, bracket_level);
  if (bracket_at != nullptr) return bracket_level;
  if (logfmt_at != nullptr) return logfmt_level;
  return LogLevel::Info;
}

}  // namespace modhost
