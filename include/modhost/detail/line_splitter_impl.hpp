#pragma once
/// @file line_splitter_impl.hpp
/// Internal: the bodies of `LineSplitter`'s members (templates and inline), included at the end of
/// modhost/line_splitter.hpp. Include that header, not this one; the members are documented there.
//
// The splitter behaves exactly like this byte-at-a-time machine, whatever the chunking:
// - on '\n': the buffer (minus one trailing '\r', the CR of a CRLF) is the rest of the line;
//   it is emitted, unless it is empty and part of the line was already emitted by flush();
// - on any other byte: if the buffer is full (max bytes), it is emitted as a piece first (all but
//   a trailing '\r', which stays buffered because a '\n' may follow it), then the byte is buffered.
// Pieces are thus emitted lazily, when the byte after a full buffer proves the line goes on, which
// is what keeps the buffer within max bytes while still recognising a CRLF that straddles a piece
// boundary. The code below does the same in bulk: memchr finds line ends, and when nothing is
// buffered, pieces and whole lines are emitted as views into the caller's chunk without a copy.

#include <algorithm>
#include <cstddef>
#include <cstring>
#include <string_view>

namespace modhost {

inline LineSplitter::LineSplitter(std::size_t max_line_length)
    : max_(max_line_length == 0 ? 1 : max_line_length) {}

template <class F>
void LineSplitter::feed(std::string_view bytes, F&& on_line) {
  const char* p = bytes.data();
  const char* const end = p + bytes.size();
  while (p != end) {
    const char* nl = static_cast<const char*>(std::memchr(p, '\n', static_cast<std::size_t>(end - p)));
    const char* seg_end = nl != nullptr ? nl : end;
    if (buf_.empty()) {
      // Fast path: the segment [p, seg_end) holds no '\n' and nothing is buffered, so pieces of a
      // too-long line and whole lines are views into the chunk.
      while (static_cast<std::size_t>(seg_end - p) > max_) {
        const char* cut = p + max_;
        if (max_ > 1 && cut[-1] == '\r') --cut;
        on_line(std::string_view(p, static_cast<std::size_t>(cut - p)), continuing_);
        continuing_ = true;
        p = cut;
      }
      if (nl == nullptr) {
        buf_.assign(p, static_cast<std::size_t>(seg_end - p));
        return;
      }
      const char* line_end = (seg_end != p && seg_end[-1] == '\r') ? seg_end - 1 : seg_end;
      if (line_end != p || !continuing_) {
        on_line(std::string_view(p, static_cast<std::size_t>(line_end - p)), continuing_);
      }
      continuing_ = false;
      p = nl + 1;
      continue;
    }
    // Slow path: a partial line is buffered; append the segment, making room as the byte machine
    // would. Once making room empties the buffer, the fast path takes the rest of the segment.
    while (p != seg_end) {
      if (buf_.size() == max_) {
        // A limit of 1 cannot hold a '\r' back and still make room.
        emit_buffered(on_line, max_ > 1);
        if (buf_.empty()) break;
      }
      std::size_t take = std::min(max_ - buf_.size(), static_cast<std::size_t>(seg_end - p));
      buf_.append(p, take);
      p += take;
    }
    if (buf_.empty()) continue;
    if (nl == nullptr) return;
    std::size_t len = buf_.size();
    if (buf_.back() == '\r') --len;
    if (len != 0 || !continuing_) on_line(std::string_view(buf_.data(), len), continuing_);
    continuing_ = false;
    buf_.clear();
    p = nl + 1;
  }
}

template <class F>
void LineSplitter::flush(F&& on_line) {
  // A lone '\r' may be the first half of a CRLF that the next feed completes: nothing to emit.
  if (buf_.empty() || buf_ == "\r") return;
  emit_buffered(on_line, true);
}

template <class F>
void LineSplitter::emit_buffered(F& on_line, bool keep_cr) {
  if (keep_cr && buf_.back() == '\r') {
    on_line(std::string_view(buf_.data(), buf_.size() - 1), continuing_);
    buf_.erase(0, buf_.size() - 1);
  } else {
    on_line(std::string_view(buf_), continuing_);
    buf_.clear();
  }
  continuing_ = true;
}

template <class F>
void LineSplitter::finish(F&& on_line) {
  if (!buf_.empty()) on_line(std::string_view(buf_), continuing_);
  buf_.clear();
  continuing_ = false;
}

}  // namespace modhost
