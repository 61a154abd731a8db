// The per-stream log forwarder: LineSplitter + detect_log_level + the sink.

#include "backend/forwarder.hpp"

namespace modhost::detail {

// The callback handed to the splitter. The record is built once per read and only the fields
// that change per line are rewritten, so a line costs its level detection and the sink call.
struct StreamForwarder::Emitter {
  StreamForwarder& self;
  const LogSink& sink;
  LogRecord record;

  Emitter(StreamForwarder& s, const RecordContext& context, const LogSink& k,
          std::chrono::system_clock::time_point now)
      : self(s), sink(k) {
    record.module = context.module;
    record.instance_id = context.instance_id;
    record.stream = s.stream_;
    record.timestamp = now;
  }

  void operator()(std::string_view line, bool continuation) {
    if (!continuation) self.last_level_ = detect_log_level(line);
    record.level = self.last_level_;
    record.line = line;
    record.continuation = continuation;
    if (sink) sink(record);
  }
};

void StreamForwarder::feed(std::string_view bytes, const RecordContext& context,
                           const LogSink& sink, std::chrono::system_clock::time_point now) {
  Emitter emit(*this, context, sink, now);
  splitter_.feed(bytes, emit);
}

void StreamForwarder::flush(const RecordContext& context, const LogSink& sink,
                            std::chrono::system_clock::time_point now) {
  Emitter emit(*this, context, sink, now);
  splitter_.flush(emit);
}

void StreamForwarder::finish(const RecordContext& context, const LogSink& sink,
                             std::chrono::system_clock::time_point now) {
  Emitter emit(*this, context, sink, now);
  splitter_.finish(emit);
}

}  // namespace modhost::detail
