#pragma once
// The inside of LocalProcessBackend, shared by its three files: local_backend.cpp (the public
// methods: spawn, stop, list), shutdown.cpp (parallel shutdown and the token's stopper thread) and
// poll_handler.cpp (what the poll thread does with pipe data, EOFs, exits and deadlines).
//
// Threads and locks:
// - The poll thread (the PipeReader's) is the only one that touches the StreamForwarders, reads
//   pipes, and learns of exits (a pidfd per child on Linux, see PipeReader::watch_exit).
// - mutex_ guards the instance table and every Instance field marked "guarded". It is a leaf lock:
//   never held while calling the sink, on_exit, or a blocking ChildProcess method.
// - sink_mutex_ serializes sink calls (recursive, so a sink that calls spawn_instance, which logs,
//   does not deadlock itself). It may be taken before mutex_, never after.
// - Stoppers (stop_instance, shutdown) send the graceful request and wait on the caller's thread
//   (ChildProcess::wait_for, cut short by kill_token_), kill at their deadline, then ask the poll
//   thread to drain and close the pipes and wait on cv_ until it has delivered the exit record.
// - Every exit, by itself or by a stop, goes through handle_exit: the instance is marked Exited at
//   once and its exit record (and on_exit) follows its pipes' EOF, at most the drain timeout
//   later, normally on the poll thread. So during a shutdown each instance's record comes when it
//   ends, not when the last one has.

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

#include "backend/forwarder.hpp"
#include "modhost/local_backend.hpp"
#include "platform.hpp"

namespace modhost {

namespace detail {

using SteadyClock = std::chrono::steady_clock;

// Reader keys: an instance's sequence number times four plus one of these.
enum KeySlot : std::uint64_t { kStdoutSlot = 0, kStderrSlot = 1, kExitSlot = 2 };

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

  // Guarded by Impl::mutex_.
  InstanceState state = InstanceState::Running;
  std::optional<ExitStatus> exit_status;
  bool exited_by_itself = false;
  std::optional<StopResult> stop_result;
  bool stop_began = false;            // a stop (or kill_all) reached it; see begin_stop_locked
  bool ended_before_stop = false;     // the stop found it already gone: it ended by itself
  bool graceful_sent = false;         // the one graceful request of its stop was sent
  bool kill_sent = false;             // it was (or is about to be) killed
  int open_streams = 0;               // pipes still registered with the reader
  bool exit_watched = false;          // the reader will tell us of the exit
  bool finalized = false;             // the exit record is being emitted (claimed by one thread)
  bool delivered = false;             // the exit record was emitted and on_exit has returned
  bool exit_record_pending = false;   // exited; the record waits for the pipes' EOF
  bool close_when_drained = false;    // stopped: close the pipes at drain_deadline
  SteadyClock::time_point drain_deadline = SteadyClock::time_point::max();

  // Poll thread only.
  StreamForwarder out;
  StreamForwarder err;

  std::uint64_t key(KeySlot slot) const noexcept { return seq * 4 + slot; }
  RecordContext context() const noexcept { return RecordContext{handle.module, handle.instance_id}; }
};

}  // namespace detail

struct LocalProcessBackend::Impl final : detail::PipeReaderHandler {
  using SteadyClock = std::chrono::steady_clock;

  Impl(CancellationToken token, LocalBackendOptions opts);
  ~Impl() override;

  // ---- poll thread (poll_handler.cpp)
  void on_data(std::uint64_t key, std::string_view bytes) override;
  void on_eof(std::uint64_t key) override;
  void on_wake() override;
  // The exit of `inst` was noticed (its watch fired, its pipes closed without a watch, a stopper's
  // wait returned `known`, or it was already gone at spawn): marks it Exited and arranges its
  // exit record. `poll_thread` says whether the caller is the poll thread. Idempotent.
  void handle_exit(const std::shared_ptr<detail::Instance>& inst, bool poll_thread,
                   std::optional<ExitStatus> known = std::nullopt);
  // Asks the reader for an on_wake at `when` if that is earlier than the one pending.
  void schedule_deadline(SteadyClock::time_point when);
  void note_poll_thread() noexcept;
  bool on_poll_thread() const noexcept;

  // ---- any thread (local_backend.cpp / shutdown.cpp)
  void emit(const LogRecord& record);
  void supervisor(LogLevel level, std::string_view module, const Uuid& id, std::string_view text);
  void emit_exit(const std::shared_ptr<detail::Instance>& inst);
  InstanceStatus snapshot_locked(const detail::Instance& inst) const;
  std::shared_ptr<detail::Instance> find_locked(std::uint64_t key) const;
  // Claims the stop of `inst` for the caller (true) unless a stop already reached it or it ended.
  bool begin_stop_locked(detail::Instance& inst);
  // Sends the one graceful request of a stop the caller claimed. False when there is nothing to
  // wait for: the instance had already ended (then it ended by itself), or the platform could
  // not send the request (then the caller kills at once).
  bool send_graceful(detail::Instance& inst);
  // Kills `inst` unless it has ended, marking the kill first so its exit record says so.
  void kill_now(detail::Instance& inst);
  // Waits for the exit status after the signals were sent and hands it to handle_exit. On an error
  // (a host that broke the SIGCHLD contract) the instance is closed without a status and the
  // error returned.
  Result<void> collect_exit(const std::shared_ptr<detail::Instance>& inst);
  // Asks the poll thread to close the pipes of `insts` within the drain timeout, waits until it
  // has and their exit records were delivered, then forgets them. Their exits were handled.
  void drain_and_forget(const std::vector<std::shared_ptr<detail::Instance>>& insts);
  void shutdown(std::chrono::milliseconds grace);
  void kill_all();
  void start_stopper();  // from the token's callback: never blocks the canceller

  CancellationToken token_;
  LocalBackendOptions options_;
  std::unique_ptr<detail::PipeReader> reader_;
  CancellationRegistration registration_;

  std::recursive_mutex sink_mutex_;

  mutable std::mutex mutex_;
  std::condition_variable cv_;
  std::map<Uuid, std::shared_ptr<detail::Instance>> instances_;  // by id: oldest first (v7)
  std::unordered_map<std::uint64_t, std::shared_ptr<detail::Instance>> by_seq_;
  std::uint64_t next_seq_ = 1;
  int spawns_in_flight_ = 0;
  enum class Phase { Open, ShuttingDown, Done } phase_ = Phase::Open;
  std::thread stopper_;
  // Cancelled (and replaced) by kill_all, so that every wait of a stop in progress ends at once.
  CancellationToken kill_token_;

  std::optional<Error> reader_error_;  // set when the reader thread could not start
  std::atomic<std::thread::id> poll_thread_{};

  // Poll thread only: the deadline currently asked of the reader.
  SteadyClock::time_point next_deadline_ = SteadyClock::time_point::max();
};

}  // namespace modhost
