#pragma once
// The inside of LocalProcessBackend, shared by its files: local_backend.cpp (the public methods,
// which run on the callers' threads), lifecycle.cpp (the instance state machine, on the poll
// thread), poll_handler.cpp (what the poll thread does with pipe data, EOFs, commands and
// deadlines) and mailbox.hpp (how other threads talk to the poll thread).
//
// Threads and locks (docs/architecture.md has the state diagram):
// - The poll thread (the PipeReader's) owns every instance's life: each transition of an
//   instance's Phase happens there, and only there are callbacks (sink, on_spawn, on_exit) called.
//   Other threads post Commands to it through the Mailbox and, when they must block
//   (stop_instance, shutdown), wait on cv_ for a Completion it signals.
// - mutex_ guards the instance table and the fields of an Instance marked "guarded", so that
//   status(), statuses() and list_instances() can read them from any thread. It is a leaf lock
//   for the poll thread: never held while calling out (a callback, the child's blocking methods).
//   Other threads post to the Mailbox while holding it (spawn_instance, shutdown), which is what
//   orders a spawn's Spawned command before or after a Shutdown.
// - Exits reach the poll thread through the child's exit listener (the platform's watcher, or a
//   thread that reaped the child in place, runs it): it posts Exited{seq}, never waits.

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "forwarder.hpp"
#include "mailbox.hpp"
#include "modhost/local_backend.hpp"
#include "modhost_platform.hpp"

namespace modhost {

namespace detail {

using SteadyClock = std::chrono::steady_clock;
constexpr SteadyClock::time_point kNever = SteadyClock::time_point::max();

// The life of an instance, changed on the poll thread only:
//
//   Running --stop--> Stopping --exit--> Draining --pipes at EOF, or drain timeout--> Reported
//      |                                    ^                                            |
//      +-----------exit (by itself)---------+                  forgotten when a stop asked for it
//
// Stopping: its graceful request was sent (or it was killed) and it has not ended yet. Draining:
// it ended; its last lines are still being read. Reported: its exit record and on_exit are out.
enum class Phase { Running, Stopping, Draining, Reported };

// What stops did to one instance.
struct StopRecord {
  bool requested = false;      // a stop reached it while it was alive: it did not end by itself
  bool graceful_sent = false;  // the one graceful request of its stop was sent
  bool killed = false;         // it was killed (grace over, request impossible, or kill_all)
  bool forget = false;         // a stop_instance or shutdown asked: forget it once reported
  SteadyClock::time_point kill_at = kNever;     // Stopping: when its grace runs out
  SteadyClock::time_point recheck_at = kNever;  // killed: when to look for an unreported exit
};

// One instance: its child, its two forwarders, and its state.
struct Instance {
  Instance(InstanceHandle h, std::uint64_t s, std::size_t max_line)
      : handle(std::move(h)),
        seq(s),
        out(StreamKind::Stdout, max_line),
        err(StreamKind::Stderr, max_line) {}

  const InstanceHandle handle;
  const std::uint64_t seq;
  ChildProcess child;  // thread-safe by itself

  // Guarded by Impl::mutex_; written on the poll thread only.
  Phase phase = Phase::Running;
  std::optional<ExitStatus> exit_status;
  bool exited_by_itself = false;
  StopRecord stop;

  // Poll thread only.
  StreamForwarder out;
  StreamForwarder err;
  int open_streams = 0;                       // pipes still registered with the reader
  SteadyClock::time_point drain_at = kNever;  // Draining (or being forgotten): stop waiting then
  std::vector<std::shared_ptr<Completion>> waiters;  // stop_instance calls waiting for the forget

  RecordContext context() const noexcept { return RecordContext{handle.module, handle.instance_id}; }
};

// What a pipe reader's key stands for: one instance's stdout or stderr. The reader only needs a
// unique integer per pipe; the instance's sequence number is unique per backend, so the key is
// that number with the stream in its lowest bit.
struct ReaderKey {
  std::uint64_t seq = 0;
  StreamKind stream = StreamKind::Stdout;

