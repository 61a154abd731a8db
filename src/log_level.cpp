// detect_log_level: recognises the level of a line a child wrote, on the hot path of forwarding.
// The fast paths are inline in modhost_level_fast.hpp; this file has the general scan, the text
// formats, the marker cursor and the public entry.
//
// Every scanner works on [p, end) pointers, checks the bound before each read, allocates
// nothing and moves only forward, so the whole detection is linear in the line's length. A table
// of first bytes picks the scanner ('{' for JSON, a digit for the plain tracing format, anything
// else for logfmt and brackets), and each scanner first tries the shape real loggers print (the
// RFC 3339 timestamp of tracing-subscriber, a JSON object whose first member is its "level", a
// logfmt line with its time pair first and its level pair second), which decides from the first
// few dozen bytes; only when that shape does not fit does the general scanner run, so the fast
// paths change no result.

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>
#include <type_traits>

#include "modhost_level_fast.hpp"
#include "modhost_level_text.hpp"
#include "modhost_level_words.hpp"
#include "modhost_log_level.hpp"
#include "modhost/log.hpp"

namespace modhost::detail {

// Defined before its one use, so that it is inlined there.
inline levels::It MarkerCursor::first_in_line(levels::It begin, levels::It end) noexcept {
  levels::It p;
  if (!ahead_) {
    p = levels::find_marker(begin, end);
  } else {
    p = next(begin);
    if (p > end) p = end;  // the cursor answers for the whole chunk
  }
  ahead_ = p == end;
  return p;
}

}  // namespace modhost::detail

namespace modhost::detail::levels {

namespace {

// The earliest logfmt pair (`level=warn`, `lvl="error"`) or bracketed token (`[ERROR]`) whose
// value is a level name, anywhere in the line. A key's letters cannot hold a '[' and a bracketed
// name cannot hold a blank, so ordering matches by their marker ('=' or '[') orders them by
// where they start. `markers`, when the line has one, is the cursor of its chunk, which finds the
// line's first marker; the markers after it, in a line that has one, are searched within the line.
MODHOST_HOT_INLINE bool scan_text(It begin, It end, LogLevel& out,
                                  MarkerCursor* markers) noexcept {
  It p = markers != nullptr ? markers->first_in_line(begin, end) : find_marker(begin, end);
  for (; p != end; p = find_marker(p + 1, end)) {
    if (*p == '[' ? bracket_at(p, end, out) : logfmt_at(begin, p, end, out)) return true;
  }
  return false;
}

}  // namespace

// The whole detection, for the lines the fast paths of detect() leave: those that start with
// blanks or colour sequences, and JSON whose first member is not the level. Out of line, so that
// detect() itself calls nothing on its fast paths and needs no registers saved.
MODHOST_NOINLINE
LogLevel detect_general(It begin, It end, MarkerCursor* markers) noexcept {
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
LogLevel detect_text(It begin, It end, MarkerCursor* markers) noexcept {
  LogLevel level = LogLevel::Info;
  if (scan_text(begin, end, level, markers)) return level;
  return LogLevel::Info;
}

namespace {

// What detect_text_first leaves: the value logfmt_level_value found (when it is not INFO), else
// the text formats as detect_text scans them. Out of line, so that detect_text_first's own path
// saves no registers.
MODHOST_NOINLINE
LogLevel detect_text_rest(It begin, It end, MarkerCursor* markers, It value) noexcept {
  LogLevel level = LogLevel::Info;
  if (value != nullptr && logfmt_value(value, end, level)) return level;
  if (scan_text(begin, end, level, markers)) return level;
  return LogLevel::Info;
}

}  // namespace

// A line that starts with text: logfmt as loggers print it, else the text formats. Apart from
// detect_text, so that lines starting with a digit do not pass through the logfmt check. When
// the level pair's value is not INFO, detect_text_rest tries it: if it is no level name either,
// the general scan reaches the same pair and goes on past it, so the result is the scan's.
MODHOST_NOINLINE
LogLevel detect_text_first(It begin, It end, MarkerCursor* markers) noexcept {
  It value = logfmt_level_value(begin, end);
  if (value != nullptr && info_before(value, end, UnquotedEnd{})) return LogLevel::Info;
  return detect_text_rest(begin, end, markers, value);
}

}  // namespace modhost::detail::levels

namespace modhost {

LogLevel detect_log_level(std::string_view line) noexcept {
  return detail::levels::detect(line, nullptr);
}

namespace detail {

// Markers are usually near in a line that has them (`ts=`, `level=`), so the first 64 bytes are
// looked at sixteen at a time, stopping at the first hit, as find_marker does; past them the
// stretch is likely one without markers (a chunk of lines that name no level), and blocks of 64
// bytes are first tested as a whole, with one movemask for four vectors.
levels::It MarkerCursor::scan(levels::It p) noexcept {
  from_ = p;
#if defined(MODHOST_LOG_LEVEL_SSE2)
  if (end_ - p >= 64) {
    using levels::marker_bytes;
    for (levels::It const stop = p + 64; p != stop; p += 16) {
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
  return found_ = levels::find_marker(p, end_);
}

}  // namespace detail

}  // namespace modhost
