#pragma once
/// @file backend.hpp
/// The module runtime backend interface: spawn, stop and list instances of out-of-process modules.
///
/// The names and texts in this header and in the errors of its implementations (`BackendKind`
/// with `K8s`, `Static` and `Mock`, `OopModuleConfig`, "executable_path must be set") are the
/// module runtime's contract, shared with its other backends and the code that drives them; they
/// stay as they are even where modhost alone would choose others.

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "modhost/child_process.hpp"
#include "modhost/result.hpp"
#include "modhost/uuid.hpp"

namespace modhost {

/// Where a module's instances run. modhost implements `LocalProcess`; the others name backends of
/// the wider runtime, and a `LocalProcessBackend` refuses them (`errc::unsupported`).
enum class BackendKind {
  LocalProcess,  ///< Local child processes: `LocalProcessBackend`.
  K8s,           ///< A backend of the wider runtime; not implemented by modhost.
  Static,        ///< A backend of the wider runtime; not implemented by modhost.
  Mock,          ///< A backend of the wider runtime; not implemented by modhost.
};

/// "LocalProcess", "K8s", "Static" or "Mock" ("unknown" for a value outside the enum). A static
/// string; never fails, never blocks.
std::string_view to_string(BackendKind kind) noexcept;

/// How to run one out-of-process module.
struct OopModuleConfig {
  /// A config for module `name` on backend `kind`; the rest is empty. Never fails.
  OopModuleConfig(std::string name, BackendKind kind) : name(std::move(name)), backend(kind) {}

  /// The module's name; instances are tracked by it.
  std::string name;
  /// The executable (path, or a bare name looked up on PATH). Required by `LocalProcess`
  /// (`errc::invalid_argument`, "executable_path must be set", when it is unset or empty), but
  /// optional in the type: this one config type serves every backend kind of the runtime, and the
  /// kinds other than `LocalProcess` do not necessarily start an executable of their own, so the
  /// type cannot require it without requiring it of them.
  std::optional<std::string> binary;
  /// Arguments after argv[0].
  std::vector<std::string> args;
  /// Environment variables set on top of the inherited environment.
  std::vector<std::pair<std::string, std::string>> env;
  /// The working directory (unset or empty: the host's current one); when it does not exist or
  /// is not a directory, a warning record (`SupervisorEvent::Warning`) goes to the sink and the
  /// current directory is used. Not an error.
  std::optional<std::string> working_directory;
  /// The backend that should run it.
  BackendKind backend;
  /// The module's version, for the record.
  std::optional<std::string> version;
  /// When true, the instance's stderr is the same pipe as its stdout
  /// (`SpawnOptions::merge_stderr_into_stdout`), so its lines reach the sink in the order it
  /// wrote them, all as `StreamKind::Stdout`, each with its own detected level. When false (the
  /// default), each stream has its own pipe: each keeps its order, but not their order relative
  /// to each other.
  bool merge_stderr_into_stdout = false;
};

/// A running (or exited) instance of a module.
struct InstanceHandle {
  /// The module's name.
  std::string module;
  /// A UUID v7, unique per instance.
  Uuid instance_id;
  /// The backend that runs it.
  BackendKind backend = BackendKind::LocalProcess;
  /// The OS process id, where there is one.
  std::optional<ProcessId> pid;
  /// When it was spawned, on the monotonic clock.
  std::chrono::steady_clock::time_point created_at;
};

/// The interface every module runtime backend implements. Implementations are thread-safe. The
/// interface takes no callback; what each function can fail with and how long it blocks is the
/// implementation's to say (modhost's one implementation, `LocalProcessBackend`, says it on its
/// overrides, summarised below).
class ModuleRuntimeBackend {
 public:
  /// Destroys the backend; what happens to its instances is the implementation's to say
  /// (`LocalProcessBackend` shuts them all down and blocks until they are gone).
  virtual ~ModuleRuntimeBackend() = default;
  /// Starts a new instance of the module `config` describes. `LocalProcessBackend`: blocks for
  /// the spawn only. Errors: `errc::unsupported` for another backend kind,
  /// `errc::invalid_argument` without a binary, what `ChildProcess::spawn` returns when the spawn
  /// fails, `errc::cancelled` once a shutdown has begun.
  virtual Result<InstanceHandle> spawn_instance(const OopModuleConfig& config) = 0;
  /// Stops an instance gracefully. Stopping an unknown (or already removed) instance is not an
  /// error. `LocalProcessBackend`: blocks until the instance is stopped and forgotten (about its
  /// stop grace at most, plus the kill and the drain of its pipes; at once from one of its
  /// callbacks). Errors: none today.
  virtual Result<void> stop_instance(const InstanceHandle& handle) = 0;
  /// The instances of `module` that this backend tracks, oldest first. `LocalProcessBackend`:
  /// never fails, never blocks for long.
  virtual Result<std::vector<InstanceHandle>> list_instances(const std::string& module) = 0;
};

}  // namespace modhost