  std::uint64_t encode() const noexcept {
    return (seq << 1) | (stream == StreamKind::Stderr ? 1u : 0u);
  }
  static ReaderKey decode(std::uint64_t key) noexcept {
    return ReaderKey{key >> 1, (key & 1u) != 0 ? StreamKind::Stderr : StreamKind::Stdout};
  }
};

}  // namespace detail

struct LocalProcessBackend::Impl final : detail::PipeReaderHandler {
  using SteadyClock = std::chrono::steady_clock;
  using InstancePtr = std::shared_ptr<detail::Instance>;

  Impl(CancellationToken token, LocalBackendOptions opts);
  ~Impl() override;

  // ---- poll thread: events (poll_handler.cpp)
  void on_data(std::uint64_t key, std::string_view bytes) override;
  void on_eof(std::uint64_t key) override;
  void on_wake() override;
  void run_commands();
  void run_timers();
  void schedule(SteadyClock::time_point when);
  bool on_poll_thread() const noexcept;

  // ---- poll thread: the state machine (lifecycle.cpp)
  void on_command(detail::Command& command);
  void on_spawned(detail::Command& command);
  void on_exited(std::uint64_t seq);
  void on_stop(detail::Command& command);
  void on_shutdown(detail::Command& command);
  void on_kill_all();
  // Running -> Stopping: the graceful request (or, where it cannot be sent, a kill), a kill at
  // `kill_at`. Does nothing when the instance turns out to have ended already (by itself, then).
  void begin_stop(detail::Instance& inst, SteadyClock::time_point kill_at);
  // Running or Stopping -> Stopping, killed now; `why` goes into the Killed record.
  void kill(detail::Instance& inst, const std::string& why);
  // A stop asked to forget the instance once it is reported (and its pipes are drained).
  void request_forget(detail::Instance& inst);
  // Draining -> Reported once the pipes are at EOF or the drain timeout passed; Reported ->
  // forgotten when a stop asked for it and the pipes are done.
  void advance(const InstancePtr& inst);
  // Stops reading the pipes and forwards what is left (a partial last line).
  void finish_streams(detail::Instance& inst);
  // The exit record and on_exit.
  void report(const InstancePtr& inst);
  // Removes the instance from the table and completes the stops waiting for it.
  void forget(const InstancePtr& inst);
  void finish_shutdown();
  InstancePtr live(std::uint64_t seq) const;

  // ---- records (poll thread only)
  void emit(const LogRecord& record);
  // Where the forwarders' records go: the batch sink if the options have one, else the sink.
  detail::RecordTarget target() const noexcept {
    return detail::RecordTarget{options_.sink, options_.batch_sink};
  }
  void supervisor(LogLevel level, SupervisorEvent event, std::string_view module, const Uuid& id,
                  std::string_view text);

  // ---- any thread (local_backend.cpp)
  InstanceStatus snapshot_locked(const detail::Instance& inst) const;
  // Posts a Shutdown (once): from then on spawns are refused. Called with mutex_ held.
  void begin_shutdown_locked(std::chrono::milliseconds grace,
                             std::shared_ptr<detail::Completion> done);
  void wait_for(const std::shared_ptr<detail::Completion>& done);
  void complete(const std::shared_ptr<detail::Completion>& done);
  void shutdown(std::chrono::milliseconds grace);
  void kill_all();

  CancellationToken token_;
  LocalBackendOptions options_;
  std::shared_ptr<detail::Mailbox> mailbox_;
  std::unique_ptr<detail::PipeReader> reader_;
  CancellationRegistration registration_;

  mutable std::mutex mutex_;
  std::condition_variable cv_;  // Completion::done, under mutex_
  std::map<Uuid, InstancePtr> instances_;  // Guarded. By id: oldest first (v7).
  std::uint64_t next_seq_ = 1;             // Guarded.
  enum class Lifecycle { Open, ShuttingDown, Done } lifecycle_ = Lifecycle::Open;  // Guarded.
  std::shared_ptr<detail::Completion> shutdown_done_;  // Guarded; the one shutdown's completion.

  // Poll thread only.
  std::unordered_map<std::uint64_t, InstancePtr> live_;  // by seq, until forgotten
  bool shutting_down_ = false;  // the Shutdown command was handled
  SteadyClock::time_point shutdown_kill_at_ = detail::kNever;
  SteadyClock::time_point next_deadline_ = detail::kNever;
  std::atomic<std::thread::id> poll_thread_{};
};

}  // namespace modhost
