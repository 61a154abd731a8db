#pragma once
// The tool's stdout as a bounded queue with a writer thread of its own, so that no other thread
// ever waits on a write: not the thread that takes the signals and decides to stop, not the
// backend's poll thread once a stop has begun. A stdout that nobody reads (a stalled pipe, a
// paused terminal) then only stalls the writer thread, and what it could not write is counted and
// dropped at the end instead of holding the run up.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "modhost_platform.hpp"
#include "terminal.hpp"
#include "modhost/result.hpp"

namespace modhost::cli {

/// How long a push may wait for room.
enum class PushWait {
  /// Waits while the queue is full (the children then slow down on their own full pipes), until
  /// `stop_waiting()`; from then on a line that finds no room is dropped and counted.
  ForRoom,
  /// Never waits: a line that finds no room, even in the small extra allowance these lines have,
  /// is dropped and counted. For the supervisor's own lines, which must never wait on output.
  Never,
};

/// What the queue did not manage to write, reported by `finish()`.
struct OutputLoss {
  /// Lines dropped: refused by a full queue, or still unwritten at `finish()`.
  std::uint64_t lines = 0;
  /// Their bytes.
  std::uint64_t bytes = 0;
  /// True when nothing was left unwritten at `finish()` (lines refused earlier may still have
  /// been dropped).
  bool flushed = true;
};

/// A bounded FIFO of whole lines and the one thread that writes them, in order, batched into few
/// writes. Memory stays below `capacity` plus the extra allowance of `PushWait::Never` lines
/// (64 KiB), plus one push (a push larger than the capacity is taken when the queue is empty),
/// plus the written buffers kept for reuse (`spare()`: at most 16 of at most 128 KiB each).
/// Every member function is thread-safe.
class OutputQueue {
 public:
  /// A queue writing with `write` (the tool passes `write_stdout`), holding at most `capacity`
  /// bytes. Nothing is written before `start()`.
  OutputQueue(std::function<WriteStatus(std::string_view)> write, std::size_t capacity);

  /// `finish()` if it has not been called: waits for nothing, drops what is left.
  ~OutputQueue();

  OutputQueue(const OutputQueue&) = delete;
  OutputQueue& operator=(const OutputQueue&) = delete;

  /// Starts the writer thread. It inherits the caller's signal mask: start it after the tool's
  /// signal watcher. Errors: the thread could not be created (the OS's reason).
  Result<void> start();

  /// Sets the callback run (once, on the writer thread, without a lock held) when a write fails;
  /// from then on nothing more is written and every line is discarded (not counted as dropped:
  /// there is no reader left to miss it). Call before `start()`.
  void set_on_broken(std::function<void()> on_broken);

  /// Queues `text`: `lines` whole lines, newlines included, written together (one write when the
  /// OS takes it whole) and kept or dropped together; see `PushWait`. Text pushed after `close()`
  /// is dropped and counted.
  void push(std::string text, PushWait wait, std::uint64_t lines = 1);

  /// From now on no push waits for room. Called when a stop begins, so that the backend's poll
  /// thread can never be held up by output while it stops the processes. Idempotent.
  void stop_waiting();

  /// No more lines are taken; `on_flushed` runs once (on the writer thread, or on this one if the
  /// queue is already empty, or never if the writer is stuck) when everything queued has been
  /// written or discarded. Call once.
  void close(std::function<void()> on_flushed);

  /// Ends the queue now: what is still unwritten (queued, or in a write that has not returned) is
  /// dropped and counted; returns the total loss. The writer thread is joined when it is idle, and
  /// left to end with the process when it is stuck in a write (it holds only its own state).
  /// Idempotent (later calls return the same loss).
  OutputLoss finish();

  /// An empty buffer to format lines into before `push`: one the writer has written and given
  /// back (its capacity kept), or a new one. Lets a flood of output reuse a few buffers instead
  /// of allocating one per push. Thread-safe.
  std::string spare();

  /// True once a write has failed.
  bool broken() const;

 private:
  struct State;
  std::shared_ptr<State> state_;
  detail::Thread thread_;  // the writer; joined or left behind by finish()
};

}  // namespace modhost::cli
