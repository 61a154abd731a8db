// The reference level detector the fuzzer compares src/log_level.cpp with: the scanners as they
// were before the fast paths (first-byte table, JSON "level" first, the RFC 3339 timestamp, digit
// runs eight at a time), written for plainness. The fast paths must never change a result, so on
// every input both must agree (test/fuzz/fuzz_lines.cpp aborts when they do not).
//
// Every scanner below works on [p, end) pointers, checks the bound before each read, allocates
// nothing and moves only forward. The first non-blank byte picks the scanner ('{' for JSON, a
// digit for the plain tracing format).

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>
#include <type_traits>

#include "log_level_reference.hpp"

namespace modhost::reference {

namespace {

using It = const char*;

bool is_blank(char c) noexcept { return c == ' ' || c == '\t'; }
bool is_digit(char c) noexcept { return c >= '0' && c <= '9'; }

// Case-insensitive comparison of `N` bytes against a lowercase ASCII word, as one integer
// compare: `byte | 0x20` equals a lowercase letter only for that letter in either case, so no
// other byte can match. memcpy keeps it free of alignment and endianness assumptions.
template <std::size_t N>
bool ieq(It p, const char (&lower)[N + 1]) noexcept {
  static_assert(N == 3 || N == 4 || N == 5 || N == 7 || N == 8, "no word of this length");
  using Word = std::conditional_t<(N <= 4), std::uint32_t, std::uint64_t>;
  Word have = 0;
  Word want = 0;
  Word fold = 0;
  std::memcpy(&have, p, N);
  std::memcpy(&want, lower, N);
  std::memset(&fold, 0x20, N);
  return (have | fold) == want;
}

// Maps a level name (any case) to its level; false for anything else.
bool match_level(It p, std::size_t n, LogLevel& out) noexcept {
  switch (n) {
    case 3:
      if (ieq<3>(p, "err")) return out = LogLevel::Error, true;
      return false;
    case 4:
      if (ieq<4>(p, "info")) return out = LogLevel::Info, true;
      if (ieq<4>(p, "warn")) return out = LogLevel::Warn, true;
      return false;
    case 5:
      if (ieq<5>(p, "error")) return out = LogLevel::Error, true;
      if (ieq<5>(p, "debug")) return out = LogLevel::Debug, true;
      if (ieq<5>(p, "trace")) return out = LogLevel::Trace, true;
      if (ieq<5>(p, "fatal")) return out = LogLevel::Error, true;
      if (ieq<5>(p, "panic")) return out = LogLevel::Error, true;
      return false;
    case 7:
      if (ieq<7>(p, "warning")) return out = LogLevel::Warn, true;
      return false;
    case 8:
      if (ieq<8>(p, "critical")) return out = LogLevel::Error, true;
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

// `p` is just past the top-level '{'. Finds a top-level "level" member with a string value;
// values of other members (nested objects and arrays included) are skipped by tracking depth and
// strings, so a "level" inside them never counts.
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

// ---- Plain tracing-subscriber format ------------------------------------------------------------

// Byte classes for the plain format, in one table so the timestamp scan costs a load per byte:
// 1 for bytes of a timestamp token (2026-11-26T18:00:00.123456Z, 18:00:00,123+02:00), 3 for the
// two separators ('-' and ':') that tell a timestamp from a plain number.
struct TimestampTable {
  unsigned char cls[256] = {};
  constexpr TimestampTable() {
    for (int c = '0'; c <= '9'; ++c) cls[c] = 1;
    cls[static_cast<unsigned char>('.')] = 1;
    cls[static_cast<unsigned char>(',')] = 1;
    cls[static_cast<unsigned char>('T')] = 1;
    cls[static_cast<unsigned char>('Z')] = 1;
    cls[static_cast<unsigned char>('+')] = 1;
    cls[static_cast<unsigned char>('-')] = 3;
    cls[static_cast<unsigned char>(':')] = 3;
  }
};
constexpr TimestampTable kTimestamp;

// The token at `p` (up to a blank, an ESC or the end) is a level name. Rather than scanning for
// the token's end, the first letter says which lengths are possible, and only the byte after each
// candidate length is checked (names are letters only, so a match never spans a blank).
bool match_word(It p, It end, LogLevel& out) noexcept {
  const auto avail = static_cast<std::size_t>(end - p);
  auto ends_after = [p, avail](std::size_t n) {
    return avail == n || (avail > n && (is_blank(p[n]) || p[n] == '\x1b'));
  };
  auto is = [&](std::size_t n) { return ends_after(n) && match_level(p, n, out); };
  if (avail < 3) return false;
  switch (static_cast<unsigned char>(p[0]) | 0x20) {
    case 'e': return is(5) || is(3);
    case 'w': return is(4) || is(7);
    case 'i': return is(4);
    case 'd': case 't': case 'f': case 'p': return is(5);
    case 'c': return is(8);
    default: return false;
  }
}

// `p` is at the first byte of the line's first token, a digit.
bool scan_plain(It p, It end, LogLevel& out) noexcept {
  if (end - p >= 19 && p[4] == '-' && p[7] == '-' && p[10] == 'T' && p[13] == ':' && p[16] == ':') {
    // The RFC 3339 shape tracing-subscriber prints: five separator bytes at fixed places are
    // enough to recognise it, and only the fraction and zone after them need scanning.
    p += 19;
    while (p != end && kTimestamp.cls[static_cast<unsigned char>(*p)] != 0) ++p;
  } else {
    It token = p;
    unsigned seen = 0;
    while (p != end) {
      unsigned cls = kTimestamp.cls[static_cast<unsigned char>(*p)];
      if (cls == 0) break;
      seen |= cls;
      ++p;
    }
    if (p - token < 8 || seen != 3) return false;
  }
  if (p != end && !is_blank(*p) && *p != '\x1b') return false;
  p = skip_separators(p, end);
  return match_word(p, end, out);
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
    if (eq - begin >= 5 && ieq<5>(eq - 5, "level")) key = eq - 5;
    else if (eq - begin >= 3 && ieq<3>(eq - 3, "lvl")) key = eq - 3;
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
  if (begin == end) return LogLevel::Info;
  // Most lines start with their first token; the call is only worth making when they do not.
  It first = (is_blank(*begin) || *begin == '\x1b') ? skip_separators(begin, end) : begin;
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

}  // namespace modhost::reference
