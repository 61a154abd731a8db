#pragma once
/// @file local_backend.hpp
/// `LocalProcessBackend`: runs module instances as local child processes, forwards every line they
/// write to a `LogSink`, and stops them all, in parallel, when its token is cancelled.

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "modhost/backend.hpp"
#include "modhost/cancellation.hpp"
#include "modhost/child_process.hpp"
#include "modhost/log.hpp"

namespace modhost {

/// The life state of an instance.
enum class InstanceState {
  Running,   ///< The process is alive.
  Stopping,  ///< A stop is in progress.
  Exited,    ///< The process has ended (by itself, or by a stop).
};

/// What the backend knows of one instance.
struct InstanceStatus {
  /// The handle returned by `spawn_instance`.
  InstanceHandle handle;
  /// Its life state.
  InstanceState state = InstanceState::Running;
  /// How it ended, once `state` is `Exited`.
  std::optional<ExitStatus> exit_status;
  /// True when it ended before any stop of it began (`stop_instance`, `shutdown`, `kill_all`, the
  /// token's cancel); false when it ended after one began, whatever ended it.
  bool exited_by_itself = false;
  /// For an instance a stop reached while it was alive: whether the graceful request was sent and
  /// whether it had to be killed (grace period over, or `kill_all`). Unset for one that ended by
  /// itself.
  std::optional<StopResult> stop_result;
};

/// Tuning of a `LocalProcessBackend`. The defaults (2 s stop grace, 5 s shutdown grace, 100 ms
/// drain, 64 KiB lines) are part of the module runtime's contract: every backend of the runtime
/// that runs local processes uses the same ones, so a module behaves alike under each.
///
/// Callbacks and threads. Every callback below (`sink`, `batch_sink`, `on_spawn`, `on_exit`) runs
/// on the backend's poll thread, one call at a time, never with a lock of the backend held, so a
/// callback may call every public method of the backend:
///
/// | called from a callback  | what it does                                                     |
/// |-------------------------|------------------------------------------------------------------|
/// | `spawn_instance`        | spawns and returns; the instance's records follow this callback   |
/// | `stop_instance`         | starts the stop and returns at once (it cannot wait for the poll  |
/// |                         | thread, which is running the callback); the exit record follows  |
/// | `shutdown`              | starts the shutdown and returns at once                          |
/// | `kill_all`, `signal_instance`, `list_instances`, `status`, `statuses` | as from any thread |
/// | the token's `cancel()`  | starts the shutdown (no thread is created for it)                |
///
/// Only destroying the backend from its own callback is not allowed. A callback that blocks holds
/// up everything the poll thread does for every instance: output (the children slow down on their
/// full pipes; memory does not grow), exit records, and the timers of stops (a kill due at the end
/// of a grace period waits for it). A sink that writes somewhere that may stall should hand its
/// records to a queue of its own.
struct LocalBackendOptions {
  /// Where every record goes (default: `stderr_sink()`): each line of child output, and the
  /// supervisor's own records, which carry a `SupervisorEvent`. Runs on the poll thread.
  LogSink sink;
  /// Optional: when set, the lines of child output go here instead of to `sink`, several per call
  /// (the supervisor's own records still go to `sink`). One call carries consecutive lines of one
  /// stream of one instance, in order: those of one read() of its pipe, at most 128 per call (a
  /// line completed from the bytes of an earlier read, and a piece flushed by a timeout or at EOF,
  /// may come in a call of its own). For sinks that format or queue lines in bulk: one call and
  /// one lock per read instead of per line. Runs on the poll thread, like `sink`.
  LogBatchSink batch_sink;
  /// Grace period of `stop_instance` before the kill.
  std::chrono::milliseconds instance_stop_grace{2000};
  /// Grace period of `shutdown` (and of the token's cancel) before the kill; one deadline for all.
  std::chrono::milliseconds shutdown_grace{5000};
  /// After an instance is gone, how long its pipes may still be drained (a descendant may keep
  /// them open) before its exit record is delivered, and, once it was stopped, before they are
  /// closed.
  std::chrono::milliseconds forwarder_drain_timeout{100};
  /// Longer lines are delivered in pieces of this size (continuations); bounds memory per stream.
  std::size_t max_line_length = 64 * 1024;
  /// When non-zero, a partial line that has seen no new bytes for this long is delivered as a
  /// piece (the rest follows as a continuation). Zero (the default) waits for the newline or EOF.
  std::chrono::milliseconds partial_line_timeout{0};
  /// Called once per instance when its process has ended (by itself or by a stop), right after
  /// its "exited"/"stopped" record, which follows its last forwarded line (or the drain timeout).
  /// During a shutdown each instance's call comes when that instance ends, not when the whole
  /// shutdown is done. Runs on the poll thread.
  std::function<void(const InstanceStatus&)> on_exit;
  /// Called once per instance right after its process started, with the handle `spawn_instance`
  /// returns, before its "spawned" record and before any record of its output. Runs on the poll
  /// thread (so possibly after `spawn_instance` has returned). Not called when `spawn_instance`
  /// fails.
  std::function<void(const InstanceHandle&)> on_spawn;
  /// Linux only (ignored elsewhere): each instance's leader gets SIGKILL when the host dies
  /// (`SpawnOptions::kill_on_parent_death`, `PR_SET_PDEATHSIG`). Caveat: Linux ties this to the
  /// *thread* that called `spawn_instance`, so an instance is killed as soon as that thread ends,
  /// even while the process lives on; turn it on only when instances are spawned from threads that
  /// live as long as the instances should. Only the leader is killed, not its descendants (a
  /// process group cannot be tied to its parent). Off by default; on, spawns take the fork path.
  bool kill_on_parent_death = false;
};

/// Runs module instances as local child processes (each in its own process group / job). One poll
/// thread per backend reads every instance's stdout and stderr, splits lines, detects levels,
/// calls the sink, and owns every instance's life (see `LocalBackendOptions` for the callback
/// rules). All public member functions are thread-safe.
class LocalProcessBackend final : public ModuleRuntimeBackend {
 public:
  /// A backend whose instances are all stopped when `cancel` is cancelled (the shutdown runs on
  /// the poll thread; `cancel()` does not block on it). Errors: the poll thread or its wake-up
  /// pipe could not be created (the OS's code: EAGAIN under RLIMIT_NPROC, EMFILE...); nothing is
  /// left behind then.
  static Result<std::unique_ptr<LocalProcessBackend>> create(
      CancellationToken cancel, LocalBackendOptions options = LocalBackendOptions());
  /// Shuts down if `shutdown()` has not been called, then joins the poll thread: blocks as
  /// `shutdown()` does (up to `shutdown_grace`, then the kills and the drain). Must not run on
  /// the poll thread (in a callback).
  ~LocalProcessBackend() override;
  /// Not copyable: a backend owns its instances and its poll thread.
  LocalProcessBackend(const LocalProcessBackend&) = delete;
  /// Not copyable.
  LocalProcessBackend& operator=(const LocalProcessBackend&) = delete;

