#pragma once
// Internal: the marker cursor of level detection over many lines of one chunk, for the log
// forwarder; detect_log_level_in_chunk (modhost_level_fast.hpp) takes it. Not public API: the
// public detect_log_level (modhost/log.hpp) gives the same result for every line.

#include <cstddef>
#include <string_view>

#include "modhost/log.hpp"

namespace modhost::detail {

// Answers "where is the first '=' or '[' at or after q" over one chunk, the bytes where a logfmt
// pair or a bracketed level can start. Answers are remembered, so while the questions move
// forward (as they do when the lines of a chunk are detected in order) a stretch of bytes without
// a marker is read once per chunk, not once per line: a chunk of lines that name no level costs
// one pass plus a comparison per line. Questions may come in any order; one that goes back
// before what is remembered scans again from there.
class MarkerCursor {
 public:
  // Nothing is read until the first question, so lines that never ask (JSON, tracing) cost
  // nothing: the empty stretch at the chunk's end stands for "nothing known yet".
  explicit MarkerCursor(std::string_view chunk) noexcept
      : end_(chunk.data() + chunk.size()), from_(end_), found_(end_) {}

  // The first '=' or '[' in the line [begin, end) of the chunk, or `end`. Lines that have one
  // (logfmt, most often near the start) are searched on their own, which is cheaper than a search
  // that does not stop at the line's end; after a line without one, the next lines ask next(),
  // until one of them has a marker again. Defined (inline, for its one caller) in log_level.cpp.
  inline const char* first_in_line(const char* begin, const char* end) noexcept;

  // Whether the line [begin, end) of the chunk is known to hold no '=' or '[' without a search of
  // its own: the last line had none, and the cursor's next marker lies past this line too. Lines
  // of a chunk without levels are then decided without a call.
  bool none_in_line(const char* begin, const char* end) noexcept {
    return ahead_ && next(begin) >= end;
  }

  // The first '=' or '[' at or after `q`, or the chunk's end. `q` must lie in the chunk or at its
  // end.
  const char* next(const char* q) noexcept {
    // found_ is the first marker at or after from_, so it is also the first for any `q` between.
    if (from_ <= q && q <= found_) return found_;
    return scan(q);
  }

 private:
  // Finds the first marker at or after `q` and remembers it.
  const char* scan(const char* q) noexcept;

  const char* end_;
  const char* from_;   // [from_, found_) holds no marker, and found_ is one or the end
  const char* found_;
  bool ahead_ = false;  // whether the last line had no marker, so the next asks next()
};

}  // namespace modhost::detail
