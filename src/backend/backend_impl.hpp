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
// - Stoppers (stop_instance, shutdown) block on the caller's thread in ChildProcess::stop, then
//   ask the poll thread to drain and close the pipes and wait on cv_ until it has.

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
  int open_streams = 0;               // pipes still registered with the reader
  bool exit_watched = false;          // the reader will tell us of the exit
  bool finalized = false;             // the exit record was emitted and on_exit called
  bool exit_record_pending = false;   // exited by itself; the record waits for the pipes' EOF
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
  // The exit of `inst` was noticed (its watch fired, its pipes closed without a watch, or it was
  // already gone at spawn). `poll_thread` says whether the caller is the poll thread.
  void handle_exit(const std::shared_ptr<detail::Instance>& inst, bool poll_thread);
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
  // Records the outcome of a ChildProcess::stop on `inst` (unless it had already exited).
  void record_stop(detail::Instance& inst, const StopResult& result);
  // Marks `insts` gone-by-stop, asks the poll thread to close their pipes within the drain
  // timeout, waits until it has, then emits the exit records not yet emitted and forgets them.
  void drain_and_forget(const std::vector<std::shared_ptr<detail::Instance>>& insts);
  void shutdown();
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

  std::optional<Error> reader_error_;  // set when the reader thread could not start
  std::atomic<std::thread::id> poll_thread_{};

  // Poll thread only: the deadline currently asked of the reader.
  SteadyClock::time_point next_deadline_ = SteadyClock::time_point::max();
};

}  // namespace modhost
