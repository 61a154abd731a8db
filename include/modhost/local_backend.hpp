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
  /// True when it ended by itself, not because the backend stopped it.
  bool exited_by_itself = false;
  /// For a stopped instance: whether the graceful request was sent and whether it had to be killed.
  std::optional<StopResult> stop_result;
};

/// Tuning of a `LocalProcessBackend`; the defaults are those of the Rust backend it replaces.
struct LocalBackendOptions {
  /// Where every record goes (default: `stderr_sink()`). Child output is delivered on the
  /// backend's poll thread; supervisor records ("spawned", "stopped", warnings) on the thread that
  /// calls `spawn_instance`/`stop_instance`/`shutdown` (the backend's short-lived stopper thread
  /// when the token's cancel started the shutdown), "exited" records of instances that ended by
  /// themselves on the poll thread. Calls are serialized (never two at once; a lock is held
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
  /// Called once per instance when its process has ended (by itself or by a stop), after its
  /// last forwarded line (or the drain timeout): on the poll thread for an exit by itself, on the
  /// stopping thread otherwise. Must not call back into the backend's blocking methods.
  std::function<void(const InstanceStatus&)> on_exit;
};

/// Runs module instances as local child processes (each in its own process group / job). One poll
/// thread per backend reads every instance's stdout and stderr, splits lines, detects levels and
/// calls the sink. All public member functions are thread-safe.
class LocalProcessBackend final : public ModuleRuntimeBackend {
 public:
  /// A backend whose instances are all stopped when `cancel` is cancelled (the stop runs on the
  /// poll thread; `cancel()` does not block on it).
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
  /// group is gone and its pipes are drained (at most `forwarder_drain_timeout` more), then
  /// forgets the instance (also one that had exited by itself). Unknown instance: Ok, with a debug
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

  /// Stops every instance in parallel against one deadline (`shutdown_grace`), kills the rest,
  /// drains the forwarders (`forwarder_drain_timeout`), forgets every instance, and refuses new
  /// spawns (`errc::cancelled`). Waits for spawns in flight first. Blocks until done; idempotent;
  /// safe to call from several threads (all return when it is done). Called from the sink (the poll
  /// thread) it starts the shutdown on the stopper thread and returns at once.
  void shutdown();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace modhost
