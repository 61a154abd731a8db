#pragma once
// Internal: what the files of level detection share (log_level.cpp, the hot path,
// modhost_level_text.hpp, its logfmt and bracket scanners, and log_level_json.cpp, the general
// JSON scanner): case-insensitive word compares, the level names and their matchers, and the
// JSON scanner's entry. Not public API.

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <type_traits>

#include "modhost/log.hpp"

// The scanners every line of a shape runs through are forced inline into their one or two
// callers: the fast paths (the plain format, JSON with the level first) into detect(), so that
// those lines are decided without a call, and the marker search and logfmt check into the text
// scan. The compiler's own choice kept some of them out of line, at a call's cost per line.
// The rest of the detection is kept out of line (MODHOST_NOINLINE), so that the paths that decide
// a line early save no registers for it.
#if defined(__GNUC__) || defined(__clang__)
#define MODHOST_HOT_INLINE inline __attribute__((always_inline))
#define MODHOST_NOINLINE __attribute__((noinline))
#else
#define MODHOST_HOT_INLINE inline
#define MODHOST_NOINLINE
#endif

// SSE2 is part of every x86-64; elsewhere each scanner has a portable loop beside it.
#if defined(__SSE2__) && (defined(__GNUC__) || defined(__clang__))
#include <emmintrin.h>
#define MODHOST_LOG_LEVEL_SSE2 1
#endif

namespace modhost::detail::levels {

using It = const char*;

// Case-insensitive comparison of `N` bytes against a lowercase ASCII word: `byte | 0x20` equals a
// lowercase letter only for that letter in either case, so no other byte can match. The bytes are
// compared as at most two integers, the second load overlapping the first when N is not a power of
// two (5 = 4 + 4 from offset 1); memcpy keeps it free of alignment and endianness assumptions.
template <class Word>
inline bool ieq_word(It p, const char* lower) noexcept {
  Word have = 0;
  Word want = 0;
  Word fold = 0;
  std::memcpy(&have, p, sizeof(Word));
  std::memcpy(&want, lower, sizeof(Word));
  std::memset(&fold, 0x20, sizeof(Word));
  return (have | fold) == want;
}

template <std::size_t N>
inline bool ieq(It p, const char (&lower)[N + 1]) noexcept {
  static_assert(N == 3 || N == 4 || N == 5 || N == 7 || N == 8, "no word of this length");
  using Word = std::conditional_t<(N < 4), std::uint16_t,
                                  std::conditional_t<(N < 8), std::uint32_t, std::uint64_t>>;
  if constexpr (sizeof(Word) == N) {
    return ieq_word<Word>(p, lower);
  } else {
    constexpr std::size_t kTail = N - sizeof(Word);
    return ieq_word<Word>(p, lower) && ieq_word<Word>(p + kTail, lower + kTail);
  }
}

// Maps a level name (any case) to its level; false for anything else.
inline bool match_level(It p, std::size_t n, LogLevel& out) noexcept {
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

inline bool is_blank(char c) noexcept { return c == ' ' || c == '\t'; }

// The level name at `p`, followed by `terminator(p[n])` where n is its length. Only the names
// starting with p[0] are tried, and only the byte after each is looked at, so a value is never
// scanned to its end. The same result as `terminator(p[n]) && match_level(p, n, out)` for every n.
template <class Terminator>
bool match_other_name_before(It p, It end, LogLevel& out, Terminator terminator) noexcept {
  const auto avail = static_cast<std::size_t>(end - p);
  if (avail < 3) return false;
  auto ends_at = [&](std::size_t n) {
    return avail == n ? terminator(end, true) : avail > n && terminator(p + n, false);
  };
  auto found = [&](LogLevel level) {
    out = level;
    return true;
  };
  switch (static_cast<unsigned char>(p[0]) | 0x20) {
    case 'i':
      return false;  // "info" was tried, and no other name starts with 'i'.
    case 'w':
      if (avail >= 4 && ieq<4>(p, "warn") && ends_at(4)) return found(LogLevel::Warn);
      return avail >= 7 && ieq<7>(p, "warning") && ends_at(7) && found(LogLevel::Warn);
    case 'e':
      if (avail >= 5 && ieq<5>(p, "error") && ends_at(5)) return found(LogLevel::Error);
      return ieq<3>(p, "err") && ends_at(3) && found(LogLevel::Error);
    case 'd':
      return avail >= 5 && ieq<5>(p, "debug") && ends_at(5) && found(LogLevel::Debug);
    case 't':
      return avail >= 5 && ieq<5>(p, "trace") && ends_at(5) && found(LogLevel::Trace);
    case 'f':
      return avail >= 5 && ieq<5>(p, "fatal") && ends_at(5) && found(LogLevel::Error);
    case 'p':
      return avail >= 5 && ieq<5>(p, "panic") && ends_at(5) && found(LogLevel::Error);
    case 'c':
      return avail >= 8 && ieq<8>(p, "critical") && ends_at(8) && found(LogLevel::Error);
    default:
      return false;
  }
}

// Whether the name at `p` is INFO (any case), followed by `terminator(p[4])`.
template <class Terminator>
MODHOST_HOT_INLINE bool info_before(It p, It end, Terminator terminator) noexcept {
  const auto avail = end - p;
  return avail >= 4 && ieq<4>(p, "info") &&
         (avail == 4 ? terminator(end, true) : terminator(p + 4, false));
}

// Most lines are at INFO: that name is tried here, inline in each caller, and the other names
// by a call.
template <class Terminator>
MODHOST_HOT_INLINE bool match_name_before(It p, It end, LogLevel& out,
                                          Terminator terminator) noexcept {
  if (info_before(p, end, terminator)) {
    out = LogLevel::Info;
    return true;
  }
  return match_other_name_before(p, end, out, terminator);
}

// What scan_json found in a line that starts with '{'.
enum class JsonOutcome { Found, NoLevel, Malformed };

// `p` is just past the top-level '{'. Finds a top-level "level" member with a string value;
// values of other members (nested objects and arrays included) are skipped by tracking depth and
// strings, so a "level" inside them never counts. Malformed when the line is not a JSON object
// after all (the caller then tries the text formats).
JsonOutcome scan_json(It p, It end, LogLevel& out) noexcept;

}  // namespace modhost::detail::levels
