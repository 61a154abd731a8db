#include "output_queue.hpp"

#include <condition_variable>
#include <deque>
#include <mutex>
#include <utility>
#include <vector>

#include "modhost_platform.hpp"

namespace modhost::cli {

namespace {

// The extra room of the supervisor's own lines (PushWait::Never): they are few and short, and a
// stop's lines ("SIGTERM received", each process's end) should not be lost because the children
// filled the queue first.
constexpr std::size_t kNeverWaitAllowance = 64 * 1024;

// The writer joins queued lines into writes of about this size: few system calls under a flood,
// and a line never waits long behind others in the same write.
constexpr std::size_t kBatchBytes = 64 * 1024;

// Written buffers kept for reuse (see OutputQueue::spare): enough to cover the queue's items in a
// flood, and a bound on the memory they hold besides the queue's own (about 1 MiB).
constexpr std::size_t kSpareBuffers = 16;

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
  // One push: whole lines, written and dropped together.
  struct Item {
    std::string text;
    std::uint64_t lines = 0;
  };
  std::deque<Item> items;           // guarded
  std::vector<std::string> spares;  // guarded: empty buffers with capacity, for spare()
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

  void drop_locked(std::size_t size, std::uint64_t lines) {
    loss.lines += lines;
    loss.bytes += size;
  }

  // Hands the flush callback over once the queue is closed and nothing is left to write.
  std::function<void()> take_flushed_locked() {
    if (!closed || !items.empty() || writer_busy) return {};
    return std::exchange(on_flushed, {});
  }

  void run() {
    std::vector<std::string> taken;  // the items of one write, moved out of the queue
    std::string joined;              // several small items joined for one write; reused
    std::unique_lock<std::mutex> lock(mutex);
    for (;;) {
      work.wait(lock, [this] { return finished || (!items.empty() && !broken); });
      if (finished) return;
      // The items at the front, up to kBatchBytes (at least one), make one write.
      std::size_t size = 0;
      in_flight_lines = 0;
      do {
        size += items.front().text.size();
        in_flight_lines += items.front().lines;
        taken.push_back(std::move(items.front().text));
        items.pop_front();
      } while (!items.empty() && size + items.front().text.size() <= kBatchBytes);
      in_flight_bytes = size;
      writer_busy = true;
      lock.unlock();
      std::string_view batch = taken.front();
      if (taken.size() > 1) {
        // Joined outside the lock; `joined` keeps its capacity, so this allocates once.
        joined.clear();
        for (const std::string& text : taken) joined += text;
        batch = joined;
      }
      // The only place that waits on the output: nothing else runs on this thread.
      WriteStatus status = write(batch);
      lock.lock();
      writer_busy = false;
      // finish() gave up on this write and counted it: the run is over, nobody is left to tell.
      if (finished) return;
      bytes -= size;
      // The written items' buffers go back to the formatters (see spare()), so that a flood of
      // output reuses a few buffers instead of allocating and freeing one per batch.
      for (std::string& text : taken) {
        if (spares.size() >= kSpareBuffers || text.capacity() > 2 * kBatchBytes) break;
        text.clear();
        spares.push_back(std::move(text));
      }
      taken.clear();
      in_flight_lines = 0;
      in_flight_bytes = 0;
      std::function<void()> report;
      if (status != WriteStatus::Ok && !broken) {
        // Nobody is left to read: what is queued is discarded, not counted as lost.
        broken = true;
        items.clear();
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

void OutputQueue::push(std::string text, PushWait wait, std::uint64_t lines) {
  State& s = *state_;
  std::unique_lock<std::mutex> lock(s.mutex);
  if (s.broken) return;
  if (s.closed) {
    s.drop_locked(text.size(), lines);
    return;
  }
  const std::size_t size = text.size();
  // A line that fits, or any line into an empty queue (one longer than the capacity would never
  // fit otherwise).
  auto fits = [&](std::size_t limit) { return s.bytes == 0 || s.bytes + size <= limit; };
  if (wait == PushWait::ForRoom) {
    s.room.wait(lock, [&] {
      return fits(s.capacity) || !s.waiting_allowed || s.closed || s.broken;
    });
    if (s.broken) return;
    if (s.closed || !fits(s.capacity)) {
      s.drop_locked(size, lines);
      return;
    }
  } else if (!fits(s.capacity + kNeverWaitAllowance)) {
    s.drop_locked(size, lines);
    return;
  }
  s.bytes += size;
  s.items.push_back(State::Item{std::move(text), lines});
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
      s.loss.flushed = s.items.empty() && !s.writer_busy;
      for (const State::Item& item : s.items) s.drop_locked(item.text.size(), item.lines);
      s.items.clear();
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

std::string OutputQueue::spare() {
  std::lock_guard<std::mutex> lock(state_->mutex);
  if (state_->spares.empty()) return std::string();
  std::string buffer = std::move(state_->spares.back());
  state_->spares.pop_back();
  return buffer;
}

bool OutputQueue::broken() const {
  std::lock_guard<std::mutex> lock(state_->mutex);
  return state_->broken;
}

}  // namespace modhost::cli
