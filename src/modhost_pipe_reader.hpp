#pragma once
// The portable half of every platform's PipeReader (declared in modhost_platform.hpp): the
// deadline, the wake-up requests, the reader's loop and the stop sequence. A platform derives
// from PipeReaderBase and supplies only its OS mechanics: how the thread is woken (a byte in a
// wakeup pipe, a packet on a completion port), how it waits and reads, and what it releases at
// the end. Portable code: no OS header, no platform macro.

#include <chrono>
#include <mutex>

#include "modhost_platform.hpp"

namespace modhost::detail {

// How long a reader waits for events, in milliseconds, when it is `now` and on_wake is due at
// `deadline`: -1 (no timeout) when `deadline` is time_point::max(); otherwise the time left,
// rounded up (waking a little late is harmless, waking early would spin until it is due), at least
// 0 (already due) and at most 24 hours (what poll's int and Windows' DWORD both hold; a reader
// whose wait ends early only computes the timeout again).
int pipe_reader_timeout_ms(std::chrono::steady_clock::time_point deadline,
                           std::chrono::steady_clock::time_point now) noexcept;

// A PipeReader without its OS mechanics. It owns the reader's thread and runs the loop there:
// each round it computes the timeout from the deadline, lets the platform wait and deliver its
// events, then runs the handler's on_wake if a wake() arrived or the deadline passed (clearing
// the deadline). Wake-ups are coalesced: however many wake(), set_deadline(), stop() (and the
// platform's own add/remove) calls come in before the thread takes the signal, the platform is
// asked to signal the thread once.
//
// One mutex, mutex(), guards the state here and the platform's own (its table of pipes), so that
// the platform's bookkeeping and the wake-up signal change together.
class PipeReaderBase : public PipeReader {
 public:
  // Makes on_wake run on the reader's thread as soon as possible. Thread-safe.
  void wake() final;
  // Makes on_wake run at `deadline` (replacing an earlier one); time_point::max() clears it.
  // Thread-safe.
  void set_deadline(std::chrono::steady_clock::time_point deadline) final;
  // Stops the thread and joins it, once: a second caller, concurrent or later, waits until the
  // first has joined and then finds nothing left to join (two joins of one thread would be
  // undefined). The platform's shut_down() has run on the thread by then. Idempotent. Must not be
  // called from the reader's thread.
  void stop() final;

 protected:
  // `handler` receives every event and must outlive the reader.
  explicit PipeReaderBase(PipeReaderHandler& handler) noexcept : handler_(handler) {}
  // The derived class's destructor must call stop() first: the thread runs the derived class's
  // hooks, which no longer exist once the base's destructor runs.
  ~PipeReaderBase() override = default;

  // Starts the reader's thread (once the platform's resources exist). Errors: the OS's, naming
  // "the pipe reader thread".
  Result<void> start_thread();

  // The mutex that guards this class's state and the platform's.
  std::mutex& mutex() noexcept { return mutex_; }
  // Where events go; the platform calls it on the reader's thread, without the mutex held.
  PipeReaderHandler& handler() noexcept { return handler_; }
  // True once stop() began: add() must then refuse new pipes. Called with mutex() held.
  bool stopped_locked() const noexcept { return stopped_; }
  // Asks the platform to signal the thread unless a signal is already pending, so a burst of
  // requests costs one signal and a wakeup pipe can never fill up. Called with mutex() held.
  void signal_locked() noexcept;
  // Called by the platform on the reader's thread when its wake signal arrived: the signal is no
  // longer pending, and the result says whether a wake() came with it (taking that request).
  // Locks mutex(); must be called without it.
  bool take_wake();

 private:
  // Signals the reader's thread: makes its wait in wait_and_deliver() return. Called with mutex()
  // held, at most once until the thread calls take_wake().
  virtual void post_wake_signal() noexcept = 0;
  // Runs at the start of each round, with mutex() held, before the timeout is computed: where
  // the platform brings its wait set up to date.
  virtual void prepare_round_locked() {}
  // Waits up to `timeout_ms` (-1: no timeout) for events and delivers them to the handler; returns
  // the result of take_wake() if the wake signal arrived, else false. Called without mutex() held.
  virtual bool wait_and_deliver(int timeout_ms) = 0;
  // Runs on the reader's thread once it has seen stop(): releases every pipe still registered.
  virtual void shut_down() = 0;

  // The reader's thread.
  void run();
  // After a round's events: if the deadline is due it is cleared, and on_wake runs if it was due
  // or `woken` (a wake() was taken). Locks mutex(); called without it.
  void finish_round(bool woken);

  PipeReaderHandler& handler_;
  std::mutex stop_mutex_;  // Serialises stop(); held while joining.
  Thread thread_;          // Written by start_thread() only, then joined under stop_mutex_.

  std::mutex mutex_;  // Guards the members below and the platform's state.
  std::chrono::steady_clock::time_point deadline_ = std::chrono::steady_clock::time_point::max();
  bool stopped_ = false;         // stop() began.
  bool wake_pending_ = false;    // A signal was posted and the thread has not taken it yet.
  bool wake_requested_ = false;  // wake() was called since the thread last took the signal.
};

}  // namespace modhost::detail
