#pragma once
/// @file line_splitter.hpp
/// `LineSplitter`: turns bytes read from a pipe, in arbitrary chunks, into lines, losing nothing.

#include <cstddef>
#include <string>
#include <string_view>

namespace modhost {

/// Splits a byte stream into lines. Each line is emitted without its `\n` or `\r\n` (a CRLF split
/// across two feeds is still one terminator). A partial line is kept across feeds and emitted by
/// `finish()` (or `flush()`). A line longer than `max_line_length` is emitted in pieces of at most
/// that many bytes (a piece is one byte shorter when it would end in a `\r`, which is held back in
/// case it starts a CRLF); every piece after the first is marked as a continuation; nothing is
/// dropped. The pieces do not depend on how the stream was cut into feeds (only `flush()` changes
/// them). When nothing is buffered, lines inside a fed chunk are passed as views into it, uncopied.
/// Bytes pass through unchanged (invalid UTF-8 and NUL included). The buffered bytes never exceed
/// `max_line_length`. Not thread-safe: one splitter per stream.
///
/// Pure computation: no member blocks, calls the OS or fails. `feed()`, `flush()` and `finish()`
/// call `on_line` synchronously, on the calling thread, zero or more times before they return;
/// `on_line` must not call back into the same splitter.
class LineSplitter {
 public:
  /// The default maximum line length, 64 KiB.
  static constexpr std::size_t kDefaultMaxLineLength = 64 * 1024;

  /// A splitter whose pieces are at most `max_line_length` bytes (0 is taken as 1). Never fails;
  /// allocates nothing until bytes are buffered.
  explicit LineSplitter(std::size_t max_line_length = kDefaultMaxLineLength);

  /// Feeds `bytes`; calls `on_line(std::string_view line, bool continuation)` for each complete
  /// line or full-size piece, in order, on this thread, before returning. The view is valid only
  /// during the call. Never fails; the bytes of a partial line are kept (at most
  /// `max_line_length()` of them).
  template <class F>
  void feed(std::string_view bytes, F&& on_line);

  /// Emits the buffered partial line, if any, as a piece (the next piece of the same line will be
  /// marked as a continuation). A trailing `\r` is held back, since a `\n` may follow. Calls
  /// `on_line` at most once, on this thread, before returning. Never fails.
  template <class F>
  void flush(F&& on_line);

  /// End of stream: emits whatever is buffered (a last line without newline is never lost, a lone
  /// trailing `\r` is kept as a byte of the line) and resets the splitter. Calls `on_line` at
  /// most once, on this thread, before returning. Never fails.
  template <class F>
  void finish(F&& on_line);

  /// Bytes currently buffered (at most `max_line_length()`).
  std::size_t buffered() const noexcept { return buf_.size(); }

  /// The maximum piece length.
  std::size_t max_line_length() const noexcept { return max_; }

 private:
  /// Emits the buffered piece as a line (a continuation from then on), except a trailing `\r`
  /// when `keep_cr`: that may be the first half of a CRLF still to come, so it stays buffered.
  template <class F>
  void emit_buffered(F& on_line, bool keep_cr);

  std::string buf_;
  std::size_t max_;
  bool continuing_ = false;  // the next piece continues a line already partly emitted
};

}  // namespace modhost

#include "modhost/detail/line_splitter_impl.hpp"
