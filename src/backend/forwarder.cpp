// The per-stream log forwarder: LineSplitter + detect_log_level + the sink (or the batch sink).

#include "forwarder.hpp"

#include <functional>
#include <new>
#include <type_traits>

namespace modhost::detail {

// The callback handed to the splitter. The record is built once per read and only the fields
// that change per line are rewritten, so a line costs its level detection and the sink call (or,
// with a batch sink, a copy into the batch).
//
// A batch holds views into two kinds of memory: the fed chunk, which stays as it is until feed()
// returns, and the splitter's own buffer, which the splitter changes as soon as the callback
// returns. So a record whose line lies in the splitter's buffer is delivered at once, with the
// records gathered before it, and the rest at the end of the feed or when the batch is full.
class StreamForwarder::Emitter {
 public:
  Emitter(StreamForwarder& s, const RecordContext& context, const RecordTarget& target,
          std::chrono::system_clock::time_point now, std::string_view chunk = {})
      : self_(s), target_(target), chunk_(chunk) {
    record_.module = context.module;
    record_.instance_id = context.instance_id;
    record_.stream = s.stream_;
    record_.timestamp = now;
  }

  Emitter(const Emitter&) = delete;
  Emitter& operator=(const Emitter&) = delete;

  void operator()(std::string_view line, bool continuation) {
    if (!continuation) self_.last_level_ = detect_log_level(line);
    record_.level = self_.last_level_;
    record_.line = line;
    record_.continuation = continuation;
    if (!target_.batch) {
      if (target_.sink) target_.sink(record_);
      return;
    }
    ::new (static_cast<void*>(slot(count_))) LogRecord(record_);
    ++count_;
    std::less<const char*> before;
    const bool in_chunk = !chunk_.empty() && !before(line.data(), chunk_.data()) &&
                          !before(chunk_.data() + chunk_.size(), line.data() + line.size());
    if (!in_chunk || count_ == kMaxBatchRecords) deliver();
  }

  // Hands the gathered records to the batch sink.
  void deliver() {
    if (count_ == 0) return;
    std::size_t n = count_;
    count_ = 0;
    target_.batch(std::launder(reinterpret_cast<const LogRecord*>(batch_)), n);
  }

 private:
  // Records are copied in as they come, so only the slots used are ever written (a read of one
  // line does not pay for constructing kMaxBatchRecords records).
  static_assert(std::is_trivially_copyable_v<LogRecord> &&
                    std::is_trivially_destructible_v<LogRecord>,
                "batch slots are reused without destruction");
  void* slot(std::size_t i) { return batch_ + i * sizeof(LogRecord); }

  StreamForwarder& self_;
  const RecordTarget& target_;
  std::string_view chunk_;
  LogRecord record_;
  std::size_t count_ = 0;
  alignas(LogRecord) unsigned char batch_[kMaxBatchRecords * sizeof(LogRecord)];
};

void StreamForwarder::feed(std::string_view bytes, const RecordContext& context,
                           const RecordTarget& target, std::chrono::system_clock::time_point now) {
  Emitter emit(*this, context, target, now, bytes);
  splitter_.feed(bytes, emit);
  emit.deliver();
}

void StreamForwarder::flush(const RecordContext& context, const RecordTarget& target,
                            std::chrono::system_clock::time_point now) {
  Emitter emit(*this, context, target, now);
  splitter_.flush(emit);
  emit.deliver();
}

void StreamForwarder::finish(const RecordContext& context, const RecordTarget& target,
                             std::chrono::system_clock::time_point now) {
  Emitter emit(*this, context, target, now);
  splitter_.finish(emit);
  emit.deliver();
}

void StreamForwarder::feed(std::string_view bytes, const RecordContext& context,
                           const LogSink& sink, std::chrono::system_clock::time_point now) {
  const LogBatchSink none;
  feed(bytes, context, RecordTarget{sink, none}, now);
}

void StreamForwarder::flush(const RecordContext& context, const LogSink& sink,
                            std::chrono::system_clock::time_point now) {
  const LogBatchSink none;
  flush(context, RecordTarget{sink, none}, now);
}

void StreamForwarder::finish(const RecordContext& context, const LogSink& sink,
                             std::chrono::system_clock::time_point now) {
  const LogBatchSink none;
  finish(context, RecordTarget{sink, none}, now);
}

}  // namespace modhost::detail
