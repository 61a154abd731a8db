// The per-stream log forwarder: LineSplitter + detect_log_level + the sink (or the batch sink).

#include "forwarder.hpp"

#include <cstdint>
#include <cstring>
#include <functional>
#include <new>
#include <type_traits>

#if defined(__SSE2__) && (defined(__GNUC__) || defined(__clang__))
#include <emmintrin.h>
#define MODHOST_FORWARDER_SSE2 1
#endif

#include "modhost_level_fast.hpp"

namespace modhost::detail {

#if defined(MODHOST_FORWARDER_SSE2)
namespace {

// The '\n' bytes of the 64 at `p`, bit i for byte i (movemask numbers the lanes, so this holds
// whatever the machine's byte order). Inline: it runs once per block, about once per line.
inline __attribute__((always_inline)) std::uint64_t newline_bits(const char* p) noexcept {
  const __m128i nl = _mm_set1_epi8('\n');
  auto bits = [&](int i) {
    __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + 16 * i));
    return static_cast<std::uint64_t>(
        static_cast<unsigned>(_mm_movemask_epi8(_mm_cmpeq_epi8(v, nl))));
  };
  return bits(0) | bits(1) << 16 | bits(2) << 32 | bits(3) << 48;
}

}  // namespace
#endif

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

#if defined(MODHOST_FORWARDER_SSE2)
  // Forwards the lines of a fed chunk. The splitter takes the bytes up to the first '\n' (they
  // may end a line it holds) and the bytes from the first line it must cut or hold on (the last
  // line when it has no '\n' yet, or one longer than the maximum); the whole lines between are
  // forwarded here, as views into the chunk, exactly as the splitter would have emitted them:
  // after a '\n' it holds nothing and continues no line, so it emits each following line whole,
  // minus one '\r', up to the next '\n'. The '\n' are found sixty-four bytes at a time, one mask
  // per block and then one bit per line, so a line costs a count of trailing zeros rather than a
  // memchr call.
  void chunk(std::string_view bytes) {
    const char* const data = bytes.data();
    const char* const end = data + bytes.size();
    const char* p = nullptr;  // the start of the next line, once the splitter had the first '\n'
    const std::size_t max = self_.splitter_.max_line_length();
    // Kept in locals: the sink is opaque code that could, for all the compiler knows, change any
    // member through the record it is given, so members would be reloaded after every call.
    const bool batch = static_cast<bool>(target_.batch);
    const LogSink* const sink = static_cast<bool>(target_.sink) ? &target_.sink : nullptr;
    MarkerCursor markers(bytes);
    LogRecord record = record_;
    record.continuation = false;
    record.level = self_.last_level_;
    for (const char* block = data; block != end;) {
      std::uint64_t bits;
      const char* next;
      if (end - block >= 64) {
        bits = newline_bits(block);
        next = block + 64;
      } else {
        // The last, shorter block is looked at in a zeroed copy: nothing past the chunk is read.
        alignas(16) char last[64] = {};
        std::memcpy(last, block, static_cast<std::size_t>(end - block));
        bits = newline_bits(last);
        next = end;
      }
      for (; bits != 0; bits &= bits - 1) {
        const char* nl = block + __builtin_ctzll(bits);
        if (p == nullptr) {
          p = nl + 1;
          self_.splitter_.feed(std::string_view(data, static_cast<std::size_t>(p - data)), *this);
          record.level = self_.last_level_;
          continue;
        }
        std::size_t n = static_cast<std::size_t>(nl - p);
        // The splitter cuts a longer line into pieces; it does that from here on.
        if (n > max) goto rest;
        if (n != 0 && nl[-1] == '\r') --n;
        record.line = std::string_view(p, n);
        record.level = detect_log_level_in_chunk(record.line, markers);
        p = nl + 1;
        if (batch) {
          ::new (static_cast<void*>(slot(count_))) LogRecord(record);
          if (++count_ == kMaxBatchRecords) deliver();
        } else if (sink != nullptr) {
          (*sink)(record);
        }
      }
      block = next;
    }
  rest:
    self_.last_level_ = record.level;
    if (p == nullptr) {
      self_.splitter_.feed(bytes, *this);
    } else if (p != end) {
      self_.splitter_.feed(std::string_view(p, static_cast<std::size_t>(end - p)), *this);
    }
  }
#endif

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
#if defined(MODHOST_FORWARDER_SSE2)
  emit.chunk(bytes);
#else
  splitter_.feed(bytes, emit);
#endif
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
