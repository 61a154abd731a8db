// detect_log_level: recognises the level of a line a child wrote, on the hot path of forwarding.
//
// Every scanner below works on [p, end) pointers, checks the bound before each read, allocates
// nothing and moves only forward, so the whole detection is linear in the line's length. A table
// of first bytes picks the scanner ('{' for JSON, a digit for the plain tracing format, anything
// else for logfmt and brackets), and each scanner first tries the shape real loggers print (the
// RFC 3339 timestamp of tracing-subscriber, a JSON object whose first member is its "level", a
// logfmt line with its time pair first and its level pair second), which decides from the first
// few dozen bytes; only when that shape does not fit does the general
// scanner run, so the fast paths change no result.

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>
#include <type_traits>

#include "modhost_log_level.hpp"
#include "modhost_level_text.hpp"
#include "modhost_level_words.hpp"
#include "modhost/log.hpp"

namespace modhost {

namespace {

using detail::levels::bracket_at;
using detail::levels::find_marker;
using detail::levels::ieq;
using detail::levels::is_blank;
using detail::levels::It;
using detail::levels::JsonOutcome;
using detail::levels::logfmt_at;
using detail::levels::logfmt_level_value;
using detail::levels::logfmt_value;
using detail::levels::match_level;
using detail::levels::match_name_before;
using detail::levels::scan_json;


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
constexpr FirstByteTable kFirstByte;


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
constexpr TimestampTable kTimestamp;

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

}  // namespace

namespace detail {

// Defined before its one use, so that it is inlined there.
inline It MarkerCursor::first_in_line(It begin, It end) noexcept {
  It p;
  if (!ahead_) {
    p = find_marker(begin, end);
  } else {
    p = next(begin);
    if (p > end) p = end;  // the cursor answers for the whole chunk
  }
  ahead_ = p == end;
  return p;
}

}  // namespace detail

namespace {

// The earliest logfmt pair (`level=warn`, `lvl="error"`) or bracketed token (`[ERROR]`) whose
// value is a level name, anywhere in the line. A key's letters cannot hold a '[' and a bracketed
// name cannot hold a blank, so ordering matches by their marker ('=' or '[') orders them by
// where they start. `markers`, when the line has one, is the cursor of its chunk, which finds the
// line's first marker; the markers after it, in a line that has one, are searched within the line.
MODHOST_HOT_INLINE bool scan_text(It begin, It end, LogLevel& out,
                                  detail::MarkerCursor* markers) noexcept {
  It p = markers != nullptr ? markers->first_in_line(begin, end) : find_marker(begin, end);
  for (; p != end; p = find_marker(p + 1, end)) {
    if (*p == '[' ? bracket_at(p, end, out) : logfmt_at(begin, p, end, out)) return true;
  }
  return false;
}

// The whole detection, for the lines the fast paths of detect() leave: those that start with
// blanks or colour sequences, and JSON whose first member is not the level. Out of line, so that
// detect() itself calls nothing on its fast paths and needs no registers saved.
MODHOST_NOINLINE
LogLevel detect_general(It begin, It end, detail::MarkerCursor* markers) noexcept {
  // Most lines start with their first token; the call is only worth making when they do not.
  It first = begin;
  unsigned cls = kFirstByte.cls[static_cast<unsigned char>(*first)];
  if (cls == kSeparator) {
    first = skip_separators(begin, end);
    if (first == end) return LogLevel::Info;
    cls = kFirstByte.cls[static_cast<unsigned char>(*first)];
  }

  LogLevel level = LogLevel::Info;
  if (cls == kBrace) {
    if (json_level_first(first + 1, end, level)) return level;
    switch (scan_json(first + 1, end, level)) {
      case JsonOutcome::Found: return level;
      case JsonOutcome::NoLevel: return LogLevel::Info;
      case JsonOutcome::Malformed: break;  // Not JSON after all: try the text formats.
    }
  } else if (cls == kDigit) {
    if (scan_plain(first, end, level)) return level;
  }

  // The earliest logfmt pair or bracketed token wins.
  if (scan_text(begin, end, level, markers)) return level;
  return LogLevel::Info;
}

// The text formats alone: what detect_general ends with, for a line that is neither JSON nor
// the plain format and starts with its first token.
MODHOST_NOINLINE
LogLevel detect_text(It begin, It end, detail::MarkerCursor* markers) noexcept {
  LogLevel level = LogLevel::Info;
  if (scan_text(begin, end, level, markers)) return level;
  return LogLevel::Info;
}

// What detect_text_first leaves: the value logfmt_level_value found (when it is not INFO), else
// the text formats as detect_text scans them. Out of line, so that detect_text_first's own path
// saves no registers.
MODHOST_NOINLINE
LogLevel detect_text_rest(It begin, It end, detail::MarkerCursor* markers, It value) noexcept {
  LogLevel level = LogLevel::Info;
  if (value != nullptr && logfmt_value(value, end, level)) return level;
  if (scan_text(begin, end, level, markers)) return level;
  return LogLevel::Info;
}

// A line that starts with text: logfmt as loggers print it, else the text formats. Apart from
// detect_text, so that lines starting with a digit do not pass through the logfmt check. When
// the level pair's value is not INFO, detect_text_rest tries it: if it is no level name either,
// the general scan reaches the same pair and goes on past it, so the result is the scan's.
MODHOST_NOINLINE
LogLevel detect_text_first(It begin, It end, detail::MarkerCursor* markers) noexcept {
  It value = logfmt_level_value(begin, end);
  if (value != nullptr && end - value >= 4 && ieq<4>(value, "info") &&
      (end - value == 4 || is_blank(value[4]))) {
    return LogLevel::Info;
  }
  return detect_text_rest(begin, end, markers, value);
}

// The detection, with the chunk's cursor of markers or nullptr. The shapes real loggers print
// are decided here without a call (the plain format, JSON with the level first, a number that
// is no timestamp in a chunk's stretch without markers); everything else goes to
// detect_text_first, detect_text or detect_general, which give detect_general's result in every
// case: a line whose first byte is a digit or text is, there too, tried as the plain format and
// then as text.
MODHOST_HOT_INLINE LogLevel detect(std::string_view line, detail::MarkerCursor* markers) noexcept {
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

}  // namespace

LogLevel detect_log_level(std::string_view line) noexcept { return detect(line, nullptr); }

namespace detail {

LogLevel detect_log_level_in_chunk(std::string_view line, MarkerCursor& markers) noexcept {
  return detect(line, &markers);
}

// Markers are usually near in a line that has them (`ts=`, `level=`), so the first 64 bytes are
// looked at sixteen at a time, stopping at the first hit, as find_marker does; past them the
// stretch is likely one without markers (a chunk of lines that name no level), and blocks of 64
// bytes are first tested as a whole, with one movemask for four vectors.
It MarkerCursor::scan(It p) noexcept {
  from_ = p;
#if defined(MODHOST_LOG_LEVEL_SSE2)
  if (end_ - p >= 64) {
    using detail::levels::marker_bytes;
    for (It const stop = p + 64; p != stop; p += 16) {
      if (unsigned mask = static_cast<unsigned>(_mm_movemask_epi8(marker_bytes(p)))) {
        return found_ = p + __builtin_ctz(mask);
      }
    }
    while (end_ - p >= 64) {
      const __m128i any = _mm_or_si128(_mm_or_si128(marker_bytes(p), marker_bytes(p + 16)),
                                       _mm_or_si128(marker_bytes(p + 32), marker_bytes(p + 48)));
      if (_mm_movemask_epi8(any) != 0) break;
      p += 64;
    }
  }
#endif
  return found_ = find_marker(p, end_);
}

}  // namespace detail

}  // namespace modhost
