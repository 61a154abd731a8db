#include "output_queue.hpp"

#include <condition_variable>
#include <deque>
#include <mutex>
#include <utility>

#include "platform.hpp"

namespace modhost::cli {

namespace {

// The extra room of the supervisor's own lines (PushWait::Never): they are few and short, and a
// stop's lines ("SIGTERM received", each process's end) should not be lost because the children
// filled the queue first.
constexpr std::size_t kNeverWaitAllowance = 64 * 1024;

// The writer joins queued lines into writes of about this size: few system calls under a flood,
// and a line never waits long behind others in the same write.
constexpr std::size_t kBatchBytes = 64 * 1024;

}  // namespace

// Everything the writer thread touches lives here, shared with it, so that a writer stuck in a
// write for good can be left behind (see finish()) without pointing at freed memory.
struct OutputQueue::State {
  std::function<WriteStatus(std::string_view)> write;
  std::size_t capacity = 0;
  std::function<void()> on_broken;

  std::mutex mutex;
  std::condition_variable room;     // a producer waits for space
  std::condition_variable work;     // the writer waits for lines
  std::deque<std::string> lines;    // guarded
  std::size_t bytes = 0;            // guarded: queued plus in the write in progress
  std::uint64_t in_flight_lines = 0;  // guarded: lines in the write in progress
  std::uint64_t in_flight_bytes = 0;  // guarded
  bool waiting_allowed = true;      // guarded: false after stop_waiting()
  bool closed = false;              // guarded: no more lines taken
  bool finished = false;            // guarded: the writer must end
  bool broken = false;              // guarded
  bool writer_busy = false;         // guarded: inside write()
  OutputLoss loss;                  // guarded
  std::function<void()> on_flushed;  // guarded; run once when closed and empty

  void drop_locked(std::size_t size) {
    ++loss.lines;
    loss.bytes += size;
  }

  // Hands the flush callback over once the queue is closed and nothing is left to write.
  std::function<void()> take_flushed_locked() {
    if (!closed || !lines.empty() || writer_busy) return {};
    return std::exchange(on_flushed, {});
  }

  void run() {
    std::unique_lock<std::mutex> lock(mutex);
    for (;;) {
      work.wait(lock, [this] { return finished || (!lines.empty() && !broken); });
      if (finished) return;
      std::string batch = std::move(lines.front());
      lines.pop_front();
      in_flight_lines = 1;
      while (!lines.empty() && batch.size() + lines.front().size() <= kBatchBytes) {
        batch += lines.front();
        lines.pop_front();
        ++in_flight_lines;
      }
      in_flight_bytes = batch.size();
      writer_busy = true;
      lock.unlock();
      // The only place that waits on the output: nothing else runs on this thread.
      WriteStatus status = write(batch);
      lock.lock();
      writer_busy = false;
      // finish() gave up on this write and counted it: the run is over, nobody is left to tell.
      if (finished) return;
      bytes -= batch.size();
      in_flight_lines = 0;
      in_flight_bytes = 0;
      std::function<void()> report;
      if (status != WriteStatus::Ok && !broken) {
        // Nobody is left to read: what is queued is discarded, not counted as lost.
        broken = true;
        lines.clear();
        bytes = 0;
        report = on_broken;
      }
      std::function<void()> flushed = take_flushed_locked();
      room.notify_all();
      if (report || flushed) {
        lock.unlock();
        if (report) report();
        if (flushed) flushed();
        lock.lock();
      }
    }
  }
};

OutputQueue::OutputQueue(std::function<WriteStatus(std::string_view)> write, std::size_t capacity)
    : state_(std::make_shared<State>()) {
  state_->write = std::move(write);
  state_->capacity = capacity;
}

OutputQueue::~OutputQueue() { (void)finish(); }

Result<void> OutputQueue::start() {
  std::shared_ptr<State> state = state_;
  Result<detail::Thread> thread =
      detail::Thread::start([state] { state->run(); }, "the output writer thread");
  if (!thread) return thread.error();
  thread_ = std::move(*thread);
  return ok_result();
}

void OutputQueue::set_on_broken(std::function<void()> on_broken) {
  std::lock_guard<std::mutex> lock(state_->mutex);
  state_->on_broken = std::move(on_broken);
}

void OutputQueue::push(std::string line, PushWait wait) {
  State& s = *state_;
  std::unique_lock<std::mutex> lock(s.mutex);
  if (s.broken) return;
  if (s.closed) {
    s.drop_locked(line.size());
    return;
  }
  const std::size_t size = line.size();
  // A line that fits, or any line into an empty queue (one longer than the capacity would never
  // fit otherwise).
  auto fits = [&](std::size_t limit) { return s.bytes == 0 || s.bytes + size <= limit; };
  if (wait == PushWait::ForRoom) {
    s.room.wait(lock, [&] {
      return fits(s.capacity) || !s.waiting_allowed || s.closed || s.broken;
    });
    if (s.broken) return;
    if (s.closed || !fits(s.capacity)) {
      s.drop_locked(size);
      return;
    }
  } else if (!fits(s.capacity + kNeverWaitAllowance)) {
    s.drop_locked(size);
    return;
  }
  s.bytes += size;
  s.lines.push_back(std::move(line));
  s.work.notify_one();
}

void OutputQueue::stop_waiting() {
  {
    std::lock_guard<std::mutex> lock(state_->mutex);
    state_->waiting_allowed = false;
  }
  state_->room.notify_all();
}

void OutputQueue::close(std::function<void()> on_flushed) {
  std::function<void()> now;
  {
    std::lock_guard<std::mutex> lock(state_->mutex);
    state_->closed = true;
    state_->on_flushed = std::move(on_flushed);
    now = state_->take_flushed_locked();
  }
  state_->room.notify_all();
  if (now) now();
}

OutputLoss OutputQueue::finish() {
  State& s = *state_;
  bool stuck;
  OutputLoss loss;
  {
    std::lock_guard<std::mutex> lock(s.mutex);
    if (!s.finished) {
      s.finished = true;
      s.closed = true;
      s.on_flushed = {};
      s.on_broken = {};
      s.loss.flushed = s.lines.empty() && !s.writer_busy;
      for (const std::string& line : s.lines) s.drop_locked(line.size());
      s.lines.clear();
      if (s.writer_busy) {
        s.loss.lines += s.in_flight_lines;
        s.loss.bytes += s.in_flight_bytes;
      }
    }
    stuck = s.writer_busy;
    loss = s.loss;
  }
  s.work.notify_all();
  s.room.notify_all();
  if (thread_.joinable()) {
    // A writer blocked in a write that will never return is left to end with the process; it
    // owns a reference to the state, so nothing it touches goes away under it.
    if (stuck) {
      thread_.detach();
    } else {
      thread_.join();
    }
  }
  return loss;
}

bool OutputQueue::broken() const {
  std::lock_guard<std::mutex> lock(state_->mutex);
  return state_->broken;
}

}  // namespace modhost::cli
