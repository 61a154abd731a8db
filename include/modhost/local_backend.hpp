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

/// Tuning of a `LocalProcessBackend`; the defaults are those of the Rust backend it replaces.
struct LocalBackendOptions {
  /// Where every record goes (default: `stderr_sink()`). Child output and the "exited"/"stopped"
  /// record of each instance are delivered on the backend's poll thread; the other supervisor
  /// records ("spawned", "shutting down", warnings) on the thread that calls `spawn_instance`/
  /// `stop_instance`/`shutdown` (the backend's short-lived stopper thread when the token's cancel
  /// started the shutdown). Where the platform has no exit event (POSIX without pidfd), or an
  /// instance's pipes had closed before it ended, its exit record may come from the stopping
  /// thread instead. Calls are serialized (never two at once; a lock is held
  /// around each call, so the sink may call `spawn_instance`, `list_instances`, `status` or
  /// cancel the token, but a blocking `stop_instance` from the sink returns an error and
  /// `shutdown()` from the sink only starts the shutdown). A sink that blocks slows the children
  /// through their full pipes; memory does not grow.
  LogSink sink;
  /// Grace period of `stop_instance` before the kill.
  std::chrono::milliseconds instance_stop_grace{2000};
  /// Grace period of `shutdown` (and of the token's cancel) before the kill; one deadline for all.
  std::chrono::milliseconds shutdown_grace{5000};
  /// After an instance is gone, how long its pipes may still be drained (a descendant may keep
  /// them open) before they are closed.
  std::chrono::milliseconds forwarder_drain_timeout{100};
  /// Longer lines are delivered in pieces of this size (continuations); bounds memory per stream.
  std::size_t max_line_length = 64 * 1024;
  /// When non-zero, a partial line that has seen no new bytes for this long is delivered as a
  /// piece (the rest follows as a continuation). Zero (the default) waits for the newline or EOF.
  std::chrono::milliseconds partial_line_timeout{0};
  /// Called once per instance when its process has ended (by itself or by a stop), as soon as it
  /// ended, after its last forwarded line (or the drain timeout), right after its "exited"/
  /// "stopped" record, serialized with the sink calls. During a shutdown each instance's call
  /// comes when that instance ends, not when the whole shutdown is done. Runs where that record
  /// runs (see `sink`: normally the poll thread). Must not call back into the backend's blocking
  /// methods.
  std::function<void(const InstanceStatus&)> on_exit;
  /// Called once per instance right after its process started, with the handle `spawn_instance`
  /// returns, on the spawning thread, before any record of the instance's output reaches the sink
  /// and before its "spawned" record; serialized with the sink calls (the same lock), so the same
  /// rules apply. Not called when `spawn_instance` fails.
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
/// thread per backend reads every instance's stdout and stderr, splits lines, detects levels and
/// calls the sink. All public member functions are thread-safe.
class LocalProcessBackend final : public ModuleRuntimeBackend {
 public:
  /// A backend whose instances are all stopped when `cancel` is cancelled (the stop runs on a
  /// short-lived stopper thread; `cancel()` does not block on it).
  explicit LocalProcessBackend(CancellationToken cancel,
                               LocalBackendOptions options = LocalBackendOptions());
  /// Shuts down if `shutdown()` has not been called, then joins the poll thread.
  ~LocalProcessBackend() override;
  LocalProcessBackend(const LocalProcessBackend&) = delete;
  LocalProcessBackend& operator=(const LocalProcessBackend&) = delete;

  /// Spawns an instance. Errors: `can only spawn LocalProcess` for another backend kind,
  /// `executable_path must be set` without a binary, `failed to spawn process: <binary>: <reason>`
  /// when the OS refuses; after `shutdown()`, `errc::cancelled`.
  Result<InstanceHandle> spawn_instance(const OopModuleConfig& config) override;
  /// Graceful stop with `instance_stop_grace`, then kill; blocks until the instance's process
  /// group is gone, its pipes are drained (at most `forwarder_drain_timeout` more) and its
  /// `on_exit` has returned, then forgets the instance (also one that had exited by itself). An
  /// instance another stop (a `shutdown`, another `stop_instance`) is already stopping gets no
  /// second graceful request: this call waits for that stop. Unknown instance: Ok, with a debug
  /// record. Called from the sink (the poll thread), it would wait for itself: `errc::
  /// invalid_argument`.
  Result<void> stop_instance(const InstanceHandle& handle) override;
  /// The instances of `module` (running or exited by themselves; stopped ones are forgotten),
  /// oldest first. Never fails.
  Result<std::vector<InstanceHandle>> list_instances(const std::string& module) override;

  /// The status of one instance, or nullopt if unknown.
  std::optional<InstanceStatus> status(const Uuid& instance_id) const;
  /// The status of every instance, oldest first.
  std::vector<InstanceStatus> statuses() const;

  /// Stops every instance in parallel against one deadline (`shutdown_grace`): the graceful
  /// request once to each, at once; each instance's exit record and `on_exit` come as it ends;
  /// the survivors are killed at the deadline (or at `kill_all()`), the forwarders drained
  /// (`forwarder_drain_timeout`); then every instance is forgotten and new spawns are refused
  /// (`errc::cancelled`). An instance a `stop_instance` is already stopping gets no second
  /// request, but is killed at this deadline too. Waits for spawns in flight first. Blocks until
  /// done; idempotent; safe to call from several threads (all return when it is done). Called from
  /// the sink (the poll thread) it starts the shutdown on the stopper thread and returns at once.
  void shutdown();
  /// `shutdown()` with `grace` instead of `shutdown_grace` (ignored when a shutdown is already in
  /// progress or done).
  void shutdown(std::chrono::milliseconds grace);
  /// Kills every instance that has not ended yet, now (SIGKILL to its process group on POSIX, its
  /// job terminated on Windows), without a grace period: a `shutdown` or `stop_instance` in
  /// progress stops waiting and completes as soon as the processes are gone. Instances not being
  /// stopped stay listed (as `Exited`, not by themselves, `stop_result->killed`) until stopped.
  /// Group-safe: a group whose leader was already reaped is not signalled. Never blocks for long;
  /// thread-safe, also from the sink.
  void kill_all();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace modhost
