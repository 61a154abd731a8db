#pragma once
// Internal: the scanners of the text formats, logfmt pairs (`level=warn`, `lvl="error"`) and
// bracketed levels (`[ERROR]`), for log_level.cpp, which alone includes this. Every scanner
// works on [p, end) pointers, checks the bound before each read and allocates nothing. Not
// public API.

#include <cstddef>
#include <cstdint>
#include <cstring>

#include "modhost_level_words.hpp"

namespace modhost::detail::levels {

// ---- logfmt and bracketed tokens ----------------------------------------------------------------

// Where an unquoted logfmt value ends: at a blank or the end of the line.
struct UnquotedEnd {
  bool operator()(It at, bool at_end) const noexcept { return at_end || is_blank(*at); }
};

// An unquoted logfmt value that is a level name.
MODHOST_HOT_INLINE bool match_unquoted(It p, It end, LogLevel& out) noexcept {
  return match_name_before(p, end, out, UnquotedEnd{});
}

#if defined(MODHOST_LOG_LEVEL_SSE2)
// The sixteen bytes at `p` compared with the markers: each byte that is a '=' or a '[' all ones.
MODHOST_HOT_INLINE __m128i marker_bytes(It p) noexcept {
  const __m128i bytes = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
  return _mm_or_si128(_mm_cmpeq_epi8(bytes, _mm_set1_epi8('=')),
                      _mm_cmpeq_epi8(bytes, _mm_set1_epi8('[')));
}
#endif

// The first '=' or '[' in [p, end), or `end`: the bytes where a logfmt pair or a bracketed level
// can be recognised. One pass finds both, so a line with neither (most lines without a level)
// is read once here, not once per marker. Sixteen bytes at a time where SSE2 is there (every
// x86-64), a byte at a time elsewhere.
MODHOST_HOT_INLINE It find_marker(It p, It end) noexcept {
#if defined(MODHOST_LOG_LEVEL_SSE2)
  if (end - p >= 16) {
    auto hits = [](It at) { return static_cast<unsigned>(_mm_movemask_epi8(marker_bytes(at))); };
    const It last = end - 16;
    for (; p <= last; p += 16) {
      if (unsigned mask = hits(p)) return p + __builtin_ctz(mask);
    }
    if (p == end) return end;
    // The rest as the last sixteen bytes of the range, which overlap bytes already looked at:
    // they are shifted out of the mask, so nothing past `end` is read and nothing before `p`
    // is reported.
    unsigned mask = hits(last) >> (p - last);
    return mask != 0 ? p + __builtin_ctz(mask) : end;
  }
#endif
  while (p != end && *p != '=' && *p != '[') ++p;
  return p;
}

// The value of a `level` / `lvl` pair, from just past its '=': whether it is (possibly quoted) a
// level name.
MODHOST_HOT_INLINE bool logfmt_value(It value, It end, LogLevel& out) noexcept {
  if (value != end && *value == '"') {
    ++value;
    auto* value_end =
        static_cast<It>(std::memchr(value, '"', static_cast<std::size_t>(end - value)));
    return value_end != nullptr &&
           match_level(value, static_cast<std::size_t>(value_end - value), out);
  }
  return match_unquoted(value, end, out);
}

// `eq` is a '=': whether it ends a `level` / `lvl` key (at the start of the line or after a
// blank).
MODHOST_HOT_INLINE bool logfmt_key_before(It begin, It eq) noexcept {
  It key = nullptr;
  if (eq - begin >= 5 && ieq<5>(eq - 5, "level")) key = eq - 5;
  else if (eq - begin >= 3 && ieq<3>(eq - 3, "lvl")) key = eq - 3;
  return key != nullptr && (key == begin || is_blank(key[-1]));
}

// `eq` is a '=': whether it ends a `level` / `lvl` key whose value (possibly quoted) is a level
// name.
MODHOST_HOT_INLINE bool logfmt_at(It begin, It eq, It end, LogLevel& out) noexcept {
  return logfmt_key_before(begin, eq) && logfmt_value(eq + 1, end, out);
}

// ---- logfmt as loggers print it -----------------------------------------------------------------

// slog, go-kit and logrus print a logfmt line with its time first and its level second
// (`ts=2026-11-26T18:00:00.000Z level=info msg=...`), or with the level first. The first bytes of
// such a line where a marker ('=', '[') or a blank is ("stops") show that shape, and then decide
// the line as the general scan would: that scan tries the markers in order, and here the first
// marker is the first pair's '=', the next one, past the first value (which holds no marker and no
// blank) and one blank, is the '=' of a `level` or `lvl` key, whose letters hold no marker.
// Whatever does not fit (a quoted time with a blank in it, a tab, a '[', a level pair further on,
// a line shorter than the window) is left to the general scan: false then.
constexpr std::ptrdiff_t kStopWindow = 48;

#if defined(MODHOST_LOG_LEVEL_SSE2)
// The stops of the sixteen bytes at `p`: bit i for byte i.
MODHOST_HOT_INLINE unsigned stop_bits(It p) noexcept {
  const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
  const __m128i hit = _mm_or_si128(
      _mm_or_si128(_mm_cmpeq_epi8(v, _mm_set1_epi8('=')), _mm_cmpeq_epi8(v, _mm_set1_epi8('['))),
      _mm_cmpeq_epi8(v, _mm_set1_epi8(' ')));
  return static_cast<unsigned>(_mm_movemask_epi8(hit));
}
#endif

// The stops of a line's first kStopWindow bytes, one after another: a mask where SSE2 is there,
// a byte loop elsewhere.
class Stops {
 public:
  explicit Stops(It begin) noexcept : begin_(begin) {
#if defined(MODHOST_LOG_LEVEL_SSE2)
    // The time pair usually ends within 32 bytes: the last sixteen are looked at only when not.
    bits_ = stop_bits(begin) | std::uint64_t{stop_bits(begin + 16)} << 16;
#else
    from_ = begin;
#endif
  }