  /// Spawns an instance. Errors: `can only spawn LocalProcess` for another backend kind
  /// (`errc::unsupported`), `executable_path must be set` without a binary, or with an empty one
  /// (`errc::invalid_argument`), `failed to spawn process: <binary>: <reason>` when the spawn
  /// fails (`ChildProcess::spawn`'s codes: the OS's code when the OS refuses,
  /// `errc::invalid_argument` for an unusable argument or environment entry,
  /// `errc::host_contract`); `errc::cancelled` once a shutdown has begun (also when it began
  /// while this spawn was in flight: the new process is then killed). Blocks for the spawn only.
  Result<InstanceHandle> spawn_instance(const OopModuleConfig& config) override;
  /// Graceful stop with `instance_stop_grace`, then kill; blocks until the instance's process
  /// group is gone, its pipes are drained (at most `forwarder_drain_timeout` more) and its
  /// `on_exit` has returned, then forgets the instance (also one that had exited by itself). An
  /// instance another stop (a `shutdown`, another `stop_instance`) is already stopping gets no
  /// second graceful request: this call waits for that stop. Unknown instance: Ok, with a debug
  /// record (`SupervisorEvent::UnknownInstance`). From a callback: starts the stop and returns Ok
  /// at once. Errors: none today (the signature leaves room for them).
  Result<void> stop_instance(const InstanceHandle& handle) override;
  /// The instances of `module` (running or exited by themselves; stopped ones are forgotten),
  /// oldest first. Never fails; never blocks for long.
  Result<std::vector<InstanceHandle>> list_instances(const std::string& module) override;

  /// Sends signal number `sig` to the instance's process group (`ChildProcess::send_signal`), so
  /// nothing with a reused process id is ever signalled. Errors: `errc::not_running` when the
  /// instance is unknown or its process has been reaped; on Windows `errc::unsupported` for a
  /// number `ChildProcess::send_signal` cannot send there (or a graceful request nothing can
  /// deliver); the OS's code otherwise (`EPERM`, `EINVAL`). Does not start a stop. Never blocks
  /// for long.
  Result<void> signal_instance(const InstanceHandle& handle, int sig);

  /// The status of one instance, or nullopt if unknown. Never fails; never blocks for long (the
  /// backend's mutex, held briefly).
  std::optional<InstanceStatus> status(const Uuid& instance_id) const;
  /// The status of every instance, oldest first. Never fails; never blocks for long.
  std::vector<InstanceStatus> statuses() const;

  /// Stops every instance in parallel against one deadline (`shutdown_grace`): the graceful
  /// request once to each, at once; each instance's exit record and `on_exit` come as it ends;
  /// the survivors are killed at the deadline (or at `kill_all()`), the forwarders drained
  /// (`forwarder_drain_timeout`); then every instance is forgotten and new spawns are refused
  /// (`errc::cancelled`). An instance a `stop_instance` is already stopping gets no second
  /// request, but is killed at this deadline too. Blocks until done; idempotent; safe to call from
  /// several threads (all return when it is done). From a callback: starts the shutdown and
  /// returns at once.
  void shutdown();
  /// `shutdown()` with `grace` instead of `shutdown_grace` (ignored when a shutdown is already in
  /// progress or done).
  void shutdown(std::chrono::milliseconds grace);
  /// Kills every instance that has not ended yet, now (SIGKILL to its process group on POSIX, its
  /// job terminated on Windows; sent from the calling thread, so a busy poll thread does not
  /// delay it), without a grace period: a `shutdown` or `stop_instance` in progress completes as
  /// soon as the processes are gone. Instances not being stopped stay listed (as `Exited`, not by
  /// themselves, `stop_result->killed`) until stopped. Group-safe: a group whose leader was
  /// already reaped is not signalled. Never blocks for long; thread-safe, also from a callback.
  void kill_all();

 private:
  struct Impl;
  explicit LocalProcessBackend(std::unique_ptr<Impl> impl) noexcept;
  std::unique_ptr<Impl> impl_;
};

}  // namespace modhost
