#pragma once
// Internal: the fast paths of level detection, inline for the log forwarder's loop over the lines
// of a chunk (src/backend/forwarder.cpp) and for detect_log_level (log_level.cpp). The shapes real
// loggers print (the plain tracing format, JSON with its "level" first) are decided here; every
// other line goes to the scanners of log_level.cpp, out of line. Not public API.

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "modhost_level_words.hpp"
#include "modhost_log_level.hpp"
#include "modhost/log.hpp"

namespace modhost::detail::levels {

// What the first byte of a line (after blanks and colour sequences) lets it be.
enum FirstByte : unsigned char { kText = 0, kDigit, kBrace, kSeparator };

struct FirstByteTable {
  unsigned char cls[256] = {};
  constexpr FirstByteTable() {
    for (int c = '0'; c <= '9'; ++c) cls[c] = kDigit;
    cls[static_cast<unsigned char>('{')] = kBrace;
    cls[static_cast<unsigned char>(' ')] = kSeparator;
    cls[static_cast<unsigned char>('\t')] = kSeparator;
    cls[0x1b] = kSeparator;
  }
};
inline constexpr FirstByteTable kFirstByte;

// Skips blanks and ANSI CSI sequences (ESC '[' ... final byte), which coloured tracing output
// puts around its fields.
inline It skip_separators(It p, It end) noexcept {
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


// `p` is just past the top-level '{'. The shape most JSON loggers print, `{"level":"info",...`
// (the key in any case), decided without scan_json: the result is the one scan_json gives, since
// it stops at this first member too, and a level name (letters only) followed by a quote is a
// whole, unescaped string. Anything else (another first member, a value that is no level name,
// an escape) is left to scan_json: false then.
MODHOST_HOT_INLINE bool json_level_first(It p, It end, LogLevel& out) noexcept {
  if (end - p < 10 || p[0] != '"' || !ieq<5>(p + 1, "level") || p[6] != '"' || p[7] != ':' ||
      p[8] != '"') {
    return false;
  }
  return match_name_before(p + 9, end, out,
                           [](It at, bool at_end) { return !at_end && *at == '"'; });
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
inline constexpr TimestampTable kTimestamp;

// The token at `p` (up to a blank, an ESC or the end) is a level name. Names are letters only, so
// a match never spans a blank.
MODHOST_HOT_INLINE bool match_word(It p, It end, LogLevel& out) noexcept {
  return match_name_before(p, end, out, [](It at, bool at_end) {
    return at_end || is_blank(*at) || *at == '\x1b';
  });
}

#if defined(MODHOST_LOG_LEVEL_SSE2)
// The sixteen bytes at `p` by timestamp class: bit i of `bytes` is set when byte i is a timestamp
// byte (kTimestamp class 1 or 3), bit i of `separators` when it is a '-' or ':' (class 3).
// Timestamp bytes are 0x2B-0x3A ("+,-.0123456789:") but '/', and 'T' and 'Z'.
struct TimestampBlock {
  unsigned bytes;
  unsigned separators;
};

MODHOST_HOT_INLINE TimestampBlock timestamp_block(It p) noexcept {
  const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
  const __m128i offset = _mm_sub_epi8(v, _mm_set1_epi8(0x2B));
  const __m128i in_range = _mm_cmpeq_epi8(_mm_min_epu8(offset, _mm_set1_epi8(0x0F)), offset);
  const __m128i ts = _mm_or_si128(
      _mm_andnot_si128(_mm_cmpeq_epi8(v, _mm_set1_epi8('/')), in_range),
      _mm_or_si128(_mm_cmpeq_epi8(v, _mm_set1_epi8('T')), _mm_cmpeq_epi8(v, _mm_set1_epi8('Z'))));
  const __m128i sep = _mm_or_si128(_mm_cmpeq_epi8(v, _mm_set1_epi8('-')),
                                   _mm_cmpeq_epi8(v, _mm_set1_epi8(':')));
  return TimestampBlock{static_cast<unsigned>(_mm_movemask_epi8(ts)),
                        static_cast<unsigned>(_mm_movemask_epi8(sep))};
}
#endif

// The end of the run of timestamp bytes at `p`.
MODHOST_HOT_INLINE It timestamp_end(It p, It end) noexcept {
#if defined(MODHOST_LOG_LEVEL_SSE2)
  while (end - p >= 16) {
    const unsigned others = ~timestamp_block(p).bytes & 0xFFFFu;
    if (others != 0) return p + __builtin_ctz(others);
    p += 16;
  }
#endif
  while (p != end && kTimestamp.cls[static_cast<unsigned char>(*p)] != 0) ++p;
  return p;
}

// `p` is at the first byte of the line's first token, a digit.
MODHOST_HOT_INLINE bool scan_plain(It p, It end, LogLevel& out) noexcept {
  if (end - p >= 19 && p[4] == '-' && p[7] == '-' && p[10] == 'T' && p[13] == ':' && p[16] == ':') {
    // The RFC 3339 shape tracing-subscriber prints: five separator bytes at fixed places are
    // enough to recognise it, and only the fraction and zone after them need scanning.
    p += 19;
#if defined(MODHOST_LOG_LEVEL_SSE2)
    if (end - p >= 16) {
      // The fraction, the zone and the spaces after them usually fit in the next sixteen bytes:
      // one block gives where the token ends and how many spaces follow, and when the first
      // byte after them lies in the block too, the rest is decided here as below (the spaces
      // skipped, colour or tab left to skip_separators, no space at all not a separator).
      const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
      const unsigned others = ~timestamp_block(p).bytes & 0xFFFFu;
      if (others == 0) {
        p = timestamp_end(p + 16, end);
      } else {
        const unsigned n = static_cast<unsigned>(__builtin_ctz(others));
        const unsigned spaces = static_cast<unsigned>(
            _mm_movemask_epi8(_mm_cmpeq_epi8(v, _mm_set1_epi8(' '))));
        const unsigned run = static_cast<unsigned>(__builtin_ctz(~(spaces >> n)));
        p += n + run;
        if (n + run < 16) {
          if (*p == '\t' || *p == '\x1b') {
            p = skip_separators(p, end);
          } else if (run == 0) {
            return false;  // the token ended on a byte that is not a separator
          }
          return match_word(p, end, out);
        }
        // The spaces run to the end of the block: the code below skips the rest of them.
      }
    } else {
      p = timestamp_end(p, end);
    }
#else
    p = timestamp_end(p, end);
#endif
  } else {
    // Any other token must still be all timestamp bytes, at least 8 of them, with a '-' or ':'.
    It token = p;
#if defined(MODHOST_LOG_LEVEL_SSE2)
    // A token that ends within sixteen bytes (a sequence number, an epoch time, a short time of
    // day) is decided from one block.
    if (end - p >= 16) {
      const TimestampBlock b = timestamp_block(p);
      const unsigned others = ~b.bytes & 0xFFFFu;
      if (others != 0) {
        const unsigned n = static_cast<unsigned>(__builtin_ctz(others));
        if (n < 8 || (b.separators & ((1u << n) - 1)) == 0) return false;
        p += n;
        token = nullptr;  // decided
      }
    }
    if (token != nullptr) {
#endif
      unsigned seen = 0;
      while (p != end) {
        unsigned cls = kTimestamp.cls[static_cast<unsigned char>(*p)];
        if (cls == 0) break;
        seen |= cls;
        ++p;
      }
      if (p - token < 8 || seen != 3) return false;
#if defined(MODHOST_LOG_LEVEL_SSE2)
    }
#endif
  }
  // tracing-subscriber puts one or two spaces before the level; tabs and colour sequences are
  // left to skip_separators.
  if (p != end && *p == ' ') {
    ++p;
    if (p != end && *p == ' ') {
      ++p;
      while (p != end && *p == ' ') ++p;
    }
  }
  if (p != end && (*p == '\t' || *p == '\x1b')) {
    p = skip_separators(p, end);
  } else if (p != end && p[-1] != ' ') {
    return false;  // the token ended on a byte that is not a separator
  }
  return match_word(p, end, out);
}

// The rest of the detection, out of line in log_level.cpp. Each gives the general scan's result
// for the lines detect() sends it.

// The general scan: lines that start with blanks or colour sequences, and JSON whose first
// member is not the level.
LogLevel detect_general(It begin, It end, MarkerCursor* markers) noexcept;

// The text formats, for a line that starts with a digit but is not the plain format.
LogLevel detect_text(It begin, It end, MarkerCursor* markers) noexcept;

// A line that starts with text: logfmt as loggers print it, then the text formats.
LogLevel detect_text_first(It begin, It end, MarkerCursor* markers) noexcept;

// The detection, with the chunk's cursor of markers or nullptr. The shapes real loggers print
// are decided here without a call (the plain format, JSON with the level first, a number that
// is no timestamp in a chunk's stretch without markers); everything else goes to
// detect_text_first, detect_text or detect_general, which give detect_general's result in every
// case: a line whose first byte is a digit or text is, there too, tried as the plain format and
// then as text.
MODHOST_HOT_INLINE LogLevel detect(std::string_view line, MarkerCursor* markers) noexcept {
  It begin = line.data();
  It end = begin + line.size();
  if (begin == end) return LogLevel::Info;
  const unsigned cls = kFirstByte.cls[static_cast<unsigned char>(*begin)];
  LogLevel level = LogLevel::Info;
  if (cls == kDigit) {
    if (scan_plain(begin, end, level)) return level;
    if (markers != nullptr && markers->none_in_line(begin, end)) return LogLevel::Info;
    return detect_text(begin, end, markers);
  }
  if (cls == kText) return detect_text_first(begin, end, markers);
  if (cls == kBrace && json_level_first(begin + 1, end, level)) return level;
  return detect_general(begin, end, markers);
}

}  // namespace modhost::detail::levels

namespace modhost::detail {

// detect_log_level(line) for a line that lies inside the cursor's chunk, with the markers taken
// from the cursor instead of from a scan of the line. Inline in the forwarder's loop, so that a
// line decided by a fast path costs no call.
MODHOST_HOT_INLINE LogLevel detect_log_level_in_chunk(std::string_view line,
                                                      MarkerCursor& markers) noexcept {
  return levels::detect(line, &markers);
}

}  // namespace modhost::detail
