#pragma once
// The log forwarder of one stream: bytes from a child's pipe in, one LogRecord per line out.
// Portable: no OS call. Used only on the backend's poll thread (or after that thread has ended).

#include <chrono>
#include <cstddef>
#include <string_view>

#include "modhost/line_splitter.hpp"
#include "modhost/log.hpp"
#include "modhost/uuid.hpp"

namespace modhost::detail {

// What every record of one instance carries besides the line.
struct RecordContext {
  std::string_view module;
  Uuid instance_id;
};

// Where a forwarder's records go: `batch` when it is set (several records per call), else `sink`
// (one call per record; an empty sink drops them).
struct RecordTarget {
  const LogSink& sink;
  const LogBatchSink& batch;
};

// At most this many records per call of a batch sink: bounds the batch's memory (it lives on the
// poll thread's stack) while still taking a whole read of 64-byte lines in about eight calls.
inline constexpr std::size_t kMaxBatchRecords = 128;

// Splits one stream into lines, detects each line's level and calls the sink. Memory is bounded
// by the splitter's maximum line length, and nothing is allocated until a line is left partial
// at the end of a read (so an idle stream costs only this object). Not thread-safe.
class StreamForwarder {
 public:
  StreamForwarder(StreamKind stream, std::size_t max_line_length)
      : splitter_(max_line_length), stream_(stream) {}

  // Forwards every complete line (and full-size piece) in `bytes`; `now` is the read time. Every
  // record has been delivered when it returns.
  void feed(std::string_view bytes, const RecordContext& context, const RecordTarget& target,
            std::chrono::system_clock::time_point now);

  // Forwards the partial line, if any, as a piece; what follows is marked as its continuation.
  void flush(const RecordContext& context, const RecordTarget& target,
             std::chrono::system_clock::time_point now);

  // End of stream: forwards whatever is buffered (a last line without a newline is not lost).
  void finish(const RecordContext& context, const RecordTarget& target,
              std::chrono::system_clock::time_point now);

  // The same three, one sink call per record.
  void feed(std::string_view bytes, const RecordContext& context, const LogSink& sink,
            std::chrono::system_clock::time_point now);
  void flush(const RecordContext& context, const LogSink& sink,
             std::chrono::system_clock::time_point now);
  void finish(const RecordContext& context, const LogSink& sink,
              std::chrono::system_clock::time_point now);

  // True while part of a line waits for its end.
  bool has_partial() const noexcept { return splitter_.buffered() != 0; }

  // For the partial-line timeout: when the partial line last grew (poll thread bookkeeping).
  std::chrono::steady_clock::time_point partial_since{};

 private:
  class Emitter;
  LineSplitter splitter_;
  StreamKind stream_;
  // A continuation piece carries the level detected on the first piece of its line: the middle of
  // a line says nothing about its level.
  LogLevel last_level_ = LogLevel::Info;
};

}  // namespace modhost::detail
