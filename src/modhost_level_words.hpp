#pragma once
// Internal: what the files of level detection share (log_level.cpp, the hot path, and
// log_level_json.cpp, the general JSON scanner): case-insensitive word compares and the level
// names, and the JSON scanner's entry. Not public API.

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <type_traits>

#include "modhost/log.hpp"

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

// What scan_json found in a line that starts with '{'.
enum class JsonOutcome { Found, NoLevel, Malformed };

// `p` is just past the top-level '{'. Finds a top-level "level" member with a string value;
// values of other members (nested objects and arrays included) are skipped by tracking depth and
// strings, so a "level" inside them never counts. Malformed when the line is not a JSON object
// after all (the caller then tries the text formats).
JsonOutcome scan_json(It p, It end, LogLevel& out) noexcept;

}  // namespace modhost::detail::levels