  // The next stop, or nullptr when the window holds no more.
  It next() noexcept {
#if defined(MODHOST_LOG_LEVEL_SSE2)
    if (bits_ == 0) {
      if (last_block_) return nullptr;
      last_block_ = true;
      bits_ = std::uint64_t{stop_bits(begin_ + 32)} << 32;
      if (bits_ == 0) return nullptr;
    }
    It at = begin_ + __builtin_ctzll(bits_);
    bits_ &= bits_ - 1;
    return at;
#else
    const It limit = begin_ + kStopWindow;
    It at = from_;
    while (at != limit && *at != '=' && *at != '[' && *at != ' ') ++at;
    if (at == limit) return nullptr;
    from_ = at + 1;
    return at;
#endif
  }

 private:
  It begin_;
#if defined(MODHOST_LOG_LEVEL_SSE2)
  std::uint64_t bits_;
  bool last_block_ = false;
#else
  It from_;
#endif
};

// Where the value of the level pair starts in a line of that shape (just past its '='), or
// nullptr when the line is not of that shape. Calls nothing, so that its caller needs no saved
// registers on the way to a decision.
MODHOST_HOT_INLINE It logfmt_level_value(It begin, It end) noexcept {
  if (end - begin < kStopWindow) return nullptr;
  Stops stops(begin);
  It eq = stops.next();
  if (eq == nullptr || *eq != '=') return nullptr;
  if (logfmt_key_before(begin, eq)) return eq + 1;  // the level pair first
  It blank = stops.next();
  if (blank == nullptr || *blank != ' ') return nullptr;
  It key = blank + 1;
  if (end - key >= 6 && ieq<5>(key, "level") && key[5] == '=') return key + 6;
  if (end - key >= 4 && ieq<3>(key, "lvl") && key[3] == '=') return key + 4;
  return nullptr;
}

// `open` is a '[': whether a level name and a ']' follow. Level names are 3 to 8 bytes long, so
// only that window is searched for the ']'.
inline bool bracket_at(It open, It end, LogLevel& out) noexcept {
  It p = open + 1;
  It limit = end - p > 9 ? p + 9 : end;
  It close = p;
  while (close != limit && *close != ']') ++close;
  return close != limit && match_level(p, static_cast<std::size_t>(close - p), out);
}

}  // namespace modhost::detail::levels
